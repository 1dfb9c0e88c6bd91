"""``mcp.sale.agent``: a sentence becomes a draft order — or a question — as the
requesting user, within their rights and company."""

import json

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tests.common import TransactionCase
from odoo.tools import file_open

from .common import order_lines, setup_sale_data


@tagged("post_install", "-at_install", "mcp_crew_sale")
class TestSaleAgent(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_sale_data(cls)

    def order_from_text(self, text, user=None):
        return self.env["mcp.sale.agent"].with_user(user or self.seller).order_from_text(text)

    def order_count(self):
        return self.env["sale.order"].search_count([])

    def test_portuguese_request_creates_a_draft_order(self):
        result = self.order_from_text(
            "criar uma ordem de venda para o cliente Acme com 3 unidades do produto PAR-M8 "
            "e 2 unidades de Porca M8"
        )
        self.assertEqual(result["status"], "created", result["summary"])
        order = self.env["sale.order"].browse(result["order"]["id"])
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.partner_id, self.acme)
        self.assertEqual(order.company_id, self.company_a)
        self.assertEqual(order.user_id, self.seller)
        self.assertEqual(order.create_uid, self.seller)
        self.assertEqual(order_lines(order), [("PAR-M8", 3.0), ("POR-M8", 2.0)])
        self.assertAlmostEqual(order.amount_total, 9.5)
        self.assertEqual(result["order"]["name"], order.name)
        self.assertEqual(result["language"], "pt")
        self.assertIn(
            "Criei o pedido de venda %s para Acme Corporation" % order.name, result["summary"]
        )
        self.assertIn("3 × Parafuso Sextavado M8", result["summary"])
        self.assertNotIn("Estoque insuficiente", result["summary"])
        self.assertTrue(all(line["stock"]["enough"] for line in result["lines"]))

    def test_english_request_with_a_quoted_customer(self):
        result = self.order_from_text(
            'create a sale order for customer "Acme Corporation" with 4 units of product '
            "Parafuso Sextavado and two units of POR-M8"
        )
        self.assertEqual(result["status"], "created", result["summary"])
        order = self.env["sale.order"].browse(result["order"]["id"])
        self.assertEqual((order.state, order.partner_id), ("draft", self.acme))
        self.assertEqual(order_lines(order), [("PAR-M8", 4.0), ("POR-M8", 2.0)])
        self.assertTrue(result["summary"].startswith("I created sale order %s" % order.name))
        self.assertIn("not confirmed", result["summary"])

    def test_ambiguous_customer_creates_nothing_and_lists_the_candidates(self):
        before = self.order_count()
        result = self.order_from_text(
            "criar ordem de venda para o cliente ABC com 1 unidade de PAR-M8"
        )
        self.assertEqual(result["status"], "needs_input")
        self.assertIsNone(result["order"])
        self.assertEqual(self.order_count(), before)
        customer = result["customer"]
        self.assertEqual((customer["status"], customer["reason"]), ("ambiguous", "close_scores"))
        self.assertEqual(
            {c["id"] for c in customer["candidates"]},
            {self.abc_comercio.id, self.abc_industria.id},
        )
        self.assertTrue(all(c["score"] > 0 for c in customer["candidates"]))
        self.assertIn('mais de um cliente corresponde a "ABC"', result["summary"])
        self.assertIn("ABC Comércio Ltda (id %d)" % self.abc_comercio.id, result["summary"])
        self.assertIn("ABC Indústria S.A. (id %d)" % self.abc_industria.id, result["summary"])
        # A more precise name settles it.
        result = self.order_from_text(
            "criar ordem de venda para o cliente ABC Industria com 1 unidade de PAR-M8"
        )
        self.assertEqual(result["status"], "created", result["summary"])
        self.assertEqual(result["order"]["partner"]["id"], self.abc_industria.id)

    def test_unknown_or_unsaleable_product_creates_nothing_and_says_which(self):
        before = self.order_count()
        result = self.order_from_text(
            "create a sale order for customer Acme with 2 units of product Martelo Pneumatico "
            "and 1 unit of PAR-M8 and 1 unit of Ferramenta Interna"
        )
        self.assertEqual(result["status"], "needs_input")
        self.assertEqual(self.order_count(), before)
        statuses = [(line["query"], line["status"]) for line in result["lines"]]
        self.assertEqual(
            statuses,
            [
                ("Martelo Pneumatico", "unknown"),
                ("PAR-M8", "unique"),
                ("Ferramenta Interna", "unknown"),
            ],
        )
        self.assertIn('no product matches "Martelo Pneumatico"', result["summary"])
        self.assertIn('no product matches "Ferramenta Interna"', result["summary"])
        self.assertNotIn("PAR-M8", result["summary"])

    def test_insufficient_stock_still_creates_the_draft_and_flags_the_line(self):
        result = self.order_from_text(
            "criar ordem de venda para o cliente Acme com 10 unidades de Porca M8 "
            "e 1 unidade de Cabo Flexivel"
        )
        self.assertEqual(result["status"], "created", result["summary"])
        order = self.env["sale.order"].browse(result["order"]["id"])
        self.assertEqual(order.state, "draft")  # never confirmed by the flow
        self.assertEqual(order_lines(order), [("CAB-25", 1.0), ("POR-M8", 10.0)])
        nut, cable = result["lines"]
        self.assertEqual(
            (nut["stock"]["enough"], nut["stock"]["available"], nut["stock"]["qty_available"]),
            (False, 5.0, 5.0),
        )
        self.assertEqual(nut["stock"]["warehouse"], self.warehouse.name)
        self.assertEqual((cable["stock"]["tracked"], cable["stock"]["enough"]), (False, True))
        self.assertIn(
            "Estoque insuficiente de Porca M8: pedido 10, disponível 5", result["summary"]
        )
        self.assertNotIn("Estoque insuficiente de Cabo", result["summary"])

    def test_units_named_in_the_request(self):
        result = self.order_from_text(
            "criar ordem de venda para o cliente Acme com 1 dúzia de Porca M8 e 2 caixas de PAR-M8"
        )
        self.assertEqual(result["status"], "created", result["summary"])
        order = self.env["sale.order"].browse(result["order"]["id"])
        by_code = {line.product_id.default_code: line for line in order.order_line}
        self.assertEqual(by_code["POR-M8"].product_uom, self.env.ref("uom.product_uom_dozen"))
        self.assertEqual(by_code["PAR-M8"].product_uom, self.bolt.uom_id)
        nut = result["lines"][0]
        self.assertEqual((nut["stock"]["quantity"], nut["stock"]["enough"]), (12.0, False))
        self.assertIn('A unidade "box" não existe para Parafuso Sextavado M8', result["summary"])

    def test_missing_customer_or_lines_are_asked_for(self):
        before = self.order_count()
        result = self.order_from_text("criar ordem de venda com 2 unidades de PAR-M8")
        self.assertEqual((result["status"], result["missing"]), ("needs_input", ["customer"]))
        self.assertIn("não identifiquei o cliente", result["summary"])
        result = self.order_from_text("create a sale order for customer Acme")
        self.assertEqual(result["missing"], ["lines"])
        self.assertIn("I could not tell the products and quantities", result["summary"])
        self.assertEqual(self.order_count(), before)

    def test_bad_input_is_refused(self):
        for text in ("   ", None, "x" * 5000):
            with self.subTest(text=str(text)[:10]), self.assertRaises(ValidationError):
                self.order_from_text(text)

    def test_a_user_without_sales_rights_gets_an_access_error(self):
        before = self.order_count()
        with self.assertRaises(AccessError):
            self.order_from_text(
                "criar ordem de venda para o cliente Acme com 3 unidades de PAR-M8",
                user=self.no_sales,
            )
        self.assertEqual(self.order_count(), before)

    def test_companies_are_isolated(self):
        text = "create a sale order for customer Beta Exclusiva B with 1 unit of PAR-M8"
        result = self.order_from_text(text)
        self.assertEqual(result["customer"]["status"], "unknown")
        self.assertIsNone(result["order"])
        result = self.order_from_text(text, user=self.seller_b)
        self.assertEqual(result["status"], "created", result["summary"])
        order = self.env["sale.order"].browse(result["order"]["id"])
        self.assertEqual((order.partner_id, order.company_id), (self.beta_b, self.company_b))
        agent = self.env["mcp.sale.agent"].with_user(self.seller)
        with self.assertRaisesRegex(UserError, "No customer with id"):
            agent._visible("customer", self.beta_b.id)


@tagged("post_install", "-at_install", "mcp_crew_sale")
class TestSaleSummaries(TransactionCase):
    """The engine's messages (order_text.explain) worded by ``_()`` and i18n/pt_BR.po,
    in the request's language whatever languages the database has installed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The engine test's outcomes (mcp_crew_sale/services/tests/test_order_text.py).
        with file_open("mcp_crew_sale/services/tests/summary_outcomes.json") as outcomes:
            cls.outcomes = json.load(outcomes)

    def summary(self, name, language):
        outcome = dict(self.outcomes[name], language=language)
        return self.env["mcp.sale.agent"]._summary(outcome)

    def test_summary_of_a_created_order_flags_short_stock(self):
        summary = self.summary("created_short_stock", "pt")
        self.assertIn("S00012", summary)
        self.assertIn("ABC Ltda", summary)
        self.assertIn("rascunho", summary)
        self.assertIn("10 × Parafuso", summary)
        self.assertIn("25.00 BRL", summary)
        self.assertIn("Estoque insuficiente de Parafuso: pedido 10, disponível 4 Units.", summary)
        self.assertIn('A unidade "box" não existe para Parafuso; usei Units.', summary)
        english = self.summary("created_short_stock", "en")
        self.assertIn("Not enough stock of Parafuso: 10 ordered, 4 Units available.", english)

    def test_summary_of_what_needs_an_answer(self):
        summary = self.summary("ambiguous_and_unknown", "pt")
        self.assertTrue(summary.startswith("Não criei o pedido de venda:"))
        self.assertIn(
            'mais de um cliente corresponde a "ABC": ABC Comércio (id 1), ABC SA (id 2)', summary
        )
        self.assertIn('nenhum produto corresponde a "Martelo"', summary)
        english = self.summary("nothing_named", "en")
        self.assertIn("I could not tell the customer", english)
        self.assertIn("I could not tell the products and quantities", english)
