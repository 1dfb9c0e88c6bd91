"""No-LLM answers: in the request's language, with sources."""

from mcp_crew.services import answers

ITEM = {
    "title": "Prazo de devolução",
    "content": "Clientes podem devolver em até 30 dias. " * 30,
    "confidence": 0.9,
    "source": {"kind": "user", "label": "Política comercial"},
}


def test_knowledge_answer_lists_items_with_source_and_confidence():
    text = answers.knowledge([ITEM, dict(ITEM, title="Outro", source={})], "pt")
    lines = text.splitlines()
    assert lines[0] == "Encontrei isto na base de conhecimento:"
    assert lines[1].startswith("1. Prazo de devolução — Clientes podem devolver")
    assert lines[1].endswith("(fonte: Política comercial, confiança 90%)")
    assert lines[2].endswith("(confiança 90%)")
    # Long content is cut at a word boundary.
    body = lines[1].split(" — ", 1)[1]
    assert len(body) < answers.EXCERPT + 60 and " … (" in body


def test_unknown_language_falls_back_to_english():
    assert answers.text("llm_required", "simple").startswith("Neither the knowledge base")
    assert answers.knowledge([ITEM], "en").startswith("This is what the knowledge base says:")


def test_tool_answers():
    assert answers.tool_result("add", '{"sum": 3}', False, "en") == 'Result of add:\n{"sum": 3}'
    assert answers.tool_result("fail", "boom", True, "pt").startswith(
        "A ferramenta fail relatou um erro:"
    )
    hint = answers.tool_needs_arguments("add", ["a", "b"], "en")
    assert hint == 'Tool add needs the arguments a, b. Send: /tool add {"a": ...}'
    assert answers.failure("x", "pt") == "Não foi possível responder: x"
