"""The sentences runs answer with when no LLM writes them: worded by _() in the
request's language from the .po files, whether or not that language is installed."""

from odoo.tests import TransactionCase, tagged

from odoo.addons.mcp_crew.models.run_sentences import sayer, sentences
from odoo.addons.mcp_crew.services import answers

ITEM = {
    "title": "Prazo de devolução",
    "content": "Clientes podem devolver em até 30 dias. " * 30,
    "confidence": 0.9,
    "source": {"kind": "user", "label": "Política comercial"},
}


@tagged("post_install", "-at_install", "mcp_crew")
class TestRunSentences(TransactionCase):
    def test_every_sentence_the_engine_asks_for_is_worded_in_both_languages(self):
        for language in ("pt", "en"):
            worded = sentences(language)
            self.assertEqual(set(worded), set(answers.SENTENCES))
            for key, names in answers.SENTENCES.items():
                text = worded[key] % {name: "<%s>" % name for name in names}
                for name in names:
                    self.assertIn("<%s>" % name, text, (language, key))
        english, portuguese = sentences("en"), sentences("pt")
        untranslated = [key for key in english if english[key] == portuguese[key]]
        self.assertEqual(untranslated, [])

    def test_knowledge_answer_in_portuguese(self):
        text = answers.knowledge([ITEM, dict(ITEM, title="Outro", source={})], sayer("pt"))
        lines = text.splitlines()
        self.assertEqual(lines[0], "Encontrei isto na base de conhecimento:")
        self.assertTrue(lines[1].startswith("1. Prazo de devolução — Clientes podem devolver"))
        self.assertTrue(lines[1].endswith("(fonte: Política comercial, confiança 90%)"), lines[1])
        self.assertTrue(lines[2].endswith("(confiança 90%)"))

    def test_unknown_language_falls_back_to_english(self):
        self.assertTrue(sayer("simple")("llm_required").startswith("Neither the knowledge base"))
        self.assertTrue(
            answers.knowledge([ITEM], sayer("en")).startswith(
                "This is what the knowledge base says:"
            )
        )

    def test_tool_answers(self):
        self.assertEqual(
            answers.tool_result("add", '{"sum": 3}', False, sayer("en")),
            'Result of add:\n{"sum": 3}',
        )
        self.assertTrue(
            answers.tool_result("fail", "boom", True, sayer("pt")).startswith(
                "A ferramenta fail relatou um erro:"
            )
        )
        self.assertEqual(
            answers.tool_needs_arguments("add", ["a", "b"], sayer("en")),
            'Tool add needs the arguments a, b. Send: /tool add {"a": ...}',
        )
        self.assertEqual(sayer("pt")("failure", error="x"), "Não foi possível responder: x")
