"""Smart contact intake from the CRM menu."""

import json

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import CrmCase


@tagged("post_install", "-at_install", "mcp_crew_crm")
class TestContactWizard(CrmCase):
    def wizard(self, **values):
        return self.env["mcp.crm.contact.wizard"].with_user(self.sales_a).create(values)

    def test_menu_opens_the_wizard_for_sales_users(self):
        menu = self.env.ref("mcp_crew_crm.mcp_crm_contact_intake_menu")
        self.assertEqual(menu.parent_id, self.env.ref("crm.crm_menu_sales"))
        self.assertEqual(menu.action.res_model, "mcp.crm.contact.wizard")
        visible = self.env["ir.ui.menu"].with_user(self.sales_a)._visible_menu_ids()
        self.assertIn(menu.id, visible)
        hidden = self.env["ir.ui.menu"].with_user(self.no_crm)._visible_menu_ids()
        self.assertNotIn(menu.id, hidden)

    def test_form_fields_run_the_pipeline_and_open_the_lead(self):
        action = self.wizard(
            source="email",
            name="ANA REIS",
            email="Ana@Acme-Tools.com.br",
            phone="(11) 3333-4444",
            job_title="CEO",
        ).action_run()
        self.assertEqual((action["res_model"], action["views"]), ("crm.lead", [(False, "form")]))
        lead = self.env["crm.lead"].browse(action["res_id"])
        self.assertEqual(lead.mcp_source, "email")
        self.assertEqual(lead.partner_id.name, "Ana Reis")
        self.assertEqual(lead.partner_id.phone, "+551133334444")
        self.assertEqual(lead.partner_id.parent_id.name, "Acme Tools")
        self.assertEqual(lead.mcp_lead_score, 94)
        self.assertEqual(lead.activity_ids.summary, "Immediate sales contact")

    def test_raw_json_uses_the_sources_keys(self):
        raw = {
            "from": "Rui Costa <rui@parafusos-sul.com.br>",
            "signature": "Gerente | Parafusos Sul",
        }
        action = self.wizard(source="email", raw_data=json.dumps(raw)).action_run()
        lead = self.env["crm.lead"].browse(action["res_id"])
        self.assertEqual(lead.partner_id.name, "Rui Costa")
        self.assertEqual(lead.partner_id.function, "Gerente")
        self.assertEqual(lead.partner_name, "Parafusos Sul")

    def test_bad_input_is_explained(self):
        cases = [
            ({"raw_data": "{not json"}, "not valid JSON"),
            ({"raw_data": "[1, 2]"}, "JSON object"),
            ({}, "Enter the contact's details"),
        ]
        for values, message in cases:
            with self.subTest(values=values):
                with self.assertRaisesRegex(UserError, message):
                    self.wizard(source="manual", **values).action_run()

    def test_users_without_crm_rights_cannot_use_it(self):
        with self.assertRaises(AccessError):
            self.env["mcp.crm.contact.wizard"].with_user(self.no_crm).create({"name": "X"})
