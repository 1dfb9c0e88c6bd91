import json

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from .mcp_run_states import StepStatus
from .notifications import notification

# What may still change on a step (from StepStatus.OPEN): the approval
# decision and the outcome of an approved call. Everything else is history.
_MUTABLE_FIELDS = {
    "status",
    "decided_by_id",
    "decided_at",
    "result_summary",
    "error",
    "latency_ms",
}
APPROVER_GROUP = "mcp_crew.group_mcp_crew_approver"
CLOSE = {"type": "ir.actions.act_window_close"}


def arguments_key(arguments):
    """Canonical text of tool arguments: equal calls compare equal."""
    return json.dumps(arguments or {}, sort_keys=True, ensure_ascii=False, default=str)


class McpRunStep(models.Model):
    """One thing a run did — a knowledge lookup, an intent, a tool call.

    Append-only: a step's what, who and when never change; only an open step
    (waiting for or granted approval) gets its decision and outcome written,
    and no one may delete a step.
    """

    _name = "mcp.run.step"
    _description = "Run step"
    _order = "run_id, sequence, id"

    run_id = fields.Many2one("mcp.run", required=True, ondelete="cascade", index=True)
    # Precomputed: part of the INSERT, not an UPDATE after it (every ask adds steps).
    # Not readonly (and so not a related field, whose inverse would write the run):
    # a value given at create is kept, without a new record built to precompute it.
    company_id = fields.Many2one(
        "res.company",
        compute="_compute_company_id",
        store=True,
        index=True,
        precompute=True,
        readonly=False,
    )
    requester_id = fields.Many2one(related="run_id.requester_id")
    sequence = fields.Integer(required=True)
    kind = fields.Selection(
        [("knowledge", "Knowledge search"), ("intent", "Intent"), ("tool", "Tool call")],
        required=True,
    )
    name = fields.Char(required=True)
    agent_role = fields.Char(help="The agent that asked for it, in crew runs.")
    server_id = fields.Many2one("mcp.server", ondelete="set null")
    tool_id = fields.Many2one("mcp.tool", ondelete="set null")
    arguments = fields.Text(help="JSON")
    result_summary = fields.Text()
    error = fields.Text()
    latency_ms = fields.Float(digits=(10, 1))
    status = fields.Selection(StepStatus.SELECTION, required=True)
    approval_deadline = fields.Datetime()
    decided_by_id = fields.Many2one("res.users", "Decided by")
    decided_at = fields.Datetime()

    @api.depends("run_id.company_id")
    def _compute_company_id(self):
        for step in self:
            step.company_id = step.run_id.company_id

    def write(self, vals):
        if not self.env.su:
            raise AccessError(_("Run steps are an audit trail and cannot be edited."))
        if set(vals) - _MUTABLE_FIELDS or any(step.status not in StepStatus.OPEN for step in self):
            raise AccessError(_("Run steps are an audit trail and cannot be edited."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise AccessError(_("Run steps are an audit trail and cannot be deleted."))

    def _summary(self):
        return {
            "id": self.id,
            "sequence": self.sequence,
            "kind": self.kind,
            "name": self.name,
            "agent": self.agent_role or "",
            "server": self.server_id.name or "",
            "arguments": json.loads(self.arguments) if self.arguments else {},
            "result": self.result_summary or "",
            "error": self.error or "",
            "latency_ms": self.latency_ms,
            "status": self.status,
            "approval_deadline": fields.Datetime.to_string(self.approval_deadline) or "",
            "decided_by": self.decided_by_id.name or "",
        }

    # -- approvals -------------------------------------------------------------

    def action_approve(self):
        self._set_approved()
        runs = self.mapped("run_id")
        runs._enqueue()
        return notification(False, _("Approved: the run continues."), next_action=CLOSE)

    def action_reject(self):
        self._set_rejected()
        for run in self.mapped("run_id"):
            run._set_rejected(
                _(
                    "%(user)s rejected %(tool)s; the run stopped.",
                    user=self.env.user.name,
                    tool=", ".join(self.mapped("name")),
                ),
            )
        return notification(False, _("Rejected: the run stopped."), next_action=CLOSE)

    # -- status transitions --------------------------------------------------------

    def _set_approved(self):
        self._decide(StepStatus.APPROVED)

    def _set_rejected(self):
        self._decide(StepStatus.REJECTED)

    def _set_expired(self):
        """Nobody decided in time (the runs cron)."""
        self.sudo().write({"status": StepStatus.EXPIRED})

    def _decide(self, status):
        """Record an approver's decision; enforced here, whatever the caller."""
        if not self.env.user.has_group(APPROVER_GROUP):
            raise AccessError(_("Only MCP Crew approvers can approve or reject tool calls."))
        # The approver must see the step under the company rules.
        self.check_access_rule("read")
        now = fields.Datetime.now()
        for step in self:
            if step.run_id.requester_id == self.env.user:
                raise AccessError(
                    _(
                        "Someone else must approve or reject your own request (%(tool)s).",
                        tool=step.name,
                    )
                )
            if step.status != StepStatus.PENDING_APPROVAL:
                raise UserError(_("Step %(step)s is not waiting for approval.", step=step.name))
            if step.approval_deadline and step.approval_deadline < now:
                # Refused here; the runs cron marks the step expired and fails the run.
                raise UserError(
                    _(
                        "This approval request expired at %(deadline)s.",
                        deadline=step.approval_deadline,
                    )
                )
        self.sudo().write({"status": status, "decided_by_id": self.env.uid, "decided_at": now})
