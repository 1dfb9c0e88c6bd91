"""How a run answers: routing, then the knowledge, intent, tool or crew path.

Every tool call, whoever asks for it (a ``/tool`` command or an agent), goes
through :meth:`McpRun._gate_tool_call`: the tool must be enabled and visible
to the requester, a destructive one needs an approved step, arguments are
validated against the schema, the call has the server's timeout and circuit
breaker, and a step records it.
"""

import dataclasses
import datetime
import json
import logging
import os
import time

from odoo import _, api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import config

from ..services import answers, crew_runner, errors, redaction, router
from ..services.settings import configured
from .mcp_run_step import arguments_key

_logger = logging.getLogger(__name__)

KNOWLEDGE_LIMIT = 3
# Share of the best knowledge score an item needs to be part of the answer.
RELEVANT_SHARE = 0.6
TOOL_SUMMARY = 2000
EXTRACTED_CONFIDENCE = 0.6


class OdooToolGate(crew_runner.ToolGate):
    """Agents' tool calls, as steps of ``run`` (see :meth:`McpRun._gate_tool_call`)."""

    def __init__(self, run, tools_by_ident, agent_role=""):
        super().__init__()
        self.run, self.tools_by_ident, self.agent_role = run, tools_by_ident, agent_role

    def execute(self, tool, arguments):
        record = self.tools_by_ident[tool.ident]
        outcome = self.run._gate_tool_call(record, arguments, agent_role=self.agent_role)
        if outcome["status"] == "pending_approval":
            self.pause(_("%(tool)s waits for a human approval", tool=record.name))
            return answers.text("approval_pending", self.run.language, record.name)
        if outcome["status"] == "error":
            raise errors.McpCrewError(outcome["error"])
        return outcome["text"]


class McpRun(models.Model):
    _inherit = "mcp.run"

    # -- starting ----------------------------------------------------------------

    def _start(self):
        """Route the new run and answer it now, or queue it for the background."""
        self.ensure_one()
        started = time.perf_counter()
        try:
            command = router.parse_tool_command(self.message)
        except errors.InvalidRequest as err:
            return self._finish("failed", error=str(err))
        knowledge = [] if command or self.crew_id else self._search_knowledge(self.message)
        llm = self._llm_settings()
        if self.crew_id:
            decision = self._forced_crew_decision(llm_available=llm is not None)
        else:
            try:
                decision = self._router().route(
                    self.message,
                    knowledge_score=knowledge[0]["score"] if knowledge else 0.0,
                    llm_available=llm is not None,
                )
            except (errors.ToolNotFound, errors.InvalidRequest) as err:
                self._set(language=router.detect_language(self.message))
                return self._finish("failed", error=str(err))
        self._record_decision(decision)
        handler = {
            "knowledge": self._answer_from_knowledge,
            "intent": self._answer_intent,
            "tool": self._answer_with_tool,
            "crew": self._answer_with_crew,
            "llm_required": self._answer_llm_required,
        }[decision.kind]
        handler(decision, knowledge, llm)
        if not self.queued:  # stored datetimes have whole seconds: measure here
            self._set(duration_ms=(time.perf_counter() - started) * 1000)
        return None

    def _forced_crew_decision(self, llm_available):
        language = router.detect_language(self.message)
        kind = "crew" if llm_available else "llm_required"
        return router.Decision(
            kind=kind,
            ident=str(self.crew_id.id),
            name=self.crew_id.name,
            confidence=1.0,
            language=language,
            reason="crew chosen by the caller",
        )

    def _record_decision(self, decision):
        summary = decision.as_dict()
        details = {
            "reason": summary["reason"],
            "terms": list(summary["terms"]),
            "entities": summary["entities"],
            "candidates": [
                {"kind": c["kind"], "name": c["name"], "score": c["score"], "signals": c["signals"]}
                for c in summary["candidates"]
            ],
        }
        values = {
            "language": decision.language,
            "route_kind": decision.kind,
            "route_name": decision.name,
            "route_confidence": decision.confidence,
            "route_details": json.dumps(details, ensure_ascii=False),
        }
        if decision.kind in ("crew", "llm_required") and decision.ident and not self.crew_id:
            values["crew_id"] = int(decision.ident)
        self._set(**values)

    # -- routing -------------------------------------------------------------------

    def _router(self):
        """The company's router, rebuilt only when its crews or tools change."""
        return self._cached_router(self.env.company.id, self._routing_signature())

    def _routing_signature(self):
        for model in ("mcp.crew", "mcp.tool", "mcp.server"):
            self.env[model].flush_model()
        # One statement for both (this runs on every ask). Only what routing
        # reads of the tools: a server's status writes (every discovery) must
        # not throw the router away; archiving it changes the count.
        self.env.cr.execute(
            "SELECT crews.n, crews.changed, tools.n, tools.changed FROM "
            "(SELECT COUNT(*) AS n, MAX(write_date) AS changed FROM mcp_crew "
            "WHERE active AND (company_id IS NULL OR company_id = %(company)s)) crews, "
            "(SELECT COUNT(*) AS n, MAX(t.write_date) AS changed FROM mcp_tool t "
            "JOIN mcp_server s ON s.id = t.server_id "
            "WHERE t.active AND s.active AND s.company_id = %(company)s) tools",
            {"company": self.env.company.id},
        )
        row = self.env.cr.fetchone()
        return (row[:2], row[2:], self.env.lang)

    @tools.ormcache("company_id", "signature")
    def _cached_router(self, company_id, signature):
        company_env = self.sudo().with_company(company_id)
        crews = company_env.env["mcp.crew"].search([("company_id", "in", [False, company_id])])
        targets = [crew._routing_target() for crew in crews]
        targets += [tool._routing_target() for tool in self._company_tools(company_env.env)]
        targets += [
            router.Target("intent", name, name, description, patterns=patterns)
            for name, description, patterns in self._routing_intents()
        ]
        return router.Router(targets)

    @api.model
    def _company_tools(self, env=None):
        env = env or self.env
        return env["mcp.tool"].search(
            [("company_id", "=", env.company.id), ("server_id.active", "=", True)]
        )

    @api.model
    def _routing_intents(self):
        """Fixed business intents answered without an LLM: ``(name, description,
        patterns)``; each has an ``_intent_<name>(decision)`` method. Modules add
        theirs by extending this list."""
        return [
            (
                "list_tools",
                "List the MCP tools available. Listar as ferramentas disponíveis.",
                (
                    r"^\s*(quais|que)\s+ferramentas\b",
                    r"^\s*(which|what)\s+tools\b",
                    r"^\s*(list|listar|liste)\s+(the\s+|as\s+)?(tools|ferramentas)\b",
                ),
            ),
            (
                "server_status",
                "State of the MCP servers. Estado dos servidores MCP.",
                (
                    r"\b(status|estado|situa[çc][ãa]o)\s+(dos|of\s+the|of)\s+(servidores|servers)\b",
                    r"^\s*(are\s+the\s+servers|os\s+servidores\s+est[ãa]o)\b",
                ),
            ),
        ]

    # -- the no-LLM paths ---------------------------------------------------------------

    def _search_knowledge(self, query, types=None):
        started = time.perf_counter()
        try:
            # Typos are corrected only when nothing matched: any real match
            # tells the router what it needs.
            results = self.env["mcp.knowledge"].search_knowledge(
                query[:1000], types=types, limit=KNOWLEDGE_LIMIT, correct_below=1
            )
        except Exception as err:  # noqa: BLE001 - a search failure must not lose the run
            _logger.warning("mcp_crew: knowledge search failed for run %s: %s", self.id, err)
            return []
        self._add_step(
            kind="knowledge",
            name="search_knowledge",
            arguments={"query": query[:200], "types": types or []},
            result_summary=", ".join("%s (%.2f)" % (r["title"], r["score"]) for r in results),
            latency_ms=(time.perf_counter() - started) * 1000,
            status="ok",
        )
        return results

    def _answer_from_knowledge(self, decision, knowledge, llm):
        # Only items close to the best one: a weak third match is noise, not an answer.
        best = knowledge[0]["score"]
        knowledge = [item for item in knowledge if item["score"] >= RELEVANT_SHARE * best]
        self._set(knowledge_ids=[(6, 0, [item["id"] for item in knowledge])])
        self._finish("done", answer=answers.knowledge(knowledge, decision.language))

    def _answer_intent(self, decision, knowledge, llm):
        """Run the intent; one Odoo refuses fails the run with Odoo's reason
        (the run and its failed step stay on record) instead of raising."""
        try:
            with self.env.cr.savepoint():
                answer = getattr(self, "_intent_%s" % decision.ident)(decision)
                # Inside the savepoint: Odoo 16 does not roll it back when its
                # own exit flush fails, so an intent's constraint error would
                # otherwise escape with the transaction broken.
                self.env.flush_all()
        except (AccessError, UserError, ValidationError) as err:
            reason = err.args[0] if err.args else str(err)
            self._add_step(kind="intent", name=decision.ident, status="error", error=reason)
            return self._finish("failed", error=reason)
        self._add_step(
            kind="intent", name=decision.ident, status="ok", result_summary=answer[:TOOL_SUMMARY]
        )
        return self._finish("done", answer=answer)

    def _intent_list_tools(self, decision):
        tools_by_server = {}
        for tool in self._company_tools():
            tools_by_server.setdefault(tool.server_id.name, []).append(tool.name)
        if not tools_by_server:
            return _("No MCP tools are available.")
        return "\n".join(
            "%s: %s" % (server, ", ".join(sorted(names)))
            for server, names in sorted(tools_by_server.items())
        )

    def _intent_server_status(self, decision):
        servers = self.env["mcp.server"].search([("company_id", "=", self.env.company.id)])
        if not servers:
            return _("No MCP servers are registered.")
        states = dict(servers._fields["state"]._description_selection(self.env))
        return "\n".join(
            "%s: %s%s"
            % (
                server.name,
                states.get(server.state, server.state),
                " (%s)" % server.last_error if server.last_error else "",
            )
            for server in servers
        )

    def _answer_llm_required(self, decision, knowledge, llm):
        if decision.ident:
            answer = answers.text("llm_required_crew", decision.language, decision.name)
        elif llm:
            answer = answers.text("no_crew_matches", decision.language)
        else:
            answer = answers.text("llm_required", decision.language)
        self._finish("done", answer=answer)

    def _answer_with_tool(self, decision, knowledge, llm):
        server_id, name = decision.ident.split(":", 1)
        tool = self.env["mcp.tool"].search(
            [("server_id", "=", int(server_id)), ("name", "=", name)], limit=1
        )
        if not tool:  # switched off or gone since the router was built
            return self._finish(
                "failed", error=_("No tool named %(tool)s is available.", tool=name)
            )
        arguments = decision.arguments
        if not arguments:
            missing = tool._required_arguments()
            if missing:
                # Chosen from plain words, without its arguments: ask for them.
                return self._finish(
                    "done",
                    answer=answers.tool_needs_arguments(tool.name, missing, decision.language),
                )
        outcome = self._gate_tool_call(tool, arguments)
        self._finish_tool_outcome(tool, outcome)
        return None

    def _finish_tool_outcome(self, tool, outcome):
        language = self.language
        if outcome["status"] == "pending_approval":
            self._set(
                state="waiting_approval",
                answer=answers.text("approval_pending", language, tool.name),
            )
            self._notify_requester()
        elif outcome["status"] == "error":
            self._finish("failed", error=outcome["error"])
        else:
            self._finish(
                "done",
                answer=answers.tool_result(
                    tool.name, outcome["text"], outcome["is_error"], language
                ),
            )

    # -- the gate ---------------------------------------------------------------------

    @api.model
    def _run_tool_call(self, tool, arguments):
        """A run of the caller for one direct call of ``tool`` (``mcp.server.call_tool``):
        the same gate, approval and audit step as ``/tool`` in :meth:`ask`.

        Returns ``(run, outcome)`` (see :meth:`_gate_tool_call`).
        """
        self._check_requester()
        message = "/tool %s %s" % (tool.name, arguments_key(arguments))
        run = self._open_run(
            {
                "message": message,
                "requester_id": self.env.uid,
                "company_id": tool.company_id.id,
                "channel": "jsonrpc",
                "language": router.detect_language(message),
                "route_kind": "tool",
                "route_name": tool.name,
                "route_confidence": 1.0,
            }
        )
        with redaction.log_context(run=run.id, company=run.company_id.id):
            outcome = run._gate_tool_call(tool, arguments)
            run._finish_tool_outcome(tool, outcome)
        return run, outcome

    def _gate_tool_call(self, tool, arguments, agent_role=""):
        """Call ``tool`` for this run, or leave a step waiting for approval.

        Returns ``{"status": ok|error|pending_approval, "text", "is_error", "error"}``.
        A destructive call runs only once an approver approved a step of this
        run with the same tool and arguments, and it runs once: repeating it
        returns the recorded result.
        """
        self.ensure_one()
        key = arguments_key(arguments)
        step_values = {
            "kind": "tool",
            "name": tool.name,
            "server_id": tool.server_id.id,
            "tool_id": tool.id,
            "arguments": key,
            "agent_role": agent_role,
        }
        if tool._needs_approval():
            same_call = self.sudo().step_ids.filtered(
                lambda step: step.tool_id == tool and step.arguments == key
            )
            earlier = same_call.filtered(
                lambda step: (
                    step.status in ("pending_approval", "approved")
                    or (step.status == "ok" and step.decided_by_id)
                )
            )[-1:]
            if earlier.status == "ok":
                return {
                    "status": "ok",
                    "text": earlier.result_summary or "",
                    "is_error": False,
                    "error": "",
                }
            if earlier.status == "pending_approval":
                return {"status": "pending_approval", "text": "", "is_error": False, "error": ""}
            if not earlier:
                ttl = int(
                    self.env["ir.config_parameter"]
                    .sudo()
                    .get_param("mcp_crew.approval_ttl_minutes", 60)
                )
                step = self._add_step(
                    status="pending_approval",
                    approval_deadline=fields.Datetime.now() + datetime.timedelta(minutes=ttl),
                    **step_values,
                )
                self._notify_approvers(step)
                return {"status": "pending_approval", "text": "", "is_error": False, "error": ""}
            return self._execute_tool(tool, arguments, step=earlier)
        return self._execute_tool(tool, arguments, step_values=step_values)

    def _execute_tool(self, tool, arguments, step=None, step_values=None):
        """Run the call; record the outcome on ``step`` (approved) or a new step."""
        started = time.perf_counter()
        try:
            result = tool.server_id._call_tool(tool, arguments)
        except errors.McpCrewError as err:
            outcome = {"status": "error", "text": "", "is_error": True, "error": str(err)}
            recorded = {"status": "error", "error": str(err)}
        else:
            body = crew_runner.tool_result_text(result, limit=TOOL_SUMMARY)
            outcome = {
                "status": "ok",
                "text": body,
                "is_error": result["is_error"],
                "error": "",
                "result": result,
            }
            recorded = {"status": "error" if result["is_error"] else "ok", "result_summary": body}
            if result["is_error"]:
                recorded["error"] = body
        recorded["latency_ms"] = (time.perf_counter() - started) * 1000
        if step:
            step.sudo().write(recorded)
            self._notify_requester()
        else:
            self._add_step(**step_values, **recorded)
        return outcome

    # -- crews -------------------------------------------------------------------------

    def _answer_with_crew(self, decision, knowledge, llm):
        quota = self.company_id.mcp_crew_monthly_token_quota
        if quota and self._month_usage(self.company_id) >= quota:
            return self._finish("refused", answer=answers.text("quota", decision.language, quota))
        self._set(answer=answers.text("queued", decision.language, self.crew_id.name))
        self._enqueue()
        return None

    def _continue(self):
        """Background part of a run: approved calls first, then the crew if any."""
        self.ensure_one()
        for step in self.sudo().step_ids.filtered(lambda s: s.status == "approved"):
            tool = step.tool_id.with_env(self.env)
            outcome = self._execute_tool(tool, json.loads(step.arguments or "{}"), step=step)
            if not self.crew_id:
                return self._finish_tool_outcome(tool, outcome)
        if self.crew_id:
            return self._run_crew()
        return self._finish("done")

    def _run_crew(self):
        llm = self._llm_settings()
        if llm is None:
            return self._finish("failed", error=_("No LLM is configured."))
        tool_records = self._company_tools()
        specs = {str(tool.id): tool._tool_spec() for tool in tool_records}
        by_ident = {str(tool.id): tool for tool in tool_records}
        crew = self.crew_id.sudo()
        spec = crew._crew_spec(specs)
        knowledge = self._crew_knowledge(crew)
        gate = OdooToolGate(self, by_ident, agent_role=crew.name)
        try:
            result = crew_runner.run_crew(
                _with_placeholders(spec),
                specs.values(),
                llm,
                {"request": self.message, "context": self._crew_context(knowledge)},
                gate,
            )
        except errors.McpCrewError as err:
            return self._finish("failed", error=str(err))
        self._record_usage(result.usage)
        if gate.paused_reason:
            self._set(state="waiting_approval", answer=result.answer)
            self._notify_requester()
            return None
        self._finish("done", answer=result.answer)
        self._extract_knowledge()
        return None

    def _crew_knowledge(self, crew):
        types = sorted({t for agent in crew.agent_ids for t in agent._knowledge_type_list()})
        if not types:
            return []
        results = self._search_knowledge(self.message, types=types)
        self._set(knowledge_ids=[(4, item["id"]) for item in results])
        return results

    def _crew_context(self, knowledge):
        lines = []
        if self.res_model:
            lines.append("Record: %s %s (id %s)" % (self.res_model, self.record_name, self.res_id))
        done = self.sudo().step_ids.filtered(lambda s: s.kind == "tool" and s.status == "ok")
        for step in done:
            lines.append(
                "Already done (approved): %s(%s) -> %s"
                % (step.name, step.arguments, step.result_summary)
            )
        for item in knowledge:
            lines.append("Knowledge: %s: %s" % (item["title"], item["content"][:500]))
        return "\n".join(lines) or "(none)"

    def _record_usage(self, usage):
        params = self.env["ir.config_parameter"].sudo()
        price_prompt = float(params.get_param("mcp_crew.llm_price_prompt", 0) or 0)
        price_completion = float(params.get_param("mcp_crew.llm_price_completion", 0) or 0)
        prompt = self.prompt_tokens + usage["prompt_tokens"]
        completion = self.completion_tokens + usage["completion_tokens"]
        self._set(
            prompt_tokens=prompt,
            completion_tokens=completion,
            total_tokens=prompt + completion,
            # Prices are per million tokens.
            cost=(prompt * price_prompt + completion * price_completion) / 1_000_000,
        )

    def _extract_knowledge(self):
        """Keep what the crew concluded, with this run as its source."""
        if not self.answer:
            return
        tools_used = sorted(
            set(
                self.sudo()
                .step_ids.filtered(lambda s: s.kind == "tool" and s.status == "ok")
                .mapped("name")
            )
        )
        content = "%s\n\n%s" % (self.message, self.answer)
        if tools_used:
            content += "\n\n(%s: %s)" % (_("tools"), ", ".join(tools_used))
        try:
            stored = self.env["mcp.knowledge"].store(
                {
                    "title": " ".join(self.message.split())[:120],
                    "content": content,
                    "knowledge_type": "conversation_summary",
                    "confidence": EXTRACTED_CONFIDENCE,
                    "source": {
                        "kind": "run",
                        "label": self.crew_id.name or "",
                        "model": "mcp.run",
                        "res_id": self.id,
                    },
                    "company_id": self.company_id.id,
                    # Only ever raised: filing must not clear the flag of an item it versions.
                    **({"sensitive": True} if self.sensitive else {}),
                }
            )
        except Exception as err:  # noqa: BLE001 - the answer stands even if filing fails
            _logger.warning("mcp_crew: run %s: knowledge not extracted: %s", self.id, err)
            return
        self._set(extracted_knowledge_id=stored["id"])

    # -- configuration -----------------------------------------------------------------

    @api.model
    def _llm_settings(self):
        """The LLM from odoo.conf ``[mcp_crew] llm_*`` / ``MCP_CREW_LLM_*`` (these win) or
        the settings page; ``None`` when no model is configured."""
        params = self.env["ir.config_parameter"].sudo()
        section = config.misc.get("mcp_crew", {})

        def value(name, default=""):
            return (
                configured(name, section, os.environ)
                or params.get_param("mcp_crew.%s" % name)
                or default
            )

        model = value("llm_model")
        if not model:
            return None
        return crew_runner.LlmSettings(
            model=model,
            base_url=value("llm_base_url"),
            api_key=value("llm_api_key"),
            timeout=float(value("llm_timeout", 60)),
        )


def _with_placeholders(spec):
    """Make sure the request and its context reach the crew even if no task's
    description mentions ``{request}`` or ``{context}``: the first task gets them."""
    missing = [
        "%s: {%s}" % (label, name)
        for name, label in (("request", "Request"), ("context", "Context"))
        if not any("{%s}" % name in task.description for task in spec.tasks)
    ]
    if not missing:
        return spec
    first = spec.tasks[0]
    patched = dataclasses.replace(
        first, description="%s\n\n%s" % (first.description, "\n".join(missing))
    )
    return dataclasses.replace(spec, tasks=(patched,) + spec.tasks[1:])
