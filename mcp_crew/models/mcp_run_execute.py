"""How a run answers: routing first, then the knowledge, intent, tool or crew path.

The paths are mixins of ``mcp.run``: routing (mcp_run_routing), the answers
without an LLM (mcp_run_answers), the tool gate and approvals (mcp_run_gate),
crews (mcp_run_crew) and the LLM settings (mcp_run_llm).
"""

import json
import time

from odoo import models

from ..services import errors, router
from .mcp_run_states import RunState


class McpRun(models.Model):
    _inherit = "mcp.run"

    def _start(self):
        """Route the new run and answer it now, or queue it for the background."""
        self.ensure_one()
        started = time.perf_counter()
        # A run finished on the way measures its duration from here (see _finish).
        return self.with_context(mcp_crew_started={self.id: started})._route_and_answer(started)

    def _route_and_answer(self, started):
        try:
            command = router.parse_tool_command(self.message)
        except errors.InvalidRequest as err:
            return self._set_failed(str(err))
        knowledge = [] if command or self.crew_id else self._search_knowledge(self.message)
        llm = self._llm_settings()
        if self.crew_id:
            decision = self._forced_crew_decision(llm_available=llm is not None)
        else:
            try:
                decision = self._router().route(
                    self.message,
                    knowledge_score=knowledge[0]["score"] if knowledge else 0.0,
                    knowledge_text=(
                        "%s\n%s" % (knowledge[0]["title"], knowledge[0]["content"])
                        if knowledge
                        else None
                    ),
                    llm_available=llm is not None,
                    semantic=self._semantic_scorer(llm) if llm else None,
                )
            except (errors.ToolNotFound, errors.InvalidRequest) as err:
                self._set(language=router.detect_language(self.message))
                return self._set_failed(str(err))
        self._record_decision(decision)
        handler = {
            "knowledge": self._answer_from_knowledge,
            "intent": self._answer_intent,
            "tool": self._answer_with_tool,
            "crew": self._answer_with_crew,
            "llm_required": self._answer_llm_required,
        }[decision.kind]
        handler(decision, knowledge, llm)
        if not self.queued and self.state not in RunState.FINAL:  # e.g. awaiting approval
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
