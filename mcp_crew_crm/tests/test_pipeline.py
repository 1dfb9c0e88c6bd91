"""Smart contact intake, stage by stage, as a sales user."""

import datetime as dt
import json

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from odoo.addons.mcp_crew_crm.services import contacts

from ..models.crm_lead import MCP_SOURCES
from ..models.mcp_crm_pipeline import CANDIDATE_LIMIT
from .common import CrmCase

# Scores 94 with the default weights: corporate e-mail, director, phone, company.
DIRECTOR = {
    "nome": "MARIA DA SILVA",
    "e-mail": "Maria@Vendas.Fixa-Tudo.com.br",
    "telefone": "(11) 98765-4321",
    "empresa": "Fixa Tudo Ltda",
    "cargo": "Diretora Comercial",
}
# 68: corporate e-mail, phone and company, no job title.
NO_TITLE = {
    "full_name": "Paulo Souza",
    "email": "paulo@parafusos-sul.com.br",
    "phone": "51 3333-4444",
    "company": "Parafusos Sul",
}
# 9: free mail, nothing else, typed in by hand.
FREE_MAIL = {"name": "joana lima", "email": "joana.lima@gmail.com"}


@tagged("post_install", "-at_install", "mcp_crew_crm")
class TestContactPipeline(CrmCase):
    def run_pipeline(self, raw, source="web_form", user=None, mappings=None):
        pipeline = self.env["mcp.crm.pipeline"].with_user(user or self.sales_a)
        return pipeline.run(raw, source, mappings)

    def lead_of(self, result):
        return self.env["crm.lead"].browse(result["lead_id"])

    def counts(self):
        return (
            self.env["res.partner"].search_count([]),
            self.env["crm.lead"].search_count([]),
        )

    def test_sources_are_the_engines(self):
        self.assertEqual(tuple(key for key, _label in MCP_SOURCES), contacts.SOURCES)

    def test_normalised_values_source_and_every_transformation_are_stored(self):
        result = self.run_pipeline(DIRECTOR)
        lead = self.lead_of(result)
        partner = lead.partner_id
        self.assertTrue(result["partner_created"] and result["lead_created"])
        self.assertEqual(partner.name, "Maria da Silva")
        self.assertEqual(partner.email, "maria@vendas.fixa-tudo.com.br")
        self.assertEqual(partner.phone, "+5511987654321")
        self.assertEqual(partner.function, "Diretora Comercial")
        self.assertEqual(partner.company_id, self.company_a)
        self.assertEqual(lead.mcp_source, "web_form")
        self.assertEqual(lead.email_from, partner.email)
        stored = json.loads(lead.mcp_transformations)
        self.assertEqual(stored, result["transformations"])
        self.assertEqual(
            {(step["field"], step["rule"]) for step in stored},
            {
                ("name", "title_case_name"),
                ("email", "lowercase_email"),
                ("phone", "e164_phone"),
            },
        )
        note = lead.message_ids.filtered(lambda m: "Smart contact intake" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertIn("MARIA DA SILVA", note.body)
        self.assertIn("title_case_name", note.body)
        self.assertIn("Web form", note.body)

    def test_invalid_contact_is_refused_and_nothing_is_created(self):
        before = self.counts()
        cases = [
            ({"name": "Ana", "email": "ana@@acme"}, "not a valid e-mail"),
            ({"phone": "12"}, "A name or an e-mail is required"),
        ]
        for raw, message in cases:
            with self.subTest(raw=raw):
                with self.assertRaisesRegex(ValidationError, message):
                    self.run_pipeline(raw, "manual")
        with self.assertRaisesRegex(ValidationError, "Unknown contact source"):
            self.run_pipeline(DIRECTOR, "fax")
        with self.assertRaisesRegex(ValidationError, "must be a dict"):
            self.run_pipeline(["not", "a", "dict"])
        self.assertEqual(self.counts(), before)

    def test_phone_is_read_for_the_company_country_and_never_invented(self):
        us_company = self.env["res.company"].create(
            {"name": "CRM Company US", "country_id": self.env.ref("base.us").id}
        )
        us_sales = self.user("crm_sales_us", us_company, name="Uma Sales")
        cases = [
            # (who types it, phone typed, stored, problem reported)
            (self.sales_a, "11 98765-4321", "+5511987654321", None),
            (us_sales, "11 98765-4321", "11 98765-4321", "national for US"),
            (us_sales, "+55 11 98765-4321", "+5511987654321", None),
            (self.sales_a, "ligue-me à tarde", "ligue-me à tarde", "national for BR"),
        ]
        for index, (user, typed, stored, problem) in enumerate(cases):
            with self.subTest(typed=typed, company=user.company_id.name):
                raw = {"name": "Phone Case %d" % index, "phone": typed}
                result = self.run_pipeline(raw, "manual", user=user)
                partner = self.env["res.partner"].browse(result["partner_id"])
                self.assertEqual(partner.phone, stored)
                self.assertEqual(partner.company_id, user.company_id)
                messages = [p["message"] for p in result["problems"]]
                if problem:
                    self.assertEqual([p["code"] for p in result["problems"]], ["invalid_phone"])
                    self.assertIn(problem, messages[0])
                    note = self.lead_of(result).message_ids.filtered(
                        lambda m, typed=typed: typed in (m.body or "")
                    )
                    self.assertIn("To fix", note.body)
                else:
                    self.assertEqual(messages, [])

    def test_the_same_email_is_found_among_many_look_alikes(self):
        # Bug fixed with email_normalized: "email ilike" also matched every
        # longer address (joana@, mariana@ for ana@), sorted before the real one,
        # and the candidate limit cut the real one off: a duplicate was created.
        Partner = self.env["res.partner"]
        self.assertTrue(Partner._fields["email_normalized"].index)
        Partner.create(
            [
                {
                    "name": "Ana Look-alike %02d" % index,
                    "email": "x%02dana@acme-tools.com.br" % index,
                }
                for index in range(CANDIDATE_LIMIT)
            ]
        )
        existing = Partner.create({"name": "Zuleica", "email": "Zu <ANA@acme-tools.com.br>"})
        result = self.run_pipeline({"name": "Ana", "email": "ana@acme-tools.com.br"})
        self.assertFalse(result["partner_created"])
        self.assertEqual(result["partner_id"], existing.id)
        self.assertIn("same e-mail", result["duplicates"][0]["reasons"][0])

    def test_existing_partner_with_the_same_email_is_reused(self):
        existing = self.env["res.partner"].create(
            {"name": "Paulo R. Souza", "email": "Paulo <paulo@parafusos-sul.com.br>"}
        )
        first = self.run_pipeline(NO_TITLE)
        self.assertFalse(first["partner_created"])
        self.assertEqual(first["partner_id"], existing.id)
        self.assertTrue(first["duplicates"][0]["same_person"])
        self.assertIn("same e-mail", first["duplicates"][0]["reasons"][0])
        lead = self.lead_of(first)
        self.assertTrue(first["lead_created"])
        self.assertEqual(lead.partner_id, existing)
        # The contact writes again: the inquiry goes to the open lead, no new records.
        before = self.counts()
        second = self.run_pipeline(dict(NO_TITLE, phone="(51) 99999-0000"), "web_form")
        self.assertEqual(self.counts(), before)
        self.assertEqual((second["lead_id"], second["lead_created"]), (lead.id, False))
        self.assertEqual(second["workflow"]["action"], "none")
        self.assertEqual(len(lead.activity_ids), 1)  # only the first inquiry's follow-up
        self.assertTrue(lead.message_ids.filtered(lambda m: "returning contact" in (m.body or "")))
        # the existing partner's data is not overwritten by the inquiry's
        self.assertFalse(existing.phone)

    def test_similar_name_at_the_same_company_is_the_same_person(self):
        company = self.env["res.partner"].create({"name": "Fixa Tudo Ltda", "is_company": True})
        colleague = self.env["res.partner"].create(
            {"name": "Maria Silva", "parent_id": company.id, "email": "msilva@gmail.com"}
        )
        namesake = self.env["res.partner"].create({"name": "Maria da Silva"})
        result = self.run_pipeline(DIRECTOR)
        self.assertEqual(result["partner_id"], colleague.id)
        self.assertFalse(result["partner_created"])
        reasons = result["duplicates"][0]["reasons"][0]
        self.assertIn("same company 'Fixa Tudo Ltda'", reasons)
        # a namesake elsewhere is at most a possible duplicate, never reused
        self.assertNotIn(namesake.id, [d["partner_id"] for d in result["duplicates"][:1]])

    def test_enrichment_creates_then_reuses_the_company_of_the_domain(self):
        first = self.run_pipeline({"name": "Ana Reis", "email": "ana@vendas.acme-tools.com.br"})
        company = self.env["res.partner"].browse(first["company_partner_id"])
        self.assertEqual(company.name, "Acme Tools")
        self.assertTrue(company.is_company)
        self.assertEqual(company.website, "https://acme-tools.com.br")
        self.assertEqual(first["contact"]["company"], "Acme Tools")
        self.assertIn(
            {
                "field": "company",
                "before": "ana@vendas.acme-tools.com.br",
                "after": "Acme Tools",
                "rule": "enrich_from_domain",
            },
            first["transformations"],
        )
        second = self.run_pipeline({"name": "Rui Costa", "email": "rui@acme-tools.com.br"})
        self.assertEqual(second["company_partner_id"], company.id)
        self.assertEqual(self.lead_of(second).partner_name, "Acme Tools")

    def test_enrichment_reuses_an_existing_company_by_website_and_takes_its_name(self):
        company = self.env["res.partner"].create(
            {"name": "ACME Tools Ltda.", "is_company": True, "website": "www.acme-tools.com.br"}
        )
        self.env["res.partner"].create(
            {"name": "Not Acme", "is_company": True, "website": "https://notacme-tools.com.br"}
        )
        result = self.run_pipeline({"name": "Ana Reis", "email": "ana@acme-tools.com.br"})
        self.assertEqual(result["company_partner_id"], company.id)
        self.assertEqual(result["contact"]["company"], "ACME Tools Ltda.")

    def test_score_bands_trigger_their_workflow(self):
        today = fields.Date.context_today(self.env["crm.lead"].with_user(self.sales_a))
        hot = self.run_pipeline(DIRECTOR)
        self.assertEqual((hot["score"], hot["band"]), (94, "immediate_contact"))
        activity = self.lead_of(hot).activity_ids
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_todo"))
        self.assertEqual(activity.summary, "Immediate sales contact")
        self.assertEqual(activity.date_deadline, today)
        self.assertEqual(activity.user_id, self.sales_a)

        warm = self.run_pipeline(NO_TITLE)
        self.assertEqual((warm["score"], warm["band"]), (68, "discovery_call"))
        activity = self.lead_of(warm).activity_ids
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        self.assertEqual(activity.summary, "Discovery call")
        self.assertEqual(activity.date_deadline, today + dt.timedelta(days=3))
        self.assertEqual(warm["workflow"]["activity_id"], activity.id)

        cold = self.run_pipeline(FREE_MAIL, "manual")
        self.assertEqual((cold["score"], cold["band"]), (9, "nurture"))
        lead = self.lead_of(cold)
        self.assertFalse(lead.activity_ids)
        self.assertEqual(lead.tag_ids.mapped("name"), ["nurture"])
        self.assertFalse(lead.partner_id.parent_id)  # free mail says nothing of an employer
        # the tag is created once, then reused
        again = self.run_pipeline({"name": "Caio Dias", "email": "caio@hotmail.com"}, "manual")
        self.assertEqual(self.lead_of(again).tag_ids, lead.tag_ids)

    def test_score_is_stored_with_its_components(self):
        result = self.run_pipeline(DIRECTOR)
        self.assertEqual(self.lead_of(result).mcp_lead_score, 94)
        self.assertEqual(sum(result["components"].values()), 94)
        self.assertEqual(result["components"]["seniority"], 24)

    def test_weight_settings_change_the_score_and_the_band(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("mcp_crew_crm.weight_seniority", "0")
        result = self.run_pipeline(DIRECTOR)
        self.assertEqual((result["score"], result["band"]), (70, "discovery_call"))
        self.assertEqual(result["components"]["seniority"], 0)
        params.set_param("mcp_crew_crm.weight_seniority", "lots")
        with self.assertRaisesRegex(ValidationError, "mcp_crew_crm.weight_seniority"):
            self.run_pipeline(NO_TITLE)
        params.set_param("mcp_crew_crm.weight_seniority", "-5")
        with self.assertRaisesRegex(ValidationError, "non-negative"):
            self.run_pipeline(NO_TITLE)

    def test_partners_of_another_company_are_not_duplicates(self):
        other = self.env["res.partner"].create(
            {
                "name": "Maria da Silva",
                "email": "maria@vendas.fixa-tudo.com.br",
                "company_id": self.company_b.id,
            }
        )
        result = self.run_pipeline(DIRECTOR)
        self.assertTrue(result["partner_created"])
        self.assertNotEqual(result["partner_id"], other.id)
        self.assertEqual(result["duplicates"], [])
        # while company B's user finds them
        seen_by_b = self.run_pipeline(DIRECTOR, user=self.sales_b)
        self.assertEqual(seen_by_b["partner_id"], other.id)
        self.assertEqual(self.lead_of(seen_by_b).company_id, self.company_b)

    def test_user_without_crm_rights_gets_an_access_error(self):
        before = self.counts()
        with self.assertRaises(AccessError):
            self.run_pipeline(DIRECTOR, user=self.no_crm)
        self.assertEqual(self.counts(), before)
