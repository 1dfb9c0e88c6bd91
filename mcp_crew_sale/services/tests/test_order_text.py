"""Tests for mcp_crew_sale.services.order_text: order requests in plain words
and fuzzy matching of names to records."""

import json
import pathlib

import pytest

from mcp_crew.services.errors import InvalidRequest
from mcp_crew.services.public import Message
from mcp_crew_sale.services import order_text
from mcp_crew_sale.services.order_text import (
    Match,
    OrderLine,
    parse_order_request,
    rank_matches,
    resolve,
)

# -- reading requests ------------------------------------------------------------------

PARSE_CASES = [
    (
        "criar uma ordem de venda para o cliente ABC com 3 unidades do produto XYZ",
        "ABC",
        [("XYZ", 3, "unit")],
        "pt",
    ),
    (
        "create a sale order for customer ABC with 3 units of product XYZ",
        "ABC",
        [("XYZ", 3, "unit")],
        "en",
    ),
    (
        'Crie um pedido de venda para o cliente "ABC Comércio, Ltda" com 3 unidades do '
        "produto XYZ e 2 caixas de DEF",
        "ABC Comércio, Ltda",
        [("XYZ", 3, "unit"), ("DEF", 2, "box")],
        "pt",
    ),
    (
        "create a sales order for client 'Acme Corp' with 3 units of product XYZ "
        "and 2 boxes of ABC",
        "Acme Corp",
        [("XYZ", 3, "unit"), ("ABC", 2, "box")],
        "en",
    ),
    (
        "nova cotação para cliente ABC: 3 x XYZ, 2 x DEF",
        "ABC",
        [("XYZ", 3, None), ("DEF", 2, None)],
        "pt",
    ),
    (
        "vender três parafusos M8 para o cliente Zeta",
        "Zeta",
        [("parafusos M8", 3, None)],
        "pt",
    ),
    ("sell three units of XYZ to customer ABC", "ABC", [("XYZ", 3, "unit")], "en"),
    # No "customer" keyword: "for <name> with …" right after the order phrase.
    ("create a sale order for Acme with 10 units of product B", "Acme", [("B", 10, "unit")], "en"),
    (
        "criar pedido para ABC: 2,5 kg de Farinha e uma dúzia de Ovos",
        "ABC",
        [("Farinha", 2.5, "kg"), ("Ovos", 1, "dozen")],
        "pt",
    ),
    (
        "Create a sale order for customer ABC with a box of Widgets and 1,500 units of Screws",
        "ABC",
        [("Widgets", 1, "box"), ("Screws", 1500, "unit")],
        "en",
    ),
    # "o produto XYZ" without a number: one.
    ("criar ordem de venda para o cliente ABC com o produto XYZ", "ABC", [("XYZ", 1, None)], "pt"),
    # One line per text line, "product x quantity" too.
    (
        "pedido de venda\ncliente: Acme\n3 x PAR-M8\nPorca M8 x 4",
        "Acme",
        [("PAR-M8", 3, None), ("Porca M8", 4, None)],
        "pt",
    ),
    (
        "create a sale order for customer Smith and Sons with 2 units of XYZ",
        "Smith and Sons",
        [("XYZ", 2, "unit")],
        "en",
    ),
    (
        "criar ordem de venda para o cliente ABC 3 unidades de XYZ",
        "ABC",
        [("XYZ", 3, "unit")],
        "pt",
    ),
    ("order 5 x XYZ for customer ABC", "ABC", [("XYZ", 5, None)], "en"),
    (
        "Please create a sale order for the customer ACME with two units of product XYZ "
        "and one unit of product ABC",
        "ACME",
        [("XYZ", 2, "unit"), ("ABC", 1, "unit")],
        "en",
    ),
    (
        "Quero uma cotação para a Padaria Pão Quente com 10 kg de Farinha",
        "Padaria Pão Quente",
        [("Farinha", 10, "kg")],
        "pt",
    ),
    # Names keep what looks like keywords when quoted: "3 x 4", "Três".
    (
        "criar pedido de venda para o cliente “Loja Três Irmãos” com três unidades do "
        "produto “Caixa 3 x 4”",
        "Loja Três Irmãos",
        [("Caixa 3 x 4", 3, "unit")],
        "pt",
    ),
    # "com" inside a product name and a code with digits are not separators.
    (
        "Crie uma ordem de venda para o cliente ABC com 3 unidades do produto BH-200 "
        "e 2 unidades de Café com Leite",
        "ABC",
        [("BH-200", 3, "unit"), ("Café com Leite", 2, "unit")],
        "pt",
    ),
    (
        "create a quotation for customer Joe's Diner with 2 x Coffee, 1 Tea please.",
        "Joe's Diner",
        [("Coffee", 2, None), ("Tea", 1, None)],
        "en",
    ),
    (
        "criar ordem de venda para o cliente ABC com 3 unidades de XYZ e mais 2 caixas de DEF",
        "ABC",
        [("XYZ", 3, "unit"), ("DEF", 2, "box")],
        "pt",
    ),
    (
        "criar ordem de venda para o cliente ABC com 1.000 unidades de Cabo 2,5mm",
        "ABC",
        [("Cabo 2,5mm", 1000, "unit")],
        "pt",
    ),
]


@pytest.mark.parametrize("text,customer,lines,language", PARSE_CASES)
def test_requests_are_read_in_portuguese_and_english(text, customer, lines, language):
    request = parse_order_request(text)
    assert request.customer == customer
    assert [(line.product, line.quantity, line.uom_hint) for line in request.lines] == lines
    assert request.language == language
    assert request.missing == ()


def test_missing_customer_is_left_for_the_caller_to_ask():
    request = parse_order_request("criar ordem de venda com duas unidades do produto XYZ")
    assert request.customer is None
    assert request.lines == (OrderLine("XYZ", 2.0, "unit"),)
    assert request.missing == ("customer",)


def test_missing_lines_and_nothing_at_all():
    request = parse_order_request("criar uma ordem de venda para o cliente ABC")
    assert (request.customer, request.lines, request.missing) == ("ABC", (), ("lines",))
    request = parse_order_request("Create a sale order")
    assert request.missing == ("customer", "lines")
    assert request.language == "en"


def test_zero_quantities_are_not_lines():
    request = parse_order_request("criar ordem de venda para o cliente ABC com 0 unidades de XYZ")
    assert request.lines == ()


def test_the_order_phrase_is_never_a_line():
    # "uma" is a number word, "uma ordem de venda" is not one order of "de venda".
    request = parse_order_request(
        "criar uma ordem de venda para o cliente ABC com uma caixa de XYZ"
    )
    assert request.lines == (OrderLine("XYZ", 1.0, "box"),)


def test_request_as_dict_is_plain_json():
    request = parse_order_request("create a sale order for customer ABC with 3 units of XYZ")
    assert request.as_dict() == {
        "customer": "ABC",
        "lines": [{"product": "XYZ", "quantity": 3.0, "uom_hint": "unit"}],
        "language": "en",
    }


@pytest.mark.parametrize("text", ["", "   \n ", None, 42, "x" * (order_text.MAX_TEXT + 1)])
def test_bad_input_is_refused_with_a_reason(text):
    with pytest.raises(InvalidRequest):
        parse_order_request(text)


@pytest.mark.parametrize(
    "token,language,expected",
    [
        ("3", "pt", 3.0),
        ("2,5", "pt", 2.5),
        ("2.5", "en", 2.5),
        ("1.500", "pt", 1500.0),
        ("1.500", "en", 1.5),
        ("1,500", "en", 1500.0),
        ("três", "pt", 3.0),
        ("duas", "pt", 2.0),
        ("twelve", "en", 12.0),
        ("many", "en", None),
    ],
)
def test_quantities_digits_and_words(token, language, expected):
    assert order_text.parse_quantity(token, language) == expected


def test_language_is_guessed_from_marker_words():
    assert order_text.detect_language("3 unidades do produto XYZ para o cliente") == "pt"
    assert order_text.detect_language("3 units of product XYZ for the customer") == "en"
    assert order_text.detect_language("3 XYZ") == "simple"


def test_unit_hints_match_unit_names():
    assert order_text.uom_hint_matches("dozen", "Dozens")
    assert order_text.uom_hint_matches("kg", "kg")
    assert order_text.uom_hint_matches("l", "L")
    assert not order_text.uom_hint_matches("box", "Units")
    assert not order_text.uom_hint_matches(None, "Units")


# -- matching names -----------------------------------------------------------------------

CUSTOMERS = [
    (1, "ABC Comércio Ltda", None),
    (2, "ABC Indústria S.A.", None),
    (3, "Acme Corporation", "ACME"),
    (4, "Zeta Distribuidora", None),
]
PRODUCTS = [
    (7, "Parafuso Sextavado M8", "PAR-M8"),
    (8, "Porca M8", "POR-M8"),
    (9, "Cabo Flexível 2,5mm", "CAB-25"),
]


def test_exact_code_wins_whatever_its_spelling():
    for query in ("PAR-M8", "par m8", "Par_M8"):
        ranked = rank_matches(query, PRODUCTS)
        assert (ranked[0].id, ranked[0].score, ranked[0].reason) == (7, 1.0, "code")
        assert resolve(ranked).status == "unique"


def test_exact_name_accents_and_case_ignored():
    ranked = rank_matches("porca m8", PRODUCTS)
    assert (ranked[0].id, ranked[0].reason) == (8, "name")
    ranked = rank_matches("cabo flexivel", PRODUCTS)
    assert (ranked[0].id, ranked[0].reason) == (9, "words")
    assert resolve(ranked).match.id == 9


def test_plural_and_extra_words():
    assert resolve(rank_matches("porcas", PRODUCTS)).match.id == 8
    assert resolve(rank_matches("parafusos M8", PRODUCTS)).match.id == 7


def test_typos_found_by_trigram_similarity():
    ranked = rank_matches("Acme Corporaton", CUSTOMERS)
    assert (ranked[0].id, ranked[0].reason) == (3, "similar")
    assert resolve(ranked).status == "unique"
    assert resolve(rank_matches("Zetta Distribuidora", CUSTOMERS)).match.id == 4


def test_two_close_candidates_are_ambiguous():
    ranked = rank_matches("ABC", CUSTOMERS)
    assert [match.id for match in ranked[:2]] == [1, 2]
    resolution = resolve(ranked)
    assert (resolution.status, resolution.reason, resolution.match) == (
        "ambiguous",
        "close_scores",
        None,
    )
    assert [candidate.id for candidate in resolution.candidates] == [1, 2]
    assert resolve(rank_matches("M8", PRODUCTS)).status == "ambiguous"


def test_a_more_precise_name_settles_it():
    assert resolve(rank_matches("ABC Industria", CUSTOMERS)).match.id == 2
    with_short = CUSTOMERS + [(5, "ABC", None)]
    assert resolve(rank_matches("ABC", with_short)).match.id == 5
    assert resolve(rank_matches("abc comercio", with_short)).match.id == 1


def test_unknown_and_weak_matches_ask_instead_of_guessing():
    resolution = resolve(rank_matches("Martelo Pneumático", PRODUCTS))
    assert (resolution.status, resolution.reason, resolution.candidates) == (
        "unknown",
        "no_match",
        (),
    )
    weak = [Match(3, "Acme Corporation", None, 0.4, "similar")]
    assert (resolve(weak).status, resolve(weak).reason) == ("ambiguous", "weak_match")
    assert rank_matches("", PRODUCTS) == []


def test_threshold_and_limit():
    assert all(match.score >= 0.5 for match in rank_matches("M8", PRODUCTS, threshold=0.5))
    assert len(rank_matches("M8", PRODUCTS, limit=1)) == 1


def test_search_fragments_survive_accents_and_typos():
    fragments = order_text.search_fragments("Ótica São Paulo")
    assert "Ótica São Paulo" in fragments
    assert {"otic", "tica", "paul", "aulo"} <= set(fragments)
    assert order_text.search_fragments("  ") == []


# -- summaries ------------------------------------------------------------------------------


# Outcomes shared with the Odoo test that words them (test_sale_agent.py).
OUTCOMES = json.loads((pathlib.Path(__file__).parent / "summary_outcomes.json").read_text())


def test_summary_of_a_created_order_flags_short_stock():
    outcome = OUTCOMES["created_short_stock"]
    # The sentences are the Odoo adapter's (mcp_crew_sale/tests/test_sale_agent.py
    # renders this outcome in both languages); the engine gives keys and values.
    assert order_text.explain(outcome) == [
        Message(
            "created",
            {
                "order": "S00012",
                "customer": "ABC Ltda",
                "lines": "10 × Parafuso",
                "total": "25.00 BRL",
            },
        ),
        Message("uom_unknown", {"unit": "box", "product": "Parafuso", "used": "Units"}),
        Message("short", {"product": "Parafuso", "ordered": "10", "available": "4 Units"}),
        Message("review"),
    ]


def test_summary_of_what_needs_an_answer():
    outcome = OUTCOMES["ambiguous_and_unknown"]
    assert order_text.explain(outcome) == [
        Message("not_created"),
        Message(
            "close_scores_customer",
            {"query": "ABC", "candidates": "ABC Comércio (id 1), ABC SA (id 2)"},
        ),
        Message("unknown_product", {"query": "Martelo"}),
    ]
    assert order_text.explain(OUTCOMES["nothing_named"]) == [
        Message("not_created"),
        Message("missing_customer"),
        Message("missing_lines"),
    ]
