"""The states of a run and the statuses of its steps, named once.

Plain values (no model), so that the models, their mixins and the tests
import them before anything is registered. A run changes state only through
its transition methods (``_set_done``, ``_set_failed``, … on ``mcp.run``), a
step through its own (``_set_approved``, ``_set_expired``, …).
"""


class RunState:
    RUNNING = "running"
    WAITING_APPROVAL = "waiting_approval"
    DONE = "done"
    FAILED = "failed"
    REJECTED = "rejected"
    REFUSED = "refused"

    SELECTION = [
        (RUNNING, "Running"),
        (WAITING_APPROVAL, "Waiting for approval"),
        (DONE, "Done"),
        (FAILED, "Failed"),
        (REJECTED, "Rejected"),
        (REFUSED, "Refused (quota)"),
    ]
    # A run in one of these stopped: nothing more happens to it.
    FINAL = (DONE, FAILED, REJECTED, REFUSED)


class StepStatus:
    OK = "ok"
    ERROR = "error"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"

    SELECTION = [
        (OK, "Done"),
        (ERROR, "Failed"),
        (PENDING_APPROVAL, "Waiting for approval"),
        (APPROVED, "Approved"),
        (REJECTED, "Rejected"),
        (EXPIRED, "Approval expired"),
    ]
    # What may still change on a step: the approval decision and the outcome
    # of an approved call. Every other status is history.
    OPEN = (PENDING_APPROVAL, APPROVED)

    @classmethod
    def of_result(cls, is_error):
        return cls.ERROR if is_error else cls.OK
