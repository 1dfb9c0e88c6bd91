"""Routing of requests written the way users talk (mcp_crew/tests/routing_requests.json)
against the crews the addon ships, the built-in intents and the demo server's tools.

The router is tuned on the tuning half only; ``tools/routing_report.py`` prints
the figures of both halves and the requests still missed.
"""

import pytest

from mcp_crew.services import router
from mcp_crew.tests import routing_set


@pytest.fixture(scope="module")
def shipped_router():
    return routing_set.shipped_router()


def test_the_set_is_what_users_send():
    tuning, held_out = routing_set.DATA["tuning"], routing_set.DATA["held_out"]
    assert len(tuning) + len(held_out) >= 80
    assert not {case["message"] for case in tuning} & {case["message"] for case in held_out}
    everything = tuning + held_out
    assert {"pt", "en"} <= {router.detect_language(case["message"]) for case in everything}
    assert {"crew", "intent", "tool", "knowledge"} <= {
        case["expect"].split(":")[0] for case in everything
    }
    # Every shipped crew, the default one included, is expected in each half.
    codes = {"crew:%s" % crew.ident for crew in routing_set.shipped_crews()}
    for half in (tuning, held_out):
        assert codes <= {case["expect"] for case in half}


def test_tuning_half(shipped_router):
    cases = routing_set.DATA["tuning"]
    misses = routing_set.replay(shipped_router, cases)
    print(routing_set.summary("tuning", cases, misses))
    assert len(misses) / len(cases) <= 0.05, misses


def test_with_an_llm_no_request_is_refused(shipped_router):
    for case in routing_set.DATA["tuning"] + routing_set.DATA["held_out"]:
        decision = shipped_router.route(case["message"], llm_available=True)
        assert decision.kind != "llm_required", case["message"]
        if decision.ident == "general":
            assert "default crew" in decision.reason


def test_without_an_llm_unclaimed_requests_still_say_so(shipped_router):
    decision = shipped_router.route("Oi, tudo bem?")
    assert (decision.kind, decision.ident) == ("llm_required", "")
