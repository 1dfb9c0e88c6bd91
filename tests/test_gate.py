"""The tool gate's typed outcome and the call_tool shape derived from it."""

import pytest

from mcp_crew.services import errors
from mcp_crew.services.gate import GateOutcome, Verdict


def test_an_allowed_call_carries_its_result():
    result = {"content": [], "structured_content": {"n": 3}, "is_error": False, "text": "3"}
    outcome = GateOutcome.allowed("3", result=result)
    assert outcome.verdict is Verdict.ALLOWED and not outcome.stopped
    assert outcome.call_result() == dict(result, status="ok", error="")


def test_a_result_recorded_earlier_is_shown_as_text():
    assert GateOutcome.allowed("done before").call_result() == {
        "content": [],
        "structured_content": None,
        "is_error": False,
        "text": "done before",
        "latency_ms": 0.0,
        "status": "ok",
        "error": "",
    }


def test_a_pending_call_names_its_step():
    outcome = GateOutcome.pending(42)
    assert (outcome.verdict, outcome.step_id, outcome.status) == (
        Verdict.PENDING_APPROVAL,
        42,
        "pending_approval",
    )
    assert outcome.call_result()["is_error"] is False


@pytest.mark.parametrize(
    "error",
    [
        errors.ToolNotFound("no tool named x"),
        errors.ToolDisabled("x is switched off"),
        errors.InvalidArguments("x", "qty", "is required"),
        errors.DestinationRefused("10.0.0.1", "a private address"),
    ],
)
def test_errors_before_the_call_are_refusals(error):
    outcome = GateOutcome.from_error(error)
    assert outcome.verdict is Verdict.REFUSED and outcome.stopped
    assert outcome.reason == str(error)


@pytest.mark.parametrize(
    "error", [errors.ServerTimeout("erp", 5.0, "tools/call"), errors.McpCrewError("broken pipe")]
)
def test_errors_of_a_call_made_are_failures(error):
    outcome = GateOutcome.from_error(error)
    assert outcome.verdict is Verdict.FAILED
    assert outcome.call_result() == {
        "content": [],
        "structured_content": None,
        "is_error": True,
        "text": str(error),
        "latency_ms": 0.0,
        "status": "error",
        "error": str(error),
    }


def test_an_outcome_cannot_be_changed():
    with pytest.raises(AttributeError):
        GateOutcome.pending(1).verdict = Verdict.ALLOWED
