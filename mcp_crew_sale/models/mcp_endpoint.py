"""The ``sale_*`` tools of Odoo's MCP server; ``mcp.sale.agent`` does the work.

Like the generic tools they run as the authenticated user inside the call's
savepoint, and refuse bad input with errors that name the problem.
"""

from odoo import api, models

from odoo.addons.mcp_crew.models.mcp_endpoint import READ_ONLY, WRITES, tool_schema

_ID = {"type": "integer", "minimum": 1}
_QUANTITY = {"type": "number", "exclusiveMinimum": 0}
_LIMIT = {"type": "integer", "minimum": 1, "maximum": 20, "default": 5}
SALE_TOOLS = [
    {
        "name": "sale_find_customer",
        "description": "Find customers by name or reference (fuzzy, typos and accents "
        "tolerated) in your current company. Returns the candidates with scores and "
        "whether one is a clear match (status unique / ambiguous / unknown).",
        "inputSchema": tool_schema(
            {"name": {"type": "string", "minLength": 1, "maxLength": 200}, "limit": _LIMIT},
            ["name"],
        ),
        "annotations": READ_ONLY,
        "handler": "_tool_sale_find_customer",
    },
    {
        "name": "sale_find_product",
        "description": "Find saleable products by name or internal reference "
        "(default_code), fuzzy. Returns candidates with scores, unit and price, and "
        "whether one is a clear match.",
        "inputSchema": tool_schema(
            {"query": {"type": "string", "minLength": 1, "maxLength": 200}, "limit": _LIMIT},
            ["query"],
        ),
        "annotations": READ_ONLY,
        "handler": "_tool_sale_find_product",
    },
    {
        "name": "sale_check_stock",
        "description": "Stock of a product in the warehouse your orders ship from: "
        "on hand, free, forecast, and whether the quantity (in the product's unit) "
        "can be promised (enough = quantity <= min(free, forecast)).",
        "inputSchema": tool_schema(
            {"product_id": _ID, "quantity": _QUANTITY}, ["product_id", "quantity"]
        ),
        "annotations": READ_ONLY,
        "handler": "_tool_sale_check_stock",
    },
    {
        "name": "sale_create_order",
        "description": "Create a draft sale order (quotation) for a customer with "
        "product lines; returns its name, id and total. Nothing is confirmed.",
        "inputSchema": tool_schema(
            {
                "partner_id": _ID,
                "lines": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 200,
                    "items": tool_schema(
                        {"product_id": _ID, "quantity": _QUANTITY}, ["product_id", "quantity"]
                    ),
                },
            },
            ["partner_id", "lines"],
        ),
        "annotations": WRITES,
        "handler": "_tool_sale_create_order",
    },
    {
        "name": "sale_confirm_order",
        "description": "Confirm a quotation into a sale order (reserves stock, starts "
        "deliveries). Cannot be undone by this tool.",
        "inputSchema": tool_schema({"order_id": _ID}, ["order_id"]),
        "annotations": dict(WRITES, destructiveHint=True),
        "handler": "_tool_sale_confirm_order",
    },
    {
        "name": "sale_order_from_text",
        "description": "Create a draft sale order from a sentence in Portuguese or "
        "English, e.g. 'create a sale order for customer ABC with 3 units of product "
        "XYZ'. Resolves the customer and products, checks stock and creates the draft "
        "(short lines flagged, never confirmed), or creates nothing and says which "
        "name was ambiguous or unknown, with candidates.",
        "inputSchema": tool_schema(
            {"text": {"type": "string", "minLength": 1, "maxLength": 4000}}, ["text"]
        ),
        "annotations": WRITES,
        "handler": "_tool_sale_order_from_text",
    },
]


class McpEndpoint(models.AbstractModel):
    _inherit = "mcp.endpoint"

    @api.model
    def _mcp_tools(self):
        return super()._mcp_tools() + SALE_TOOLS

    def _agent(self):
        return self.env["mcp.sale.agent"]

    def _tool_sale_find_customer(self, name, limit=5):
        return self._agent()._resolve("customer", name, limit=limit)

    def _tool_sale_find_product(self, query, limit=5):
        return self._agent()._resolve("product", query, limit=limit)

    def _tool_sale_check_stock(self, product_id, quantity):
        agent = self._agent()
        return agent._check_stock(agent._visible("product", product_id), quantity)

    def _tool_sale_create_order(self, partner_id, lines):
        agent = self._agent()
        agent._check_can_sell()
        partner = agent._visible("customer", partner_id)
        order_lines = [
            (agent._visible("product", line["product_id"]), line["quantity"], None)
            for line in lines
        ]
        return agent._order_result(agent._create_order(partner, order_lines))

    def _tool_sale_confirm_order(self, order_id):
        agent = self._agent()
        return agent._order_result(agent._confirm_order(order_id))

    def _tool_sale_order_from_text(self, text):
        return self._agent().order_from_text(text)
