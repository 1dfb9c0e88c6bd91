"""The core's public engine interface (services/public.py) and its text helpers."""

import pytest

from mcp_crew.services import public, text


def test_the_public_interface_is_what_its_all_says():
    assert sorted(public.__all__) == sorted(
        name for name in vars(public) if not name.startswith("_") and name != "NamedTuple"
    )
    assert public.InvalidRequest.__module__ == "mcp_crew.services.errors"
    assert public.Message("review") == ("review", {})


def test_one_email_pattern_validates_and_finds():
    assert text.is_valid_email("ana.silva+crm@vendas.acme.com.br")
    assert not text.is_valid_email("ana@localhost")
    assert not text.is_valid_email("a" * 65 + "@acme.com")
    found = text.find_emails("Escreva para ana@lima.com.br: ou BOB@X.IO, não para @x.com")
    assert [match.group() for match in found] == ["ana@lima.com.br", "BOB@X.IO"]


@pytest.mark.parametrize(
    "message,markers,language",
    [
        ("Qual é o prazo de devolução dos pedidos?", None, "pt"),
        ("What is the return policy of the store?", None, "en"),
        ("Create a sale order", None, "simple"),
        # short domain requests need the caller's own words
        ("Create a sale order", {"en": {"create", "sale", "order"}}, "en"),
        ("criar pedido cliente ABC", {"pt": {"criar", "pedido", "cliente"}}, "pt"),
        ("criar pedido", {"en": {"create"}}, "simple"),
    ],
)
def test_one_language_detector(message, markers, language):
    assert text.detect_language(message, markers=markers) == language


def test_the_knowledge_engine_uses_the_same_helpers():
    from mcp_crew.services.knowledge import text as knowledge_text

    assert knowledge_text.detect_language is text.detect_language
    assert knowledge_text.words is text.words
