"""Request routing on a labelled set of Portuguese and English requests."""

import json
import pathlib

import pytest

from mcp_crew.services import errors, router
from mcp_crew.tests.routing_set import builtin_intents

DATA = json.loads(
    (pathlib.Path(__file__).parent.parent / "mcp_crew" / "tests" / "routing_cases.json").read_text()
)


def target(spec):
    return router.Target(
        **{
            **spec,
            "keywords": tuple(spec.get("keywords", ())),
            "examples": tuple(spec.get("examples", ())),
        }
    )


@pytest.fixture(scope="module")
def crew_router():
    return router.Router([target(spec) for spec in DATA["targets"]])


def test_routing_accuracy_on_the_labelled_set(crew_router):
    cases = DATA["cases"]
    languages = {router.detect_language(message) for message, _kind, _ident in cases}
    assert {"pt", "en"} <= languages
    misses = []
    for message, kind, ident in cases:
        decision = crew_router.route(message, llm_available=True)
        if (decision.kind, decision.ident) != (kind, ident):
            misses.append((message, kind, ident, decision.kind, decision.ident))
    accuracy = 1 - len(misses) / len(cases)
    print(
        "routing accuracy: %d/%d = %.1f %%" % (len(cases) - len(misses), len(cases), accuracy * 100)
    )
    for miss in misses:
        print("  miss: %r expected %s %s, got %s %s" % miss)
    assert len(cases) >= 40
    assert accuracy >= 0.9


def test_targets_sharing_no_term_are_not_scored_but_rank_as_if_they_were(crew_router):
    # The shortcut must be invisible: every target the request shares no term
    # with gets exactly what scoring it would have given.
    shortcut = 0
    for message, _kind, _ident in DATA["cases"]:
        stems, words_of = crew_router._message_terms(message, router.detect_language(message))
        terms = frozenset(stems)
        for index in range(len(crew_router.targets)):
            scored = crew_router._score(index, message, terms, words_of)
            if index not in crew_router._patterned and not any(
                index in crew_router._targets_by_term.get(term, ()) for term in terms
            ):
                assert crew_router._unmatched(index) == scored, (message, index)
                shortcut += 1
    assert shortcut > len(DATA["cases"])


def test_decision_explains_itself(crew_router):
    decision = crew_router.route(
        "Compare os preços do parafuso entre fornecedores", llm_available=True
    )
    assert (decision.kind, decision.ident) == ("crew", "product_research")
    assert decision.language == "pt"
    assert "fornecedor" in decision.terms
    best, runner_up = decision.candidates[:2]
    assert best.score > runner_up.score
    assert set(best.signals) == {"bm25", "keywords", "examples", "matched_terms"}
    weights = dict(router.RouterSettings().weights)
    assert best.score == pytest.approx(
        sum(weight * best.signals[name] for name, weight in weights.items()), abs=1e-3
    )
    assert "product research" in decision.reason.lower()
    assert decision.as_dict()["candidates"][0]["ident"] == "product_research"


def test_without_an_llm_a_crew_request_says_what_is_missing(crew_router):
    decision = crew_router.route("Analyse sales growth compared to last year")
    assert decision.kind == "llm_required"
    assert decision.ident == "data_analysis"
    assert "no LLM" in decision.reason


@pytest.mark.parametrize(
    "message",
    [
        "Escreva um poema sobre o mar",
        "Traduza este texto para inglês",
        "Tell me a joke",
        "What time is it in Tokyo?",
    ],
)
def test_unmatched_request_needs_an_llm(crew_router, message):
    decision = crew_router.route(message, llm_available=True)
    assert decision.kind == "llm_required"
    assert decision.ident == ""


def test_strong_knowledge_match_answers_a_question(crew_router):
    question = "Qual é a política de devolução para clientes B2B?"
    assert crew_router.route(question, knowledge_score=0.8).kind == "knowledge"
    weak = crew_router.route(question, knowledge_score=0.1, llm_available=True)
    assert weak.kind == "crew"
    # An order to do something is not answered from the knowledge base.
    order = crew_router.route(
        "Crie uma ordem de venda para a Acme", knowledge_score=0.8, llm_available=True
    )
    assert (order.kind, order.ident) == ("crew", "odoo_operations")


@pytest.mark.parametrize(
    ("message", "arguments"),
    [
        ('/tool echo {"text": "olá", "n": 2}', {"text": "olá", "n": 2}),
        (
            "/tool 7:echo text=oi count=3 ratio=0.5 loud=true",
            {"text": "oi", "count": 3, "ratio": 0.5, "loud": True},
        ),
        ("/ferramenta echo text='duas palavras'", {"text": "duas palavras"}),
        ("/tool echo", {}),
    ],
)
def test_explicit_tool_commands(crew_router, message, arguments):
    decision = crew_router.route(message)
    assert (decision.kind, decision.ident, decision.confidence) == ("tool", "7:echo", 1.0)
    assert decision.arguments == arguments


@pytest.mark.parametrize(
    ("message", "error", "text"),
    [
        ("/tool echo {not json", errors.InvalidRequest, "not valid JSON"),
        ("/tool echo [1, 2]", errors.InvalidRequest, "JSON object"),
        ("/tool echo just words", errors.InvalidRequest, "key=value"),
        ("/tool launch_rockets", errors.ToolNotFound, "launch_rockets"),
        ("", errors.InvalidRequest, "empty"),
        ("   ", errors.InvalidRequest, "empty"),
    ],
)
def test_bad_requests_get_clear_errors(crew_router, message, error, text):
    with pytest.raises(error, match=text):
        crew_router.route(message)


def test_ambiguous_tool_name_is_refused():
    tools = [
        router.Target("tool", "1:search", "search"),
        router.Target("tool", "2:search", "search"),
    ]
    with pytest.raises(errors.InvalidRequest, match="ambiguous"):
        router.Router(tools).route("/tool search q=x")


def test_intent_pattern_wins():
    intent = router.Target(
        "intent",
        "order_from_text",
        "Order from text",
        patterns=(r"\b(criar|crie|create)\b.*\b(ordem de venda|pedido|sale order)\b",),
    )
    crews = [target(spec) for spec in DATA["targets"]]
    decision = router.Router(crews + [intent]).route(
        "Crie uma ordem de venda para o cliente ABC com 3 unidades do produto XYZ"
    )
    assert (decision.kind, decision.ident, decision.confidence) == (
        "intent",
        "order_from_text",
        1.0,
    )
    assert decision.entities["quantity"] == ["3 unidades"]


def test_entities():
    found = router.entities(
        "Envie a fatura INV/2024/0042 do pedido S00042 para ana@lima.com.br: "
        '"Parafuso M8", 12 caixas até 2024-05-31'
    )
    assert found["email"] == ["ana@lima.com.br"]
    assert found["quantity"] == ["12 caixas"]
    assert "S00042" in found["reference"] and "INV/2024/0042" in found["reference"]
    assert found["quoted"] == ["Parafuso M8"]
    assert found["date"] == ["2024-05-31"]


def test_terms_are_stemmed_in_the_message_language():
    assert router.terms("Os produtos foram devolvidos", "pt") == ("produt", "devolv")
    assert router.terms("The products were returned", "en") == ("product", "return")
    both = router.terms("produtos", "simple")
    assert "produt" in both and "produto" in both


def test_a_tool_named_in_plain_words_is_chosen_without_a_command():
    """Adapters give each tool its own name as a routing keyword."""
    targets = [target(spec) for spec in DATA["targets"] if spec["kind"] == "crew"]
    targets.append(router.Target("tool", "1:add", "add", "Add two integers", keywords=("add",)))
    decision = router.Router(targets).route("please add two integers")
    assert (decision.kind, decision.ident) == ("tool", "1:add")
    assert decision.arguments == {}  # the adapter asks for them
    # The same words without the tool's name stay below the tool threshold.
    assert router.Router(targets).route("two integers").kind == "llm_required"


def test_a_decision_is_built_with_keywords_only():
    with pytest.raises(TypeError):
        router.Decision("tool", "1:t", "t", 1.0, "en", "reason")
    decision = router.Decision(
        kind="crew", ident="7", name="Sales", confidence=1.0, language="en", reason="chosen"
    )
    assert decision.as_dict()["terms"] == () and decision.arguments == {}


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("tem alguma ferramenta disponível pra consultar estoque?", "list_tools"),
        ("vc tem ferramenta disponivel pra ver frete?", "list_tools"),
        ("o servidor de fornecedores está ativo?", "server_status"),
        ("Is the ERP server running?", "server_status"),
    ],
)
def test_intents_know_the_singular_and_the_words_of_a_server_that_runs(message, intent):
    decision = router.Router(builtin_intents()).route(message, llm_available=True)
    assert (decision.kind, decision.ident) == ("intent", intent)
    assert decision.reason == "pattern of intent %s" % intent


def test_codes_are_not_spelt_as_another_code():
    """Typo correction is for words: the order S00450 is not a typo of S00350."""
    crew = router.Target(
        "crew",
        "service",
        "Customer service",
        examples=("Qual o status da entrega S00350?", "a entrega atrasou"),
    )
    terms = router.Router([crew]).route("Onde está a entraga S00450?").terms
    assert "entreg" in terms and "s00450" in terms and "s00350" not in terms


def test_a_mistyped_word_is_spelt_as_the_first_known_word_one_typo_away():
    crew = router.Target(
        "crew",
        "buy",
        "Purchasing",
        "Fornecedor de parafusos: parafuso, parafusa, arruela.",
        examples=("cotação de rolamentos", "cotação de parafusos", "fornecdor de porcas"),
    )
    spell = router.Router([crew])._corrected
    assert spell("fornecdor") == "fornecedor"  # a letter left out
    assert spell("arruelaa") == "arruela"  # one too many
    assert spell("cotaçao") == "cotação"  # an accent left out is no typo at all
    # A letter changed: both "parafuso" and "parafusa" are one away; the first wins.
    assert spell("parafusx") == "parafuso"
    # Two letters swapped are two typos: left as written.
    assert spell("rolametnos") == "rolametnos"
    # Examples are requests as users typed them: a word only one of them uses is
    # no spelling (that one's "fornecdor" is a typo); "cotação", which two use, is.
    assert spell("fornecdor") == "fornecedor"


def test_a_word_of_unknown_language_is_one_piece_of_evidence():
    """Stemmed both ways, "dólares" is "dol" and "dolare": one word the crew shares,
    which does not make it claim the request."""
    crew = router.Target("crew", "fx", "Exchange desk", "Cotações em dólares")
    decision = router.Router([crew]).route("Converta 100 dólares", llm_available=True)
    assert decision.language == "simple"
    assert decision.candidates[0].signals["matched_terms"] == 1
    assert decision.kind == "llm_required"


def test_the_informal_spellings_of_chat_are_filler(crew_router):
    assert router.terms("vc tá com o pedido pra entregar?", "pt") == ("ped", "entreg")
    assert router.terms("They did not get his invoice", "en") == ("invoic",)
    # So a question in chat Portuguese is covered by the knowledge item it is about.
    decision = crew_router.route(
        "Até que horas eu posso pedir coleta pra transportadora?",
        knowledge_score=0.75,
        knowledge_text="Coleta pela transportadora\nPedidos de coleta feitos até as 14h "
        "saem no mesmo dia.",
        llm_available=True,
    )
    assert decision.kind == "knowledge"


def test_a_part_claimed_as_much_by_the_first_parts_crew_is_not_a_second_crews_work():
    """A stem two crews share ("fatura", "faturamento": "fatur") does not make
    a request for one crew's work two crews' work."""
    crews = [
        router.Target(
            "crew", "operations", "Operations", keywords=("confirma", "pedido", "fatura")
        ),
        router.Target("crew", "analysis", "Analysis", keywords=("faturamento", "vendas")),
        router.Target("crew", "general", "General", fallback=True),
    ]
    decision = router.Router(crews).route(
        "confirma o pedido S02410 e já gera a fatura do cliente", llm_available=True
    )
    assert (decision.kind, decision.ident) == ("crew", "operations")
    # Another crew's own words in the second part are its work: two crews'.
    decision = router.Router(crews).route(
        "confirma o pedido S02410 e depois mostra as vendas do trimestre", llm_available=True
    )
    assert (decision.kind, decision.ident) == ("crew", "general")
    assert "several crews" in decision.reason
