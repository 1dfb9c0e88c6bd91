"""The tool gate: the one door every tool call of a run goes through.

Whoever asks for a call (a ``/tool`` command, ``mcp.server.call_tool`` or an
agent), :meth:`McpRunGateMixin._gate_tool_call` decides (``call_tool``'s calls
that need no approval take its allowed branch at once, see ``_run_tool_call``): the tool must be
enabled and visible to the requester, a destructive one needs a step an
approver approved, arguments are validated against the schema, the call has
the server's timeout and circuit breaker, and a step records it. Its answer is
a typed :class:`~..services.gate.GateOutcome`, never a status dict.
"""

import datetime
import time

from odoo import _, api, fields, models

from ..services import answers, crew_runner, errors, redaction, router
from ..services.gate import GateOutcome, Verdict
from .functional_settings import get_setting
from .mcp_knowledge_search import CLEARED_GROUP
from .mcp_run_states import RunState, StepStatus
from .mcp_run_step import arguments_key
from .run_sentences import sayer

TOOL_SUMMARY = 2000


class OdooToolGate(crew_runner.ToolGate):
    """Agents' tool calls, as steps of ``run`` (see :meth:`McpRunGateMixin._gate_tool_call`)."""

    def __init__(self, run, tools_by_ident, agent_role=""):
        super().__init__()
        self.run, self.tools_by_ident, self.agent_role = run, tools_by_ident, agent_role

    def execute(self, tool, arguments):
        record = self.tools_by_ident[tool.ident]
        outcome = self.run._gate_tool_call(record, arguments, agent_role=self.agent_role)
        if outcome.verdict is Verdict.PENDING_APPROVAL:
            self.pause(_("%(tool)s waits for a human approval", tool=record.name))
            return sayer(self.run.language)("approval_pending", tool=record.name)
        if outcome.stopped:
            raise errors.McpCrewError(outcome.reason)
        return outcome.text


class McpRunGateMixin(models.AbstractModel):
    _name = "mcp.run.gate.mixin"
    _description = "Run tool gate and approvals"

    @api.model
    def _run_tool_call(self, tool, arguments):
        """A run of the caller for one direct call of ``tool`` (``mcp.server.call_tool``):
        the same gate, approval and audit step as ``/tool`` in :meth:`ask`.

        A call that needs no approval takes the gate's allowed branch straight
        away: its run and step are each written once, in their final state,
        after the answer (rather than a run inserted, then updated when done).

        Returns ``(run, outcome)`` (see :meth:`_gate_tool_call`).
        """
        started = time.perf_counter()
        self._check_requester()
        message = "/tool %s %s" % (tool.name, arguments_key(arguments))
        values = {
            "message": message,
            "requester_id": self.env.uid,
            "company_id": tool.company_id.id,
            "channel": "jsonrpc",
            "language": router.detect_language(message),
            "route_kind": "tool",
            "route_name": tool.name,
            "route_confidence": 1.0,
        }
        if tool._needs_approval():
            run = self._open_run(values)
            with redaction.log_context(run=run.id, company=run.company_id.id):
                outcome = run._gate_tool_call(tool, arguments)
                run._finish_tool_outcome(tool, outcome)
            return run, outcome
        # Its caller reads the run's id only: the rows need not be cached.
        return self._finished_call_run(values, tool, arguments, started, cached=False)

    @api.model
    def _finished_call_run(self, values, tool, arguments, started, steps=(), cached=True):
        """Call ``tool`` (it needs no approval) and write its run (``values``) once,
        finished, with ``steps`` (values of steps before the call) and the call's
        step (:meth:`_insert_finished`, ``cached`` as there), rather than a run
        inserted, then updated when done. ``started``: the ``perf_counter`` its
        duration counts from. Returns ``(run, outcome)``."""
        with redaction.log_context(company=values["company_id"]):
            outcome, recorded = self._call_outcome(tool, arguments)
        language = values["language"]
        state, answer, error = self._call_final_state(tool, outcome, language)
        duration_ms = (time.perf_counter() - started) * 1000
        run = self._insert_finished(
            dict(values, **self._final_values(state, language, duration_ms, answer, error)),
            steps=[*steps, dict(self._step_values(tool, arguments), **recorded)],
            cached=cached,
        )
        return run, outcome

    def _gate_tool_call(self, tool, arguments, agent_role=""):
        """Call ``tool`` for this run, or leave a step waiting for approval.

        Returns a :class:`GateOutcome`. A destructive call runs only once an
        approver approved a step of this run with the same tool and arguments,
        and it runs once: repeating it returns the recorded result.
        """
        self.ensure_one()
        step_values = self._step_values(tool, arguments, agent_role)
        if not tool._needs_approval():
            return self._execute_tool(tool, arguments, step_values=step_values)
        earlier = self._approval_step(tool, step_values["arguments"])
        if earlier.status == StepStatus.OK:
            return GateOutcome.allowed(earlier.result_summary or "")
        if earlier.status == StepStatus.PENDING_APPROVAL:
            return GateOutcome.pending(earlier.id)
        if earlier:  # approved: it runs now, once
            return self._execute_tool(tool, arguments, step=earlier)
        return GateOutcome.pending(self._request_approval(step_values).id)

    @api.model
    def _step_values(self, tool, arguments, agent_role=""):
        return {
            "kind": "tool",
            "name": tool.name,
            "server_id": tool.server_id.id,
            "tool_id": tool.id,
            "arguments": arguments_key(arguments),
            "agent_role": agent_role,
        }

    def _approval_step(self, tool, key):
        """The last step of this run that asked approval for this very call and
        is still waiting, approved, or done once approved (empty if none)."""
        same_call = self.sudo().step_ids.filtered(
            lambda step: step.tool_id == tool and step.arguments == key
        )
        return same_call.filtered(
            lambda step: (
                step.status in StepStatus.OPEN
                or (step.status == StepStatus.OK and step.decided_by_id)
            )
        )[-1:]

    def _request_approval(self, step_values):
        ttl = get_setting(self.env, "approval_ttl_minutes")
        step = self._add_step(
            status=StepStatus.PENDING_APPROVAL,
            approval_deadline=fields.Datetime.now() + datetime.timedelta(minutes=ttl),
            **step_values,
        )
        self._notify_approvers(step)
        return step

    def _execute_tool(self, tool, arguments, step=None, step_values=None):
        """Run the call; record the outcome on ``step`` (approved) or a new step."""
        outcome, recorded = self._call_outcome(tool, arguments)
        if step:
            step.sudo().write(recorded)
            self._notify_requester()
        else:
            self._add_step(**step_values, **recorded)
        return outcome

    @api.model
    def _call_outcome(self, tool, arguments):
        """Call ``tool``: ``(outcome, the step values that record it)``; the
        engine's errors are an outcome too."""
        started = time.perf_counter()
        try:
            result = tool.server_id._call_tool(tool, arguments)
        except errors.McpCrewError as err:
            outcome = GateOutcome.from_error(err)
            recorded = {"status": StepStatus.ERROR, "error": outcome.reason}
        else:
            body = crew_runner.tool_result_text(result, limit=TOOL_SUMMARY)
            outcome = GateOutcome.allowed(body, is_error=result["is_error"], result=result)
            recorded = {
                "status": StepStatus.of_result(result["is_error"]),
                "result_summary": body,
            }
            if result["is_error"]:
                recorded["error"] = body
        recorded["latency_ms"] = (time.perf_counter() - started) * 1000
        return outcome, recorded

    def _finish_tool_outcome(self, tool, outcome):
        """Finish this run (or leave it waiting) with what the gate decided."""
        language = self.language
        if outcome.verdict is Verdict.PENDING_APPROVAL:
            self._set_waiting_approval(sayer(language)("approval_pending", tool=tool.name))
        elif outcome.stopped:
            self._set_failed(outcome.reason)
        else:
            self._set_done(self._tool_answer(tool, outcome, language))

    @api.model
    def _call_final_state(self, tool, outcome, language):
        """``(state, answer, error)`` of a run whose call ran (never waiting), as
        :meth:`_finish_tool_outcome` finishes it."""
        if outcome.stopped:
            return RunState.FAILED, None, outcome.reason
        return RunState.DONE, self._tool_answer(tool, outcome, language), None

    @api.model
    def _tool_answer(self, tool, outcome, language):
        """A run's answer to a call that ran: its result, in the request's language."""
        return answers.tool_result(tool.name, outcome.text, outcome.is_error, sayer(language))

    # -- approvals ------------------------------------------------------------------

    def _notify_approvers(self, step):
        """Tell the company's approvers a call waits for them (``mcp_crew/approval``)."""
        group = self.env.ref("mcp_crew.group_mcp_crew_approver").sudo()
        # Not the requester (who may not decide), and for a sensitive run only
        # those who may read it.
        approvers = group.users.filtered(
            lambda user: (
                self.company_id in user.company_ids
                and user != self.requester_id
                and (not self.sensitive or user.has_group(CLEARED_GROUP))
            )
        )
        payload = {
            "run_id": self.id,
            "step": step._summary(),
            "message": self.message,
            "requester": self.requester_id.name,
        }
        self._send_to_bus(
            self.env,
            [(partner.id, payload) for partner in approvers.partner_id],
            "mcp_crew/approval",
        )

    @api.model
    def _expire_approvals(self):
        expired = (
            self.env["mcp.run.step"]
            .sudo()
            .search(
                [
                    ("status", "=", StepStatus.PENDING_APPROVAL),
                    ("approval_deadline", "<", fields.Datetime.now()),
                ]
            )
        )
        expired._set_expired()
        for run in expired.mapped("run_id"):
            run._set_failed(_("The approval request expired."))
