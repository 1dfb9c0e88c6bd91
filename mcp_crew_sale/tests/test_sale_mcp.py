"""The ``sale_*`` tools through ``/mcp`` with the official SDK client, each user
with their own API key, rights and company."""

from odoo.tests import HttpCase, tagged

from odoo.addons.mcp_crew.tests.common import (
    assert_writes_need_confirmation,
    call_mcp_tool,
    mcp_api_key,
    run_mcp_session,
)

from .common import order_lines, setup_sale_data

SALE_TOOLS = {
    "sale_find_customer",
    "sale_find_product",
    "sale_check_stock",
    "sale_create_order",
    "sale_confirm_order",
    "sale_order_from_text",
}


@tagged("post_install", "-at_install", "mcp_crew_sale")
class TestSaleMcp(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_sale_data(cls)
        cls.keys = {
            user: mcp_api_key(user, "sale tests")
            for user in (cls.seller, cls.seller_b, cls.no_sales)
        }

    def sdk(self, user, work):
        """Run ``work(session)`` in an initialized SDK session as ``user``."""
        return run_mcp_session(self.base_url() + "/mcp", self.keys[user], work)

    def call(self, name, arguments, user=None):
        return call_mcp_tool(
            self.base_url() + "/mcp", self.keys[user or self.seller], name, arguments
        )

    def ok(self, name, arguments, user=None):
        result = self.call(name, arguments, user)
        self.assertFalse(result.isError, result.content)
        return result.structuredContent

    def error(self, name, arguments, user=None):
        result = self.call(name, arguments, user)
        self.assertTrue(result.isError, result.structuredContent)
        return result.content[0].text

    def test_tools_are_listed_with_their_annotations(self):
        async def work(session):
            return await session.list_tools()

        tools = {tool.name: tool for tool in self.sdk(self.seller, work).tools}
        self.assertLessEqual(SALE_TOOLS, set(tools))
        self.assertIn("odoo_search_read", tools)  # the core's tools stay
        self.assertTrue(tools["sale_confirm_order"].annotations.destructiveHint)
        self.assertTrue(tools["sale_find_customer"].annotations.readOnlyHint)
        self.assertTrue(tools["sale_check_stock"].annotations.readOnlyHint)
        self.assertFalse(tools["sale_create_order"].annotations.destructiveHint)

    def test_step_by_step_find_check_create_confirm(self):
        customer = self.ok("sale_find_customer", {"name": "acme corp"})
        self.assertEqual((customer["status"], customer["match"]["id"]), ("unique", self.acme.id))
        product = self.ok("sale_find_product", {"query": "par-m8"})
        self.assertEqual(
            (product["match"]["id"], product["match"]["reason"]), (self.bolt.id, "code")
        )
        stock = self.ok("sale_check_stock", {"product_id": self.bolt.id, "quantity": 3})
        self.assertEqual(
            (stock["qty_available"], stock["free_qty"], stock["enough"]), (100, 100, True)
        )
        short = self.ok("sale_check_stock", {"product_id": self.nut.id, "quantity": 6})
        self.assertEqual((short["available"], short["enough"]), (5, False))
        created = self.ok(
            "sale_create_order",
            {"partner_id": self.acme.id, "lines": [{"product_id": self.bolt.id, "quantity": 3}]},
        )
        self.assertEqual((created["state"], created["amount_total"]), ("draft", 7.5))
        confirmed = self.ok("sale_confirm_order", {"order_id": created["id"]})
        self.assertEqual(confirmed["state"], "sale")
        self.env.invalidate_all()  # the requests wrote through their own environment
        order = self.env["sale.order"].browse(created["id"])
        self.assertEqual((order.state, order.user_id), ("sale", self.seller))
        self.assertTrue(order.picking_ids)
        again = self.error("sale_confirm_order", {"order_id": created["id"]})
        self.assertIn("only quotations can be confirmed", again)

    def test_sale_writes_need_a_confirmation_this_host_cannot_give(self):
        """A key left on 'confirm each change', used by the SDK 1.x client (no
        form elicitation): the sale tools that write are refused, reads work."""
        key = mcp_api_key(self.seller, "sale confirm", writes="confirm")
        orders_before = self.env["sale.order"].search_count([])
        assert_writes_need_confirmation(
            self,
            self.base_url() + "/mcp",
            key,
            {
                "sale_create_order": {
                    "partner_id": self.acme.id,
                    "lines": [{"product_id": self.bolt.id, "quantity": 1}],
                },
                "sale_order_from_text": {"text": "sale order for acme corp with 1 PAR-M8"},
                "sale_confirm_order": {"order_id": 1},
            },
        )
        self.assertEqual(self.env["sale.order"].search_count([]), orders_before)
        found = call_mcp_tool(self.base_url() + "/mcp", key, "sale_find_customer", {"name": "acme"})
        self.assertFalse(found.isError, found.content)

    def test_order_from_text_and_ambiguity(self):
        result = self.ok(
            "sale_order_from_text",
            {"text": "criar uma ordem de venda para o cliente Acme com 2 unidades de Porca M8"},
        )
        self.assertEqual(result["status"], "created", result["summary"])
        self.env.invalidate_all()
        order = self.env["sale.order"].browse(result["order"]["id"])
        self.assertEqual((order.state, order_lines(order)), ("draft", [("POR-M8", 2.0)]))
        ambiguous = self.ok("sale_find_customer", {"name": "ABC"})
        self.assertEqual(ambiguous["status"], "ambiguous")
        self.assertEqual(len(ambiguous["candidates"]), 2)
        asked = self.ok(
            "sale_order_from_text",
            {"text": "create a sale order for customer ABC with 1 unit of PAR-M8"},
        )
        self.assertEqual((asked["status"], asked["order"]), ("needs_input", None))

    def test_user_without_sales_rights_gets_access_errors(self):
        before = self.env["sale.order"].search_count([])
        for name, arguments in (
            (
                "sale_create_order",
                {
                    "partner_id": self.acme.id,
                    "lines": [{"product_id": self.bolt.id, "quantity": 1}],
                },
            ),
            (
                "sale_order_from_text",
                {"text": "create a sale order for customer Acme with 1 x PAR-M8"},
            ),
        ):
            with self.subTest(tool=name):
                self.assertIn("AccessError", self.error(name, arguments, user=self.no_sales))
        self.env.invalidate_all()
        self.assertEqual(self.env["sale.order"].search_count([]), before)

    def test_companies_are_isolated(self):
        self.assertEqual(
            self.ok("sale_find_customer", {"name": "Beta Exclusiva"})["status"], "unknown"
        )
        found = self.ok("sale_find_customer", {"name": "Beta Exclusiva"}, user=self.seller_b)
        self.assertEqual(found["match"]["id"], self.beta_b.id)
        refused = self.error(
            "sale_create_order",
            {"partner_id": self.beta_b.id, "lines": [{"product_id": self.bolt.id, "quantity": 1}]},
        )
        self.assertIn("No customer with id %d" % self.beta_b.id, refused)

    def test_bad_input_gets_clear_errors(self):
        cases = [
            ("sale_check_stock", {"product_id": 999999, "quantity": 1}, "No saleable product"),
            ("sale_check_stock", {"product_id": self.internal.id, "quantity": 1}, "No saleable"),
            ("sale_check_stock", {"product_id": self.bolt.id, "quantity": 0}, "quantity"),
            ("sale_create_order", {"partner_id": self.acme.id, "lines": []}, "lines"),
            (
                "sale_create_order",
                {"partner_id": self.acme.id, "lines": [{"product_id": self.bolt.id}]},
                "lines",
            ),
            ("sale_confirm_order", {"order_id": 999999}, "No sale order with id 999999"),
            ("sale_find_customer", {"name": " ! "}, "Say which customer or product"),
            ("sale_order_from_text", {"text": "   "}, "empty"),
        ]
        for name, arguments, expected in cases:
            with self.subTest(tool=name, arguments=arguments):
                self.assertIn(expected, self.error(name, arguments))
