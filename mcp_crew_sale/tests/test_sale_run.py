"""``mcp.run.ask`` routes order requests to the ``create_sale_order`` intent
and answers them without an LLM."""

from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from .common import order_lines, setup_sale_data


@tagged("post_install", "-at_install", "mcp_crew_sale")
class TestSaleRun(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_sale_data(cls)

    def ask(self, message, user=None):
        return self.env["mcp.run"].with_user(user or self.seller).ask(message)

    def last_order(self):
        return self.env["sale.order"].search([("create_uid", "=", self.seller.id)], limit=1)

    def test_portuguese_request_is_answered_by_the_intent(self):
        result = self.ask(
            "Crie uma ordem de venda para o cliente Acme com 3 unidades do produto PAR-M8"
        )
        self.assertEqual(result["status"], "done", result)
        self.assertEqual(
            (result["route"]["kind"], result["route"]["name"]), ("intent", "create_sale_order")
        )
        self.assertEqual(result["usage"]["total_tokens"], 0)
        order = self.last_order()
        self.assertEqual((order.state, order.partner_id), ("draft", self.acme))
        self.assertEqual(order_lines(order), [("PAR-M8", 3.0)])
        self.assertIn("Criei o pedido de venda %s" % order.name, result["answer"])
        step = result["steps"][-1]
        self.assertEqual(
            (step["kind"], step["name"], step["status"]), ("intent", "create_sale_order", "ok")
        )

    def test_english_request_is_answered_in_english(self):
        result = self.ask(
            "create a sale order for customer ACME with 3 units of product Porca M8 "
            "and 1 unit of PAR-M8"
        )
        self.assertEqual(result["route"]["name"], "create_sale_order")
        order = self.last_order()
        self.assertEqual(order_lines(order), [("PAR-M8", 1.0), ("POR-M8", 3.0)])
        self.assertIn("I created sale order %s" % order.name, result["answer"])

    def test_ambiguous_request_is_a_question_and_creates_nothing(self):
        result = self.ask("Crie uma ordem de venda para o cliente ABC com 3 unidades de PAR-M8")
        self.assertEqual(result["status"], "done")
        self.assertIn("Não criei o pedido de venda", result["answer"])
        self.assertIn("ABC Comércio Ltda", result["answer"])
        self.assertIn("ABC Indústria S.A.", result["answer"])
        self.assertFalse(self.last_order())

    def test_a_user_without_sales_rights_gets_a_failed_run_and_no_order(self):
        before = self.env["sale.order"].search_count([])
        result = self.ask(
            "Crie uma ordem de venda para o cliente Acme com 3 unidades de PAR-M8",
            user=self.no_sales,
        )
        self.assertEqual(result["status"], "failed")
        self.assertEqual(result["route"]["name"], "create_sale_order")
        self.assertIn("Sales", result["error"])  # Odoo's access error names the group
        self.assertEqual(result["steps"][-1]["status"], "error")
        self.assertEqual(self.env["sale.order"].search_count([]), before)

    def test_questions_about_orders_are_not_order_requests(self):
        for message in ("Como criar uma ordem de venda?", "Create a purchase order for Acme"):
            with self.subTest(message=message):
                route = self.ask(message)["route"]
                self.assertNotEqual(route["name"], "create_sale_order")
        self.assertFalse(self.last_order())
