"""What the crews' example requests say of a request, weighed together: the
router's first opinion when its words do not claim a request clearly."""

import pytest

from mcp_crew.services import router
from mcp_crew.services.example_evidence import ExampleEvidence
from mcp_crew.tests import routing_set


def test_the_crew_whose_examples_use_the_words_is_likeliest():
    evidence = ExampleEvidence(
        [
            [("garant", "queim", "motor"), ("garant", "troc"), ("reclam",)],
            [("motor", "vend", "mes"), ("vend", "relatori")],
        ]
    )
    service, analysis = evidence.posterior(("motor", "queim", "garant"))
    assert service + analysis == pytest.approx(1.0)
    assert service > 3 * analysis
    # "motor" alone is in both crews' examples: one each, so the crew with
    # fewer words in all is a little likelier, and neither is sure.
    service, analysis = evidence.posterior(("motor",))
    assert 0.4 < analysis < 0.6


def test_a_word_no_crew_uses_is_no_evidence():
    evidence = ExampleEvidence([[("garant",)], [("vend",)], [("ola",)]])
    assert evidence.posterior(("capital", "portugal")) == pytest.approx([1 / 3] * 3)
    assert evidence.posterior(()) == pytest.approx([1 / 3] * 3)


def test_a_word_one_crew_never_uses_weighs_against_it_but_does_not_rule_it_out():
    evidence = ExampleEvidence([[("garant", "motor")], [("vend",), ("vend", "motor")]])
    service, analysis = evidence.posterior(("vend", "motor", "garant"))
    assert 0 < service < 1 and 0 < analysis < 1


def test_a_word_repeated_in_one_example_counts_once():
    once = ExampleEvidence([[("motor",)], [("vend",)]])
    repeated = ExampleEvidence([[("motor", "motor", "motor")], [("vend",)]])
    assert once.posterior(("motor",)) == repeated.posterior(("motor",))


def test_no_crews_no_shares():
    assert ExampleEvidence([]).posterior(("motor",)) == []


def test_the_examples_decide_where_words_point_elsewhere_unclearly():
    """ "vendemos" (we sold) reads as a sales report; the crews' examples know that a
    gearbox broken under warranty is a customer's complaint."""
    message = (
        "o redutor que vendemos pra Metalurgica Sol quebrou com 1 mes de uso, eles querem "
        "acionar a garantia"
    )
    assert routing_set.as_example(message) not in {
        example for crew in routing_set.shipped_crews() for example in crew.examples
    }
    crews = routing_set.shipped_crews()
    without_examples = [
        router.Target(c.kind, c.ident, c.name, c.description, c.keywords, fallback=c.fallback)
        for c in crews
    ]
    targets = routing_set.demo_tools() + routing_set.builtin_intents()
    words_only = router.Router(without_examples + targets).route(message, llm_available=True)
    assert words_only.ident == "data_analysis"
    decision = router.Router(crews + targets).route(message, llm_available=True)
    assert (decision.kind, decision.ident) == ("crew", "customer_service")
    assert decision.reason.startswith(
        "semantic step (example requests): likeliest crew Customer service"
    )
    evidence = {c.ident: c.signals["evidence"] for c in decision.candidates if c.kind == "crew"}
    assert max(evidence, key=evidence.get) == "customer_service"
    assert sum(evidence.values()) == pytest.approx(1.0, abs=1e-3)
