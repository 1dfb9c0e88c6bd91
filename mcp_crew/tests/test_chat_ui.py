"""The chat in a real browser (headless Chromium): the QUnit tests of its
components, and a tour that opens the systray chat, asks a question the
knowledge base answers (no LLM needed) and sees the answer."""

from odoo.tests import HttpCase, tagged

from odoo.addons.mcp_crew.models.mcp_run_states import RunState


@tagged("post_install", "-at_install", "mcp_crew")
class TestChatUi(HttpCase):
    def test_qunit_components(self):
        self.browser_js("/web/tests?module=mcp_crew", "", "", login="admin", timeout=600)

    def store_returns_policy(self):
        self.env["mcp.knowledge"].store(
            {
                "title": "Prazo de devolução",
                "content": "Clientes podem devolver produtos em até 30 dias com a nota fiscal.",
                "knowledge_type": "general_fact",
            }
        )

    def test_tour_systray_chat_answers_from_knowledge(self):
        self.store_returns_policy()
        self.start_tour("/web", "mcp_crew_chat_tour", login="admin")
        run = self.env["mcp.run"].search([], limit=1)
        self.assertEqual(
            (run.channel, run.route_kind, run.state), ("chat", "knowledge", RunState.DONE)
        )

    def test_tour_chatter_asks_about_the_record_and_posts_the_answer(self):
        self.store_returns_policy()
        partner = self.env["res.partner"].create({"name": "Acme Chatter"})
        url = "/web#model=res.partner&id=%d&view_type=form" % partner.id
        self.start_tour(url, "mcp_crew_chatter_tour", login="admin")
        run = self.env["mcp.run"].search([], limit=1)
        self.assertEqual(
            (run.channel, run.res_model, run.res_id), ("chatter", "res.partner", partner.id)
        )
        notes = partner.message_ids.filtered(lambda m: "30 dias" in (m.body or ""))
        self.assertEqual(notes.subtype_id, self.env.ref("mail.mt_note"))
