"""The router's judgement beyond words: the semantic step when lexical routing is
unsure, the default crew, and knowledge answers only about the same things."""

import functools
import time

import pytest

from mcp_crew.services import crew_runner, router, semantic_routing
from mcp_crew.services.knowledge.embeddings import EmbeddingClient
from mcp_crew.tests import fake_openai, routing_set

BOLT_ITEM = "Parafuso sextavado M8\nFornecedor Metalúrgica Sul, preço 0,35 BRL por unidade."


def shipped():
    return routing_set.shipped_router()


def test_the_semantic_step_decides_when_no_crew_claims_the_request():
    asked = []

    def semantic(message, crews):
        asked.append((message, [crew.ident for crew in crews]))
        return [0.9 if crew.ident == "product_research" else 0.2 for crew in crews]

    decision = shipped().route(
        "O rolamento 6205 gira a 3000 rpm?", llm_available=True, semantic=semantic
    )
    assert (decision.kind, decision.ident) == ("crew", "product_research")
    assert decision.reason.startswith(
        "semantic step (example requests and semantic scores): likeliest crew Product research"
    )
    assert asked == [
        ("O rolamento 6205 gira a 3000 rpm?", [c.ident for c in routing_set.shipped_crews()])
    ]
    signals = {c.ident: c.signals for c in decision.candidates if c.kind == "crew"}
    # The scorer's scores as shares of one, beside the example requests' evidence.
    assert signals["product_research"]["semantic"] == round(0.9 / (0.9 + 4 * 0.2), 4)
    assert all({"semantic", "evidence"} <= set(s) for s in signals.values())
    # Its share is the mean of the two.
    research = signals["product_research"]
    assert decision.confidence == pytest.approx(
        (research["semantic"] + research["evidence"]) / 2, abs=1e-4
    )


def test_a_confident_lexical_match_never_asks_the_semantic_step():
    def semantic(message, crews):
        raise AssertionError("not needed")

    decision = shipped().route(
        "Compare os preços de arruelas entre fornecedores", llm_available=True, semantic=semantic
    )
    assert (decision.kind, decision.ident) == ("crew", "product_research")


def test_a_scorer_asked_when_unclear_overrules_words_that_lead_unclearly():
    crews = [
        router.Target("crew", "research", "Research", keywords=("supplier", "offer")),
        router.Target(
            "crew", "analysis", "Analysis", "What sells: sockets, sets", keywords=("sells",)
        ),
        router.Target("crew", "general", "General", fallback=True),
    ]
    message = "who else sells the socket set besides our usual supplier?"
    asked = []

    def scorer(message, crew_targets):
        asked.append(message)
        return [1.0 if crew.ident == "research" else 0.0 for crew in crew_targets]

    # One keyword each: not clear. The crews' own words ("sells", "sockets")
    # point to Analysis, and decide.
    words = router.Router(crews).route(message, llm_available=True)
    assert words.ident == "analysis"
    assert words.reason.startswith("semantic step (example requests): likeliest crew Analysis")
    # A scorer asked only when the words are unsure is not asked: they lead.
    decision = router.Router(crews).route(message, llm_available=True, semantic=scorer)
    assert (decision.ident, asked) == ("analysis", [])
    # One asked whenever they are not clear is consulted, and its opinion counts.
    scorer.asked_when = router.ASKED_WHEN_UNCLEAR
    decision = router.Router(crews).route(message, llm_available=True, semantic=scorer)
    assert (decision.ident, asked) == ("research", [message])
    assert decision.reason.startswith(
        "semantic step (example requests and semantic scores): likeliest crew Research"
    )
    # Words that claim a request clearly are not second-guessed.
    decision = router.Router(crews).route(
        "compare each supplier's offer", llm_available=True, semantic=scorer
    )
    assert (decision.ident, decision.reason) == ("research", "best match: crew Research")
    assert asked == [message]
    assert semantic_routing.EmbeddingScorer.asked_when == router.ASKED_WHEN_UNCLEAR
    assert getattr(semantic_routing.LlmClassifier, "asked_when", "unsure") == "unsure"


def test_without_an_opinion_the_default_crew_answers():
    decision = shipped().route("Olá!", llm_available=True, semantic=lambda message, crews: None)
    assert (decision.kind, decision.ident) == ("crew", "general")
    assert "default crew General assistant" in decision.reason


def test_without_an_llm_the_semantic_step_is_not_asked():
    def semantic(message, crews):
        raise AssertionError("no LLM, no crew: nothing to choose")

    assert shipped().route("Olá!", semantic=semantic).kind == "llm_required"


def test_knowledge_about_another_product_does_not_answer():
    """The M8 bolt is not the M8 washer, and BH-300 is not BH-200."""
    crew_router = shipped()
    washer = crew_router.route(
        "Qual o preço da arruela lisa M8?", knowledge_score=0.7, knowledge_text=BOLT_ITEM
    )
    assert washer.kind != "knowledge"
    other_code = crew_router.route(
        "Qual a garantia da bomba BH-300?",
        knowledge_score=0.9,
        knowledge_text="Garantia da bomba BH-200\nA bomba BH-200 tem garantia de 24 meses.",
    )
    assert other_code.kind != "knowledge"
    same = crew_router.route(
        "Qual a garantia da bomba BH-200?",
        knowledge_score=0.9,
        knowledge_text="Garantia da bomba BH-200\nA bomba BH-200 tem garantia de 24 meses.",
    )
    assert same.kind == "knowledge"
    assert "covering 100 % of the request's key terms" in same.reason


def test_a_request_for_work_goes_to_a_crew_when_an_llm_is_there():
    message = "Pode comparar a garantia da bomba BH-200 com a da BH-300?"
    item = "Garantia da bomba BH-200 e BH-300\nBH-200: 24 meses. BH-300: 36 meses."
    without = shipped().route(message, knowledge_score=0.9, knowledge_text=item)
    assert without.kind == "knowledge"  # no LLM: the knowledge base is the best answer
    with_llm = shipped().route(
        message, knowledge_score=0.9, knowledge_text=item, llm_available=True
    )
    assert (with_llm.kind, with_llm.ident) == ("crew", "product_research")


def test_a_work_verb_inside_a_question_asks_for_a_fact():
    """ "What must a supplier send us?" asks what the knowledge base knows; "send
    them..." or "can you compare...?" asks the assistant to act."""
    item = (
        "Supplier registration - required documents\nNew suppliers must send their "
        "CNPJ card, bank details on company letterhead and a valid CND."
    )
    crew_router = shipped()
    fact = crew_router.route(
        "Which documents does a new supplier have to send us to get registered?",
        knowledge_score=0.8,
        knowledge_text=item,
        llm_available=True,
    )
    assert fact.kind == "knowledge"
    for work in (
        "Send the new supplier the list of documents to get registered",
        "Can you compare the documents a new supplier has to send us?",
        "Which documents does a new supplier send us? Summarise them for the buyers.",
    ):
        decision = crew_router.route(
            work, knowledge_score=0.8, knowledge_text=item, llm_available=True
        )
        assert decision.kind != "knowledge", work


def test_an_item_in_the_other_language_covers_the_request():
    """Stems of both languages, and cognates ("support"/"suporte",
    "salesperson"/"salespeople"), count as the item speaking of the request's terms."""
    crew_router = shipped()
    decision = crew_router.route(
        "Who do I call for IT support after hours?",
        knowledge_score=0.72,
        knowledge_text="Suporte de TI fora do horário\nAfter 6 pm and on weekends, "
        "call the on-call IT technician at extension 300.",
        llm_available=True,
    )
    assert decision.kind == "knowledge", decision.reason
    # A cognate is not a code: another model of the same thing still does not answer.
    other = crew_router.route(
        "Who supports the BH-300 pump after hours?",
        knowledge_score=0.9,
        knowledge_text="Suporte da bomba BH-200\nThe BH-200 pump is supported by Paulo.",
    )
    assert other.kind != "knowledge"


def test_typos_and_missing_accents_are_spelt_back():
    crew_router = shipped()
    typo = crew_router.route("tem algum fornecdor de parafuzo inox?", llm_available=True)
    assert (typo.kind, typo.ident) == ("crew", "product_research")
    assert "fornecedor" in typo.terms
    # "compra" (to buy) is a word of its own, not a typo of "compara".
    assert "compar" not in crew_router.route("uma compra no cartão").terms


def test_intents_are_recognised_in_users_words():
    crew_router = shipped()
    for message in ("Is the supplier server down?", "os servidores estão funcionando?"):
        assert crew_router.route(message, llm_available=True).ident == "server_status"
    assert crew_router.route("What tools are available?").ident == "list_tools"


def test_the_embedding_scorer_embeds_each_passage_once(fake):
    client = EmbeddingClient(fake.base_url, "fake-embed", timeout=5)
    scorer = semantic_routing.EmbeddingScorer(client, cache=semantic_routing._VectorCache())
    crews = routing_set.shipped_crews()
    first = scorer("Esse rolamento serve no motor?", crews)
    second = scorer("Which LED panel is the best value?", crews)
    assert len(first) == len(second) == len(crews)
    *cold, warm = [request["json"]["input"] for request in fake.requests_to("/embeddings")]
    passages = [semantic_routing.crew_passages(crew) for crew in crews]
    assert all(
        len(group) == 1 + len(crew.examples) for group, crew in zip(passages, crews, strict=True)
    )
    # Cold: the request and every passage, a batch per call.
    assert all(len(batch) <= scorer.BATCH for batch in cold)
    embedded = [text for batch in cold for text in batch]
    assert embedded[0] == "Esse rolamento serve no motor?"
    assert sorted(embedded[1:]) == sorted({p for group in passages for p in group})
    assert warm == ["Which LED panel is the best value?"]
    # The same request again (a crew run ranking its tools after routing): no call.
    assert scorer("Which LED panel is the best value?", crews) == second
    assert len(fake.requests_to("/embeddings")) == len(cold) + 1


def test_a_cold_cache_warms_over_requests_none_waiting_for_all(fake):
    client = EmbeddingClient(fake.base_url, "fake-embed", timeout=5)
    scorer = semantic_routing.EmbeddingScorer(client, cache=semantic_routing._VectorCache())
    scorer.BATCH, scorer.budget = 3, 0  # one batch per request
    crews = [
        router.Target("crew", code, code.title(), "About %s" % code, examples=examples)
        for code, examples in (("bearings", ("6205?", "6206?")), ("invoices", ("INV 1?",)))
    ]
    assert scorer("O rolamento gira?", crews) is None
    assert "3 of 6 done" in str(scorer.last_error)
    # What was embedded stays cached: the next request goes on from there.
    assert scorer("E a fatura?", crews) is None
    assert len(scorer("E a fatura?", crews)) == 2
    sent = [request["json"]["input"] for request in fake.requests_to("/embeddings")]
    assert [len(batch) for batch in sent] == [3, 3, 1]  # the second request's own, then 1
    assert sum(text == "Bearings: About bearings" for batch in sent for text in batch) == 1


def test_a_crew_is_as_close_as_its_nearest_examples(fake):
    """Nearest neighbours: one example very close to the request says more than a
    crew text that is about the subject on average; one stray example is not enough."""
    client = EmbeddingClient(fake.base_url, "fake-embed", timeout=5)
    scorer = semantic_routing.EmbeddingScorer(client, cache=semantic_routing._VectorCache())
    request = "O rolamento 6205 gira a 3000 rpm?"
    fake.script_embedding(request, [1.0, 0.0, 0.0])
    near = router.Target(
        "crew", "near", "Near", "About bearings", examples=("Which bearing fits?", "Rpm limit?")
    )
    stray = router.Target(
        "crew", "stray", "Stray", "About invoices", examples=("Bearing?", "Invoice X", "Invoice Y")
    )
    vectors = {
        "Near: About bearings": [0.2, 1.0, 0.0],
        "Which bearing fits?": [0.9, 0.3, 0.0],
        "Rpm limit?": [0.8, 0.4, 0.0],
        "Stray: About invoices": [0.0, 1.0, 0.0],
        "Bearing?": [1.0, 0.0, 0.0],
        "Invoice X": [0.0, 0.0, 1.0],
        "Invoice Y": [0.0, 0.1, 1.0],
    }
    for passage, vector in vectors.items():
        fake.script_embedding(passage, vector)
    near_score, stray_score = scorer(request, [near, stray])
    assert near_score > stray_score


def test_the_embedding_scorer_has_no_opinion_when_the_endpoint_fails(fake):
    fake.set_failure(status=500)
    client = EmbeddingClient(fake.base_url, "fake-embed", timeout=5)
    scorer = semantic_routing.EmbeddingScorer(client, cache=semantic_routing._VectorCache())
    assert scorer("anything", routing_set.shipped_crews()) is None
    assert "HTTP 500" in str(scorer.last_error)
    decision = shipped().route("Olá!", llm_available=True, semantic=scorer)
    assert (decision.kind, decision.ident) == ("crew", "general")


def test_a_specialist_must_be_clearly_likelier_than_the_default_crew():
    """A crew barely ahead of the general-purpose one is no evidence."""
    crews = [
        router.Target("crew", "research", "Research", "Supplier offers", keywords=("offer",)),
        router.Target("crew", "general", "General", fallback=True),
    ]
    message = "What's the capital of Portugal?"  # no word the crews use: even evidence

    def close_call(message, crews):
        return [0.52 if crew.ident == "research" else 0.48 for crew in crews]

    decision = router.Router(crews).route(message, llm_available=True, semantic=close_call)
    assert (decision.kind, decision.ident) == ("crew", "general")
    assert "no crew clearly likelier than the default crew General" in decision.reason
    signals = {c.ident: c.signals for c in decision.candidates if c.kind == "crew"}
    assert (signals["research"]["semantic"], signals["research"]["evidence"]) == (0.52, 0.5)

    def clear_lead(message, crews):
        return [0.8 if crew.ident == "research" else 0.2 for crew in crews]

    decision = router.Router(crews).route(message, llm_available=True, semantic=clear_lead)
    assert (decision.kind, decision.ident) == ("crew", "research")
    assert decision.confidence == 0.65


# -- the LLM classification, over real HTTP to the scripted model -----------------


def classifier(fake, timeout=10, on_usage=None):
    settings = crew_runner.LlmSettings(model="fake-chat", base_url=fake.base_url, timeout=timeout)
    return semantic_routing.LlmClassifier(
        functools.partial(crew_runner.complete, settings, timeout=timeout), on_usage=on_usage
    )


def test_the_llm_classification_picks_the_crew_the_model_names(fake):
    fake.queue_classification("data_analysis")
    usages = []
    scorer = classifier(fake, on_usage=usages.append)
    decision = shipped().route(
        "Como andam os números da filial de Curitiba?", llm_available=True, semantic=scorer
    )
    assert (decision.kind, decision.ident) == ("crew", "data_analysis")
    assert decision.reason.startswith(
        "semantic step (example requests and LLM classification): likeliest crew Data analysis"
    )
    # One short completion: the crews with their descriptions, their examples answered
    # as earlier turns, then the request.
    (request,) = fake.requests_to("/chat/completions")
    body = request["json"]
    assert body["max_tokens"] == 8 and body["temperature"] == 0
    messages = body["messages"]
    assert "- data_analysis: Analyses data: sales reports" in messages[0]["content"]
    example = messages.index(
        {"role": "user", "content": "Request: Forecast demand for next quarter\nTeam code:"}
    )
    assert messages[example + 1] == {"role": "assistant", "content": "data_analysis"}
    assert messages[-1] == {
        "role": "user",
        "content": "Request: Como andam os números da filial de Curitiba?\nTeam code:",
    }
    (usage,) = usages
    assert usage["total_tokens"] > 0


def test_the_classification_prompt_ends_as_the_scripted_model_expects():
    messages = semantic_routing.classification_messages("Olá", routing_set.shipped_crews())
    assert messages[-1]["content"].endswith(fake_openai.CLASSIFICATION_MARKER)


def test_crews_are_named_by_codes_the_model_can_repeat():
    crews = [
        router.Target("crew", "7", "Atendimento ao cliente"),
        router.Target("crew", "8", "Operações do ERP"),
        router.Target("crew", "9", "Operações do ERP"),
    ]
    codes = semantic_routing.crew_codes(crews)
    assert codes == ["atendimento_ao_cliente", "operacoes_do_erp", "operacoes_do_erp_2"]
    assert semantic_routing.chosen_crew("operacoes_do_erp_2", crews) == 2
    assert semantic_routing.chosen_crew("Operações do ERP", crews) is None  # two crews


def test_a_model_that_names_no_single_crew_has_no_opinion(fake):
    crews = routing_set.shipped_crews()
    for reply in ("I am not sure", "product_research or data_analysis", "research", ""):
        fake.queue_classification(reply)
        assert classifier(fake)("Me ajuda com uma coisa", crews) is None, reply
    position = [crew.ident for crew in crews].index("customer_service")
    fake.queue_classification("customer_service")
    assert classifier(fake)("Me ajuda com uma coisa", crews) == [
        1.0 if index == position else 0.0 for index in range(len(crews))
    ]
    fake.queue_classification("The Customer service team.")
    assert classifier(fake)("Me ajuda com uma coisa", crews)[position] == 1.0


def test_a_failing_or_late_model_leaves_the_default_crew(fake):
    crew_router = shipped()
    fake.set_failure(status=503)
    scorer = classifier(fake)
    decision = crew_router.route("Me ajuda com uma coisa", llm_available=True, semantic=scorer)
    assert (decision.kind, decision.ident) == ("crew", "general")
    assert "503" in str(scorer.last_error)
    fake.set_failure(delay=3)
    started = time.monotonic()
    scorer = classifier(fake, timeout=1)
    decision = crew_router.route("Me ajuda com uma coisa", llm_available=True, semantic=scorer)
    assert (decision.kind, decision.ident) == ("crew", "general")
    assert scorer.last_error is not None
    assert time.monotonic() - started < 3


def test_tools_are_ordered_by_relevance_to_the_request(fake):
    """Crews hand their agents the closest tools first (small models call the first)."""
    client = EmbeddingClient(fake.base_url, "fake-embed", timeout=5)
    scorer = semantic_routing.EmbeddingScorer(client, cache=semantic_routing._VectorCache())
    request = "Qual fornecedor tem a melhor oferta para arruela lisa M8?"
    fake.script_embedding(request, [1.0, 0.0, 0.0])
    tools = {
        "exchange_rate: How many quote one base buys": [0.0, 1.0, 0.0],
        "freight_estimate: Road freight to a state": [0.3, 0.0, 1.0],
        "supplier_offers: Offers of every known supplier for a product": [0.9, 0.1, 0.0],
    }
    for passage, vector in tools.items():
        fake.script_embedding(passage, vector)
    ranked = semantic_routing.by_relevance(scorer, request, list(tools), str)
    assert [passage.split(":")[0] for passage in ranked] == [
        "supplier_offers",
        "freight_estimate",
        "exchange_rate",
    ]
    # No opinion (the endpoint fails): the order stays as it was.
    fake.set_failure(status=500)
    fresh = semantic_routing.EmbeddingScorer(client, cache=semantic_routing._VectorCache())
    assert semantic_routing.by_relevance(fresh, request, list(tools), str) == list(tools)
    # A single tool needs no embedding call.
    calls = len(fake.requests_to("/embeddings"))
    assert semantic_routing.by_relevance(fresh, request, ["only"], str) == ["only"]
    assert len(fake.requests_to("/embeddings")) == calls
