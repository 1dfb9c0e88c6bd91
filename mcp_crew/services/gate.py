"""What the tool gate decided about one call, as one typed value.

The gate (``mcp.run.gate.mixin``) answers every tool call with a
:class:`GateOutcome`: the call was allowed (and here is its result), refused
before it ran, is waiting for an approver, or failed. Callers branch on
:attr:`GateOutcome.verdict` instead of reading status strings out of a dict.
"""

import dataclasses
import enum

from . import errors


class Verdict(enum.Enum):
    ALLOWED = "allowed"
    REFUSED = "refused"
    PENDING_APPROVAL = "pending_approval"
    FAILED = "failed"


# Errors that mean the gate would not run the call at all (nothing reached the
# server), as opposed to a call that was made and failed.
REFUSALS = (
    errors.ToolNotFound,
    errors.ToolDisabled,
    errors.InvalidArguments,
    errors.DestinationRefused,
)


@dataclasses.dataclass(frozen=True)
class GateOutcome:
    verdict: Verdict
    # ALLOWED: the tool's result as text, and whether the tool reported an error.
    text: str = ""
    is_error: bool = False
    # ALLOWED and run now: the engine's full result (content, structured_content…).
    result: dict | None = None
    # REFUSED and FAILED: why, in words a user or an agent can act on.
    reason: str = ""
    # PENDING_APPROVAL: the step an approver must decide.
    step_id: int = 0

    @classmethod
    def allowed(cls, text, is_error=False, result=None):
        return cls(Verdict.ALLOWED, text=text, is_error=is_error, result=result)

    @classmethod
    def pending(cls, step_id):
        return cls(Verdict.PENDING_APPROVAL, step_id=step_id)

    @classmethod
    def from_error(cls, error):
        """A refusal for errors of :data:`REFUSALS`, else a failure."""
        verdict = Verdict.REFUSED if isinstance(error, REFUSALS) else Verdict.FAILED
        return cls(verdict, reason=str(error))

    @property
    def stopped(self):
        """Refused or failed: there is no result to show, only :attr:`reason`."""
        return self.verdict in (Verdict.REFUSED, Verdict.FAILED)

    @property
    def status(self):
        """The status word of ``mcp.server.call_tool``: ok, error or pending_approval."""
        if self.verdict is Verdict.PENDING_APPROVAL:
            return "pending_approval"
        return "error" if self.stopped else "ok"

    def call_result(self):
        """The shape ``mcp.server.call_tool`` returns (its run id aside)."""
        result = self.result or {
            "content": [],
            "structured_content": None,
            "is_error": self.stopped,
            "text": self.text or self.reason,
            "latency_ms": 0.0,
        }
        return dict(result, status=self.status, error=self.reason)
