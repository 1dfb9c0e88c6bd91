import contextlib
import datetime
import json
import logging
import time

from odoo import _, _lt, api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..runtime import get_engine
from ..services import redaction
from ..services.spec import CacheScope
from ..services.validation import compile_schema
from . import sql_rows
from .arguments import check_arguments
from .functional_settings import get_setting
from .mcp_knowledge_search import mask_rows
from .mcp_run_states import RunState
from .mcp_run_step import arguments_key
from .res_users import in_user_companies
from .run_sentences import sayer

_logger = logging.getLogger(__name__)

CHANNELS = [("chat", "Chat"), ("chatter", "Chatter"), ("jsonrpc", "JSON-RPC"), ("cron", "Cron")]
ROUTE_KINDS = [
    ("crew", "Crew"),
    ("tool", "Direct tool call"),
    ("intent", "Business intent"),
    ("knowledge", "Knowledge answer"),
    ("llm_required", "Needs an LLM"),
]
_UNSET = [None, False, ""]
ASK_VALIDATOR = compile_schema(
    {
        "type": "object",
        "properties": {
            "message": {"type": "string"},
            "context": {
                "type": ["object", "null"],
                "additionalProperties": False,
                "properties": {
                    "crew": {
                        "type": ["integer", "string", "null", "boolean"],
                        "not": {"const": True},
                    },
                    "channel": {"enum": [key for key, _label in CHANNELS] + _UNSET},
                    "model": {"type": ["string", "null", "boolean"], "not": {"const": True}},
                    "res_id": {
                        "type": ["integer", "null", "boolean"],
                        "not": {"const": True},
                        "exclusiveMinimum": 0,
                    },
                    "language": {},
                },
            },
        },
    }
)
ASK_MESSAGES = {
    "message": _lt("The message must be text."),
    "context": _lt("The context must be a dictionary."),
    ("context", "additionalProperties"): _lt(
        "Unknown context keys: %(unknown)s. Allowed: %(allowed)s.",
    ),
    "context.crew": _lt("The crew must be an id or a code."),
    "context.channel": _lt("Unknown channel %(value)s."),
    "context.model": _lt("Unknown model %(value)s."),
    "context.res_id": _lt("The record id must be a positive integer."),
}


def _success(state):
    """A run's ``is_success`` in ``state``."""
    return 1 if state == RunState.DONE else 0


# A run picked by a worker that died is failed after this long.
STALE_PICK = datetime.timedelta(hours=1)


class McpRun(models.Model):
    """One natural-language request and everything done to answer it."""

    _name = "mcp.run"
    # How a run answers lives in mixins (and in mcp_run_execute, which starts it).
    _inherit = [
        "mcp.company.guard",
        "mcp.run.routing.mixin",
        "mcp.run.answers.mixin",
        "mcp.run.gate.mixin",
        "mcp.run.crew.mixin",
        "mcp.run.llm.mixin",
    ]
    _description = "Crew run"
    _order = "id desc"
    _rec_name = "display_title"

    display_title = fields.Char(compute="_compute_display_title")
    message = fields.Text(required=True, readonly=True)
    requester_id = fields.Many2one(
        "res.users", required=True, readonly=True, index=True, default=lambda self: self.env.user
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
    )
    channel = fields.Selection(CHANNELS, required=True, readonly=True, default="jsonrpc")
    res_model = fields.Char("Record model", readonly=True)
    res_id = fields.Many2oneReference("Record", model_field="res_model", readonly=True)
    record_name = fields.Char(readonly=True)
    language = fields.Char(readonly=True)
    state = fields.Selection(
        RunState.SELECTION, required=True, readonly=True, default=RunState.RUNNING, index=True
    )
    route_kind = fields.Selection(ROUTE_KINDS, readonly=True)
    route_name = fields.Char(readonly=True)
    route_confidence = fields.Float(readonly=True, digits=(4, 3))
    route_details = fields.Text(readonly=True, help="The router's decision, as JSON.")
    crew_id = fields.Many2one("mcp.crew", readonly=True, index=True, ondelete="set null")
    named_tool_id = fields.Many2one(
        "mcp.tool",
        "Tool named in the request",
        readonly=True,
        ondelete="set null",
        help="A tool the request named without its arguments, handed to the default crew: "
        "its agents are offered it for this run even if it needs approval (the requester "
        "chose it; each call still waits for an approver).",
    )
    crew_without_tools = fields.Boolean(
        "Answered without tools",
        readonly=True,
        help="The router found that the request needs no tool (a question about what "
        "something is or how it works): the crew answers it from what it knows and the "
        "knowledge base, offered no tool (small models call any tool they are offered).",
    )
    answer = fields.Text(readonly=True)
    error = fields.Text(readonly=True)
    step_ids = fields.One2many("mcp.run.step", "run_id", "Steps", readonly=True)
    knowledge_ids = fields.Many2many("mcp.knowledge", string="Knowledge used", readonly=True)
    sensitive = fields.Boolean(
        readonly=True,
        index=True,
        help="The run used sensitive knowledge: besides its requester, only knowledge "
        "managers read it, and what its crew concludes is filed as sensitive too.",
    )
    extracted_knowledge_id = fields.Many2one("mcp.knowledge", readonly=True, ondelete="set null")
    prompt_tokens = fields.Integer(readonly=True)
    completion_tokens = fields.Integer(readonly=True)
    total_tokens = fields.Integer(readonly=True, group_operator="sum")
    cost = fields.Float(
        readonly=True,
        digits=(12, 6),
        group_operator="sum",
        help="Estimated from the token prices in the settings.",
    )
    duration_ms = fields.Float(readonly=True, digits=(12, 1), group_operator="avg")
    finished_at = fields.Datetime(readonly=True)
    # 1 for a run that answered, 0 otherwise (failed, rejected, refused, and
    # still running or waiting): its average over a group is the success rate.
    is_success = fields.Integer(
        "Success rate",
        compute="_compute_is_success",
        store=True,
        # Part of the INSERT of a run created finished (mcp.server.call_tool), not
        # an UPDATE after it.
        precompute=True,
        # Not readonly: Odoo then keeps the value _final_values gives at create
        # instead of building a new record to precompute it. Nobody but the
        # superuser writes runs (see ir.model.access.csv).
        readonly=False,
        group_operator="avg",
        help="1 for a run that answered (done), 0 otherwise; averaged in the "
        "dashboards, it is the share of runs that succeeded.",
    )
    # Background work: queued until a worker picks it (see _cron_process_runs).
    queued = fields.Boolean(readonly=True, index=True)
    picked_at = fields.Datetime(readonly=True)

    @api.depends("state")
    def _compute_is_success(self):
        for run in self:
            run.is_success = _success(run.state)

    @api.depends("message")
    def _compute_display_title(self):
        for run in self:
            text = " ".join((run.message or "").split())
            run.display_title = "#%s %s" % (
                run.id or "",
                text[:60] + ("…" if len(text) > 60 else ""),
            )

    # -- the entry point ---------------------------------------------------------

    @api.model
    def ask(self, message, context=None):
        """Answer a natural-language request; the one implementation behind the
        chat, the chatter, ``/mcp_crew/ask`` and ``/jsonrpc`` ``execute_kw``.

        ``context``: ``crew`` (id or code, skips routing), ``model`` and
        ``res_id`` (the record the request is about), ``channel``.

        Returns ``{run_id, message, status, answer, error, route, crew, steps,
        knowledge_used, usage}``. Work that needs an LLM continues in the background: the
        status is then ``running`` and progress and the answer reach the
        requester on the bus (``mcp_crew/run``).
        """
        self._check_requester()
        runs = in_user_companies(self)
        return runs._ask_run(runs._validate_ask(message, context))._result()

    @api.model
    def _check_requester(self):
        if not self.env.user.has_group("mcp_crew.group_mcp_crew_user"):
            raise AccessError(_("You need the MCP Crew user group to ask the crew."))

    @api.model
    def _open_run(self, values):
        """A run of the caller with ``values``: created as superuser (users may not
        write runs), then worked on as the caller. The caller gets its answer in
        the response: the bus is for changes made elsewhere (background work,
        approvals, expiry)."""
        return self.sudo().create(values).with_env(self.env).with_context(mcp_crew_inline=True)

    @api.model
    def _insert_finished(self, values, steps=(), knowledge_ids=(), cached=True):
        """A run of the caller that is finished before it is written (a knowledge
        answer, a direct tool call), with ``steps`` (their values, numbered in
        order) and the ``knowledge_ids`` it used: one INSERT statement for all of
        them rather than a create() each (see :mod:`.sql_rows`; this is most of
        what ``call_tool`` and a knowledge ``ask`` cost beyond their own work).
        Counted in the metrics as finished; returned in the cache, as
        :meth:`_open_run` returns a run, unless not ``cached`` (for a caller that
        only needs its id: what it reads is then read from the database; the one
        one2many of these rows, the new run's steps, is not cached either)."""
        runs, all_steps = self.sudo(), self.env["mcp.run.step"].sudo()
        values = sql_rows.complete_values(runs, runs._redact_values(dict(values)))
        steps = [
            sql_rows.complete_values(
                all_steps,
                all_steps._redact_values(
                    self._new_step_values(step, index + 1, values["company_id"])
                ),
            )
            for index, step in enumerate(steps)
        ]
        knowledge_ids = list(dict.fromkeys(knowledge_ids))
        run_id, step_ids = sql_rows.insert_with_children(
            runs, values, all_steps, "run_id", steps, {"knowledge_ids": knowledge_ids}
        )
        run = runs.browse(run_id)
        if cached:
            x2many = {"step_ids": [step_ids], "knowledge_ids": [knowledge_ids]}
            sql_rows.cache_created(run, [values], x2many)
            sql_rows.cache_created(
                all_steps.browse(step_ids), [dict(step, run_id=run_id) for step in steps]
            )
        # From the values, not the record: an uncached run would be read for it.
        self._count_finished(values["company_id"], values.get("route_kind"), values["state"])
        return run.with_env(self.env).with_context(mcp_crew_inline=True)

    @api.model
    def _validate_ask(self, message, context):
        check_arguments(ASK_VALIDATOR, {"message": message, "context": context}, ASK_MESSAGES)
        message = message.strip()
        if not message:
            raise ValidationError(_("The message is empty."))
        limit = get_setting(self.env, "max_message_length")
        if len(message) > limit:
            raise ValidationError(
                _(
                    "The message is too long (%(length)s characters; at most %(limit)s).",
                    length=len(message),
                    limit=limit,
                )
            )
        context = context or {}
        values = {
            "message": message,
            "requester_id": self.env.uid,
            "company_id": self.env.company.id,
            "channel": context.get("channel") or "jsonrpc",
        }
        values.update(self._validate_record_context(context.get("model"), context.get("res_id")))
        if context.get("crew") not in (None, False, ""):
            values["crew_id"] = self._find_crew(context["crew"]).id
        return values

    @api.model
    def _validate_record_context(self, model, res_id):
        if not model and not res_id:
            return {}
        if model not in self.env:
            raise ValidationError(_("Unknown model %(model)s.", model=model))
        if not res_id:
            raise ValidationError(_("The record id must be a positive integer."))
        record = self.env[model].browse(res_id).exists()
        if not record:
            raise ValidationError(
                _("Record %(model)s,%(id)s does not exist.", model=model, id=res_id)
            )
        # The requester's own rights decide: no reading through the crew.
        record.check_access_rights("read")
        record.check_access_rule("read")
        return {"res_model": model, "res_id": res_id, "record_name": record.display_name}

    @api.model
    def _find_crew(self, crew):
        """The crew ``crew`` (an id or a code) of the caller's company or shared;
        one the caller may not read is unknown, as one that does not exist."""
        Crew = self.env["mcp.crew"]
        if isinstance(crew, int) and not isinstance(crew, bool):
            found = Crew.search(self._crew_domain() + [("id", "=", crew)])
        else:  # a code (the schema allows nothing else): the company's own crew, or
            # the shared one (at most one of each, see mcp.crew's code constraints)
            found = Crew.search(self._crew_domain() + [("code", "=", crew)])
            found = found.filtered("company_id")[:1] or found[:1]
        if not found:
            raise ValidationError(_("Unknown crew %(crew)s.", crew=crew))
        return found

    @api.model
    def _crew_domain(self):
        return [("company_id", "in", [False, self.env.company.id])]

    # -- the result shape ---------------------------------------------------------

    def _result(self):
        self.ensure_one()
        details = json.loads(self.route_details or "{}")
        return {
            "run_id": self.id,
            "message": self.message,
            "status": self.state,
            "answer": self.answer or "",
            "error": self.error or "",
            "route": {
                "kind": self.route_kind or "",
                "name": self.route_name or "",
                "confidence": self.route_confidence,
                "language": self.language or "",
                "reason": details.get("reason", ""),
                "candidates": details.get("candidates", []),
            },
            "crew": {"id": self.crew_id.id, "name": self.crew_id.name} if self.crew_id else None,
            "steps": [step._summary() for step in self.sudo().step_ids],
            "knowledge_used": [
                {"id": item["id"], "title": item["name"], "type": item["knowledge_type"]}
                # Masked as the caller reads them (the run's rule keeps sensitive ones).
                # Fields, not read(): the items are in the cache when the run just
                # recorded them (a read() would query them again).
                for item in mask_rows(
                    self.env,
                    [
                        {"id": item.id, "name": item.name, "knowledge_type": item.knowledge_type}
                        for item in self.sudo().knowledge_ids
                    ],
                    ("name",),
                )
            ],
            "usage": {
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "total_tokens": self.total_tokens,
                "cost": self.cost,
            },
        }

    def get_results(self):
        """The :meth:`ask` shape of runs the caller can read (polling, JSON-RPC)."""
        self.check_access_rights("read")
        self.check_access_rule("read")
        return [run._result() for run in self]

    # -- writing a run (always through these) --------------------------------------

    def _set(self, **values):
        runs = self.sudo()
        runs.write(values)
        if "knowledge_ids" in values:
            # Once sensitive, always: the answer and steps already carry what it read.
            runs.filtered(
                lambda run: (
                    not run.sensitive
                    and run.with_context(active_test=False).knowledge_ids.filtered("sensitive")
                )
            ).write({"sensitive": True})

    def _add_step(self, **values):
        """Append a step; numbered in order, never edited afterwards."""
        self.ensure_one()
        values = self._new_step_values(values, len(self.sudo().step_ids) + 1, self.company_id.id)
        step = self.env["mcp.run.step"].sudo().create(dict(values, run_id=self.id))
        if self.env.context.get("mcp_crew_background"):
            self._notify_requester()  # progress
        return step

    @api.model
    def _new_step_values(self, values, sequence, company_id):
        """The values of a new step (``values``) numbered ``sequence`` in a run of
        ``company_id``, with its arguments as text."""
        values = dict(values)
        values.setdefault("sequence", sequence)
        # Its run's: given, not computed on a draft step (see mcp.run.step.company_id).
        values.setdefault("company_id", company_id)
        if "arguments" in values and not isinstance(values["arguments"], str):
            values["arguments"] = arguments_key(values["arguments"])
        return values

    def _finish(self, state, answer=None, error=None):
        """Stop the run in ``state`` (one of :attr:`RunState.FINAL`): through the
        ``_set_<state>`` transitions below, not directly."""
        measured_from = self.env.context.get("mcp_crew_started", {}).get(self.id)
        if measured_from is not None:  # stored datetimes have whole seconds (see _ask_run)
            duration_ms = (time.perf_counter() - measured_from) * 1000
        else:
            now = fields.Datetime.now()
            duration_ms = (now - (self.create_date or now)).total_seconds() * 1000
        self._set(**self._final_values(state, self.language, duration_ms, answer, error))
        self._notify_requester()
        self._count_finished(self.company_id.id, self.route_kind, state)

    @api.model
    def _final_values(self, state, language, duration_ms, answer=None, error=None):
        """The values of a run that stops in ``state`` now, after ``duration_ms``."""
        values = {
            "state": state,
            "is_success": _success(state),
            "finished_at": fields.Datetime.now(),
            "duration_ms": duration_ms,
            "queued": False,
        }
        if answer is not None:
            values["answer"] = answer
        if error is not None:
            values["error"] = error
            values.setdefault("answer", sayer(language)("failure", error=error))
        return values

    @api.model
    def _count_finished(self, company_id, route_kind, state):
        get_engine().metrics.inc(
            "mcp_crew_runs_total",
            CacheScope(self.env.cr.dbname, company_id),
            route=route_kind or "none",
            status=state,
        )

    # -- state transitions: the only writers of ``state`` ------------------------

    def _set_done(self, answer=None):
        self._finish(RunState.DONE, answer=answer)

    def _set_failed(self, error):
        self._finish(RunState.FAILED, error=error)

    def _set_rejected(self, answer):
        self._finish(RunState.REJECTED, answer=answer)

    def _set_refused(self, answer):
        self._finish(RunState.REFUSED, answer=answer)

    def _set_waiting_approval(self, answer):
        """Paused until an approver decides; the requester hears of it."""
        self._set(state=RunState.WAITING_APPROVAL, answer=answer)
        self._notify_requester()

    def _set_queued(self):
        """Back to running, in the queue of the background worker."""
        self._set(queued=True, picked_at=False, state=RunState.RUNNING)

    def _notify_requester(self):
        """Push the run's current shape to its requester (``mcp_crew/run``).

        In the background the run commits only when it stops, so progress goes
        out through a short transaction of its own to reach the chat now.
        """
        if self.env.context.get("mcp_crew_inline"):
            return
        messages = [(run.requester_id.partner_id.id, run._result()) for run in self]
        if self.env.context.get("mcp_crew_own_cursor"):
            with self.pool.cursor() as cr:
                self._send_to_bus(self.env(cr=cr), messages)
        else:
            self._send_to_bus(self.env, messages)

    @api.model
    def _send_to_bus(self, env, messages, notification_type="mcp_crew/run"):
        bus = env["bus.bus"].sudo()
        for partner_id, payload in messages:
            bus._sendone(env["res.partner"].browse(partner_id), notification_type, payload)

    # -- background work ------------------------------------------------------------

    def _enqueue(self):
        self._set_queued()
        self.env.ref("mcp_crew.ir_cron_mcp_process_runs").sudo()._trigger()

    @api.model
    def _cron_process_runs(self, limit=5):
        """Run queued work, each run in a transaction of its own.

        Picking is one ``UPDATE … FOR UPDATE SKIP LOCKED`` committed at once,
        so several cron workers share the queue without taking a run twice;
        a run's changes are then committed together when it stops (done,
        failed, or waiting for approval) — never half-written.
        """
        self._expire_approvals()
        self._fail_stale_runs()
        with self._own_transaction() as env:
            env.cr.execute(
                "UPDATE mcp_run SET queued = false, picked_at = now() at time zone 'UTC' "
                "WHERE id IN (SELECT id FROM mcp_run WHERE queued ORDER BY id LIMIT %s "
                "FOR UPDATE SKIP LOCKED) RETURNING id",
                (limit,),
            )
            ids = sorted(row[0] for row in env.cr.fetchall())
            env["mcp.run"].browse(ids).invalidate_recordset(["queued", "picked_at"])
        for run_id in ids:
            try:
                with self._own_transaction() as env:
                    run = env["mcp.run"].browse(run_id)
                    # Decided here: CrewAI calls tools from threads of its own.
                    # In Odoo's registry test mode every cursor is the test's
                    # (and takes its lock, which a CrewAI thread would wait on
                    # forever): progress then goes through the run's own.
                    own_cursor = not self.pool.in_test_mode()
                    with redaction.log_context(run=run.id, company=run.company_id.id):
                        run.with_user(run.requester_id).with_company(run.company_id).with_context(
                            mcp_crew_background=True, mcp_crew_own_cursor=own_cursor
                        )._continue()
            except Exception as err:  # noqa: BLE001 - one bad run must not stop the queue
                _logger.exception("mcp_crew: run %s failed", run_id)
                with self._own_transaction() as env:
                    env["mcp.run"].browse(run_id)._set_failed(str(err))
        if len(ids) == limit:
            self.env.ref("mcp_crew.ir_cron_mcp_process_runs").sudo()._trigger()
        return len(ids)

    @contextlib.contextmanager
    def _own_transaction(self):
        """A new cursor, committed on success. In Odoo's registry test mode it is
        a savepoint of the test's transaction (see tests/common.run_queued_runs)."""
        with self.pool.cursor() as cr:
            yield self.env(cr=cr)

    @api.model
    def _fail_stale_runs(self):
        stale = self.sudo().search(
            [
                ("state", "=", RunState.RUNNING),
                ("queued", "=", False),
                ("picked_at", "<", fields.Datetime.now() - STALE_PICK),
            ]
        )
        for run in stale:
            run._set_failed(_("The worker running this request stopped."))

    # -- usage ------------------------------------------------------------------------

    @api.model
    def _month_usage(self, company):
        """Tokens the company's runs used this calendar month (UTC)."""
        start = fields.Datetime.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        self.flush_model(["total_tokens"])
        self.env.cr.execute(
            "SELECT COALESCE(SUM(total_tokens), 0) FROM mcp_run "
            "WHERE company_id = %s AND create_date >= %s",
            (company.id, start),
        )
        return self.env.cr.fetchone()[0]
