"""How a run answers: routing first, then the knowledge, intent, tool or crew path.

The paths are mixins of ``mcp.run``: routing (mcp_run_routing), the answers
without an LLM (mcp_run_answers), the tool gate and approvals (mcp_run_gate),
crews (mcp_run_crew) and the LLM settings (mcp_run_llm).
"""

import dataclasses
import json
import time

from odoo import api, models

from ..services import errors, redaction, router
from .mcp_run_crew import EXTRACTED_CONFIDENCE
from .mcp_run_states import RunState


@dataclasses.dataclass
class Routing:
    """Where a request goes, found before its run is written: the knowledge
    search (its results and the step that records it), the router's decision,
    or the error that fails the run."""

    started: float
    knowledge: list = dataclasses.field(default_factory=list)
    knowledge_step: dict = None
    llm: object = None
    decision: router.Decision = None
    error: str = None
    language: str = None
    # Tokens of the LLM's routing classification, counted on the run once it exists.
    usage: list = dataclasses.field(default_factory=list)

    def record_usage(self, run):
        for usage in self.usage:
            run._record_usage(usage)

    @property
    def answerable(self):
        """The found items a knowledge answer may quote: not what a crew concluded
        (filed at ``EXTRACTED_CONFIDENCE``: a small model's conclusion may be
        wrong), until someone confirms it by raising its confidence. Crews still
        read them as context."""
        return [item for item in self.knowledge if item["confidence"] > EXTRACTED_CONFIDENCE]


class McpRun(models.Model):
    _inherit = "mcp.run"

    @api.model
    def _ask_run(self, values):
        """The run of a validated request (``values``), answered now or queued.

        Routed before the run exists: a knowledge answer — the commonest request
        that needs no LLM — is then written once, in its final state, with its
        step (rather than inserted, updated with the decision and again when done).
        """
        started = time.perf_counter()
        with redaction.log_context(company=values["company_id"]):
            routing = self._route_request(values["message"], values.get("crew_id"), started)
        kind = routing.decision.kind if routing.decision else None
        if kind == "knowledge":
            return self._knowledge_run(values, routing)
        if kind == "tool":
            run = self._direct_tool_run(values, routing)
            if run:
                return run
        run = self._open_run(values)
        # A run finished on the way measures its duration from here (see _finish).
        run = run.with_context(mcp_crew_started={run.id: started})
        with redaction.log_context(run=run.id, company=run.company_id.id):
            run._answer_routed(routing)
        return run

    @api.model
    def _route_request(self, message, crew_id, started):
        """The :class:`Routing` of ``message`` (``crew_id``: the crew the caller chose)."""
        routing = Routing(started)
        try:
            command = router.parse_tool_command(message)
        except errors.InvalidRequest as err:
            routing.error = str(err)
            return routing
        if not (command or crew_id):
            routing.knowledge, routing.knowledge_step = self._knowledge_lookup(message)
        routing.llm = self._llm_settings()
        if crew_id:
            crew = self.env["mcp.crew"].browse(crew_id)
            routing.decision = self._forced_crew_decision(crew, message, routing.llm is not None)
            return routing
        knowledge = routing.answerable
        try:
            routing.decision = self._router().route(
                message,
                knowledge_score=knowledge[0]["score"] if knowledge else 0.0,
                knowledge_text=(
                    "%s\n%s" % (knowledge[0]["title"], knowledge[0]["content"])
                    if knowledge
                    else None
                ),
                llm_available=routing.llm is not None,
                semantic=(
                    self._semantic_scorer(routing.llm, routing.usage.append)
                    if routing.llm
                    else None
                ),
            )
        except (errors.ToolNotFound, errors.InvalidRequest) as err:
            routing.error, routing.language = str(err), router.detect_language(message)
        return routing

    def _answer_routed(self, routing):
        """Record ``routing`` on this new run, then answer it now or queue it."""
        self.ensure_one()
        routing.record_usage(self)
        if routing.knowledge_step:
            self._add_step(**routing.knowledge_step)
        if routing.error:
            if routing.language:
                self._set(language=routing.language)
            return self._set_failed(routing.error)
        decision = routing.decision
        self._record_decision(decision)
        handler = {  # a knowledge answer never gets here: see _knowledge_run
            "intent": self._answer_intent,
            "tool": self._answer_with_tool,
            "crew": self._answer_with_crew,
            "llm_required": self._answer_llm_required,
        }[decision.kind]
        handler(decision, routing.knowledge, routing.llm)
        if not self.queued and self.state not in RunState.FINAL:  # e.g. awaiting approval
            self._set(duration_ms=(time.perf_counter() - routing.started) * 1000)
        return None

    @api.model
    def _knowledge_run(self, values, routing):
        """The run of a request the knowledge answers, written done (see _ask_run)."""
        decision = routing.decision
        answer, used = self._knowledge_answer(decision, routing.answerable)
        duration_ms = (time.perf_counter() - routing.started) * 1000
        final = self._final_values(RunState.DONE, decision.language, duration_ms, answer)
        items = self.env["mcp.knowledge"].browse(used)
        run = self._insert_finished(
            dict(
                values,
                **self._decision_values(decision),
                **final,
                # As _set has it: a run that used sensitive knowledge is sensitive.
                # The search left the items' flags in the cache (no query).
                sensitive=any(items.sudo().mapped("sensitive")),
            ),
            steps=[routing.knowledge_step],
            knowledge_ids=used,
        )
        routing.record_usage(run)
        return run

    @api.model
    def _direct_tool_run(self, values, routing):
        """The run of a tool call that runs at once (its arguments given, no approval
        needed), created finished with its step after the call, as
        ``mcp.server.call_tool``'s; ``None`` for the others, which the tool path
        answers on an open run (approval, arguments to ask for, a tool gone)."""
        decision = routing.decision
        tool = self._routed_tool(decision)
        arguments = decision.arguments
        if not tool or tool._needs_approval() or tool._missing_arguments(arguments):
            return None
        run, _outcome = self._finished_call_run(
            dict(values, **self._decision_values(decision)),
            tool,
            arguments,
            routing.started,
            steps=[routing.knowledge_step] if routing.knowledge_step else [],  # from words
        )
        routing.record_usage(run)
        return run

    @api.model
    def _forced_crew_decision(self, crew, message, llm_available):
        return router.Decision(
            kind="crew" if llm_available else "llm_required",
            ident=str(crew.id),
            name=crew.name,
            confidence=1.0,
            language=router.detect_language(message),
            reason="crew chosen by the caller",
        )

    def _record_decision(self, decision):
        values = self._decision_values(decision)
        if decision.kind in ("crew", "llm_required") and decision.ident and not self.crew_id:
            values["crew_id"] = int(decision.ident)
        self._set(**values)

    @api.model
    def _decision_values(self, decision):
        """The run's fields that record the router's ``decision``."""
        # From the fields, not as_dict(): its deep copy is most of the cost here.
        details = {
            "reason": decision.reason,
            "terms": list(decision.terms),
            "entities": decision.entities,
            "candidates": [
                {"kind": c.kind, "name": c.name, "score": c.score, "signals": c.signals}
                for c in decision.candidates
            ],
        }
        return {
            "language": decision.language,
            "route_kind": decision.kind,
            "route_name": decision.name,
            "route_confidence": decision.confidence,
            "route_details": json.dumps(details, ensure_ascii=False),
            "crew_without_tools": not decision.offer_tools,
        }
