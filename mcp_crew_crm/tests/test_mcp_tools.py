"""The CRM tools through /mcp with the official MCP SDK client, as API-key users."""

from odoo.tests import HttpCase, tagged

from odoo.addons.mcp_crew.tests.common import (
    assert_writes_need_confirmation,
    call_mcp_tool,
    mcp_api_key,
    run_mcp_session,
)

from .common import SAO_PAULO, CrmMixin, iso
from .test_pipeline import DIRECTOR


@tagged("post_install", "-at_install", "mcp_crew_crm")
class TestMcpTools(CrmMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.give_calendar(
            cls.sales_a, cls.working_calendar("SP office", SAO_PAULO, 9, 18, lunch=(12, 13))
        )
        cls.keys = {user: mcp_api_key(user, "crm tests") for user in (cls.sales_a, cls.no_crm)}

    def sdk(self, user, work):
        """Run ``work(session)`` in an initialized SDK session as ``user``."""
        return run_mcp_session(self.base_url() + "/mcp", self.keys[user], work)

    def call(self, name, arguments, user=None):
        result = call_mcp_tool(
            self.base_url() + "/mcp", self.keys[user or self.sales_a], name, arguments
        )
        self.env.invalidate_all()  # the request wrote through its own environment
        return result

    def test_tools_are_listed_with_their_annotations(self):
        async def work(session):
            return await session.list_tools()

        tools = {tool.name: tool for tool in self.sdk(self.sales_a, work).tools}
        propose = tools["crm_propose_meeting_slots"].annotations
        self.assertTrue(propose.readOnlyHint)
        for name in ("crm_book_meeting", "crm_create_contact"):
            with self.subTest(tool=name):
                self.assertFalse(tools[name].annotations.readOnlyHint)
                self.assertFalse(tools[name].annotations.destructiveHint)
        schema = tools["crm_create_contact"].inputSchema
        self.assertEqual(schema["properties"]["source"]["enum"], ["web_form", "email", "manual"])
        self.assertEqual(schema["required"], ["source", "data"])

    def test_create_contact(self):
        result = self.call("crm_create_contact", {"source": "web_form", "data": DIRECTOR})
        self.assertFalse(result.isError, result.content)
        created = result.structuredContent
        self.assertEqual((created["score"], created["band"]), (94, "immediate_contact"))
        lead = self.env["crm.lead"].browse(created["lead_id"])
        self.assertEqual(lead.partner_id.name, "Maria da Silva")
        self.assertEqual(lead.user_id, self.sales_a)
        self.assertEqual(lead.activity_ids.summary, "Immediate sales contact")

        invalid = self.call(
            "crm_create_contact", {"source": "manual", "data": {"email": "maria@@x"}}
        )
        self.assertTrue(invalid.isError)
        self.assertIn("not a valid e-mail", invalid.content[0].text)
        unknown = self.call("crm_create_contact", {"source": "fax", "data": DIRECTOR})
        self.assertTrue(unknown.isError)
        self.assertIn(
            "Invalid arguments for tool crm_create_contact: source", unknown.content[0].text
        )

    def test_crm_writes_need_a_confirmation_this_host_cannot_give(self):
        leads_before = self.env["crm.lead"].search_count([])
        assert_writes_need_confirmation(
            self,
            self.base_url() + "/mcp",
            mcp_api_key(self.sales_a, "crm confirm", writes="confirm"),
            {
                "crm_create_contact": {"source": "web_form", "data": DIRECTOR},
                "crm_book_meeting": {"title": "Demo", "start": "2030-01-14T10:00:00-03:00"},
            },
        )
        self.assertEqual(self.env["crm.lead"].search_count([]), leads_before)

    def test_users_without_crm_rights_get_an_access_error(self):
        leads = self.env["crm.lead"].search_count([])
        result = self.call(
            "crm_create_contact", {"source": "web_form", "data": DIRECTOR}, user=self.no_crm
        )
        self.assertTrue(result.isError)
        self.assertIn("AccessError", result.content[0].text)
        self.assertEqual(self.env["crm.lead"].search_count([]), leads)

    def test_propose_then_book_then_refuse_the_taken_slot(self):
        proposed = self.call(
            "crm_propose_meeting_slots",
            {
                "user_ids": [self.sales_a.id],
                "duration_minutes": 45,
                "window_start": iso(0, 0),
                "window_end": iso(1, 0),
                "part_of_day": "afternoon",
                "max_results": 3,
            },
        )
        self.assertFalse(proposed.isError, proposed.content)
        slots = proposed.structuredContent["slots"]
        self.assertEqual(len(slots), 3)
        best = slots[0]
        self.assertTrue(best["local_start"].startswith(iso(0, 13)[:16]), best)
        lead = self.env["crm.lead"].with_user(self.sales_a).create({"name": "MCP deal"})
        booking = {
            "title": "Discovery call",
            "start": best["start"],
            "end": best["end"],
            "user_ids": [self.sales_a.id],
            "lead_id": lead.id,
        }
        booked = self.call("crm_book_meeting", booking)
        self.assertFalse(booked.isError, booked.content)
        event = self.env["calendar.event"].browse(booked.structuredContent["event_id"])
        self.assertEqual((event.name, event.opportunity_id), ("Discovery call", lead))
        again = self.call("crm_book_meeting", dict(booking, title="Second"))
        self.assertTrue(again.isError)
        self.assertIn("Alice Sales is busy", again.content[0].text)
        self.assertIn("Discovery call", again.content[0].text)
        self.assertFalse(self.env["calendar.event"].search([("name", "=", "Second")]))
