"""No-LLM answers: their layout, with the sentences an adapter words (the Odoo
test ``TestRunSentences`` checks the Portuguese and English words)."""

from mcp_crew.services import answers

ITEM = {
    "title": "Prazo de devolução",
    "content": "Clientes podem devolver em até 30 dias. " * 30,
    "confidence": 0.9,
    "source": {"kind": "user", "label": "Política comercial"},
}


def say(key, **values):
    """Every sentence key with its values, so the layout shows what was asked."""
    assert set(values) == set(answers.SENTENCES[key]), (key, values)
    return "<%s%s>" % (key, "".join(" %s=%s" % item for item in sorted(values.items())))


def test_knowledge_answer_lists_items_with_source_and_confidence():
    text = answers.knowledge([ITEM, dict(ITEM, title="Outro", source={})], say)
    lines = text.splitlines()
    assert lines[0] == "<knowledge_intro>"
    assert lines[1].startswith("1. Prazo de devolução — Clientes podem devolver")
    assert lines[1].endswith("(<source origin=Política comercial>, <confidence percent=90>)")
    assert lines[2].endswith("(<confidence percent=90>)")
    # Long content is cut at a word boundary.
    body = lines[1].split(" — ", 1)[1]
    assert len(body) < answers.EXCERPT + 80 and " … (" in body


def test_tool_answers():
    assert (
        answers.tool_result("add", '{"sum": 3}', False, say) == '<tool_result tool=add>\n{"sum": 3}'
    )
    assert answers.tool_result("fail", "boom", True, say) == "<tool_error tool=fail>\nboom"
    hint = answers.tool_needs_arguments("add", ["a", "b"], say)
    assert hint == "<tool_needs_arguments first=a missing=a, b tool=add>"
