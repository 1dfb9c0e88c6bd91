"""The chat in a real browser (headless Chromium): the QUnit tests of its
components, and a tour that opens the systray chat, asks a question the
knowledge base answers (no LLM needed) and sees the answer."""

from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "mcp_crew")
class TestChatUi(HttpCase):
    def test_qunit_components(self):
        self.browser_js("/web/tests?module=mcp_crew", "", "", login="admin", timeout=600)

    def test_tour_systray_chat_answers_from_knowledge(self):
        self.env["mcp.knowledge"].store(
            {
                "title": "Prazo de devolução",
                "content": "Clientes podem devolver produtos em até 30 dias com a nota fiscal.",
                "knowledge_type": "general_fact",
            }
        )
        self.start_tour("/web", "mcp_crew_chat_tour", login="admin")
        run = self.env["mcp.run"].search([], limit=1)
        self.assertEqual((run.channel, run.route_kind, run.state), ("chat", "knowledge", "done"))
