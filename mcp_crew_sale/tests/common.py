"""Shared data: two companies, salespeople in each, a user without sales
rights, look-alike customers and storable products with stock in company A."""

from odoo import Command
from odoo.tests.common import new_test_user

SELLER_GROUPS = "mcp_crew.group_mcp_crew_user,sales_team.group_sale_salesman"


def setup_sale_data(cls):
    """Fill ``cls`` (a test class, in ``setUpClass``) with the records."""
    env = cls.env
    cls.company_a = env.company
    cls.company_b = env["res.company"].create({"name": "Sale Company B"})
    cls.seller = _user(env, "sale_seller_a", SELLER_GROUPS, cls.company_a)
    cls.seller_b = _user(env, "sale_seller_b", SELLER_GROUPS, cls.company_b)
    cls.no_sales = _user(
        env, "sale_no_rights", "base.group_user,mcp_crew.group_mcp_crew_user", cls.company_a
    )
    Partner = env["res.partner"]
    cls.abc_comercio = Partner.create({"name": "ABC Comércio Ltda", "company_id": cls.company_a.id})
    cls.abc_industria = Partner.create(
        {"name": "ABC Indústria S.A.", "company_id": cls.company_a.id}
    )
    cls.acme = Partner.create(
        {"name": "Acme Corporation", "ref": "ACME", "company_id": cls.company_a.id}
    )
    cls.beta_b = Partner.create({"name": "Beta Exclusiva B", "company_id": cls.company_b.id})
    cls.bolt = _product(env, "Parafuso Sextavado M8", "PAR-M8", 2.5)
    cls.nut = _product(env, "Porca M8", "POR-M8", 1.0)
    cls.cable = _product(env, "Cabo Flexível 2,5mm", "CAB-25", 4.0, detailed_type="consu")
    cls.internal = _product(env, "Ferramenta Interna", "INT-1", 9.0, sale_ok=False)
    cls.warehouse = env["stock.warehouse"].search([("company_id", "=", cls.company_a.id)], limit=1)
    Quant = env["stock.quant"]
    Quant._update_available_quantity(cls.bolt, cls.warehouse.lot_stock_id, 100)
    Quant._update_available_quantity(cls.nut, cls.warehouse.lot_stock_id, 5)


def _user(env, login, groups, company):
    return new_test_user(
        env,
        login=login,
        groups=groups,
        company_id=company.id,
        company_ids=[Command.set(company.ids)],
    )


def _product(env, name, code, price, **values):
    return env["product.product"].create(
        dict(
            {
                "name": name,
                "default_code": code,
                "list_price": price,
                "detailed_type": "product",
                "taxes_id": [Command.clear()],
            },
            **values,
        )
    )


def order_lines(order):
    return sorted((line.product_id.default_code, line.product_uom_qty) for line in order.order_line)
