"""The ``create_sale_order`` intent: "criar uma ordem de venda para o cliente
ABC com 3 unidades do produto XYZ" answered by ``mcp.sale.agent``, no LLM."""

from odoo import api, models

INTENT = "create_sale_order"
_PT_QUESTION = r"(?:como|qual|quais|quanto|quantos|quantas|quando|onde|por\s*que|porque|o\s+que)"
_EN_QUESTION = r"(?:how|what|which|why|when|where|who|is|are|does|do)"
# An order phrase right after an imperative ("crie uma nova ordem de venda",
# "create a sales order"): a verb followed by an invoice, a report or a
# purchase order is someone else's request.
PATTERNS = (
    r"^(?!\s*%s\b).*\b(?:cri(?:ar|e|a)|ger(?:ar|e)|fa(?:zer|[çc]a)|lan[çc](?:ar|e)|"
    r"registr(?:ar|e)|abr(?:ir|a)|emit(?:ir|a)|inclu(?:ir|a)|quero|nov[oa])"
    r"\s+(?:(?:um|uma|o|a|nov[oa])\s+)*(?:ordem|pedido|cota[çc][ãa]o|or[çc]amento)"
    r"(?!\s+de\s+compras?)\b" % _PT_QUESTION,
    r"^(?!\s*%s\b).*\b(?:create|make|place|open|raise|enter|add|register|generate|new)"
    r"\s+(?:(?:a|an|the|new)\s+)*(?:sales?\s+order|quotation|quote|order\b.*\b(?:customer|client))"
    % _EN_QUESTION,
    r"^\s*(?:por\s+favor,?\s*)?(?:vend(?:er|a|e)|sell)\b.*\b(?:cliente|customer|client)\b",
)


class McpRun(models.Model):
    _inherit = "mcp.run"

    @api.model
    def _routing_intents(self):
        return super()._routing_intents() + [
            (
                INTENT,
                "Create a draft sale order for a customer with products and quantities. "
                "Criar um pedido de venda em rascunho para um cliente com produtos e quantidades.",
                PATTERNS,
            )
        ]

    def _intent_create_sale_order(self, decision):
        agent = self.env["mcp.sale.agent"]
        return agent.order_from_text(self.message, language=self.language)["summary"]
