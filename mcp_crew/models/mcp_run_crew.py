"""Runs a crew answers: queued, then run in the background through the gate."""

import dataclasses
import json
import logging

from odoo import _, models

from ..services import crew_runner, errors, semantic_routing
from .mcp_run_gate import OdooToolGate
from .mcp_run_states import StepStatus
from .run_sentences import sayer

_logger = logging.getLogger(__name__)

EXTRACTED_CONFIDENCE = 0.6


class McpRunCrewMixin(models.AbstractModel):
    _name = "mcp.run.crew.mixin"
    _description = "Run crews"

    def _answer_with_crew(self, decision, knowledge, llm):
        quota = self.company_id.mcp_crew_monthly_token_quota
        if quota and self._month_usage(self.company_id) >= quota:
            return self._set_refused(sayer(decision.language)("quota", quota=quota))
        self._set(answer=sayer(decision.language)("queued", crew=self.crew_id.name))
        self._enqueue()
        return None

    def _continue(self):
        """Background part of a run: approved calls first, then the crew if any."""
        self.ensure_one()
        for step in self.sudo().step_ids.filtered(lambda s: s.status == StepStatus.APPROVED):
            tool = step.tool_id.with_env(self.env)
            outcome = self._execute_tool(tool, json.loads(step.arguments or "{}"), step=step)
            if not self.crew_id:
                return self._finish_tool_outcome(tool, outcome)
        if self.crew_id:
            return self._run_crew()
        return self._set_done()

    def _run_crew(self):
        llm = self._llm_settings()
        if llm is None:
            return self._set_failed(_("No LLM is configured."))
        crew, requested = self.crew_id.sudo(), self.sudo().named_tool_id
        # A question about a concept is answered without tools (see the router).
        company_tools = self.env["mcp.tool"] if self.crew_without_tools else self._company_tools()
        offered = {
            ident
            for agent in crew._crew_spec(company_tools, requested=requested).agents
            for ident in agent.tools
        }
        # The engine and the gate know only the tools some agent is offered, and
        # only those are ranked (embedded): each agent keeps its own.
        tool_records = self._tools_by_relevance(
            company_tools.filtered(lambda tool: str(tool.id) in offered)
        )
        spec = crew._crew_spec(tool_records, requested=requested)
        by_ident = {str(tool.id): tool for tool in tool_records}
        knowledge = self._crew_knowledge(crew)
        gate = OdooToolGate(self, by_ident, agent_role=crew.name)
        memory = self._tool_calling_memory()
        try:
            result = crew_runner.run_crew(
                _with_placeholders(spec),
                [tool._tool_spec() for tool in by_ident.values()],
                llm,
                {"request": self.message, "context": self._crew_context(knowledge)},
                gate,
                memory=memory,
                answer_language=self.language,
            )
        except errors.LlmAnswerUnusable as err:
            self._record_usage(err.usage)
            return self._set_failed(str(err))
        except errors.McpCrewError as err:
            return self._set_failed(str(err))
        if result.learnt_tool_calling:
            self._remember_tool_calling(memory)
        if result.rewritten_in:
            _logger.info(
                "mcp_crew: run %s: the crew answered in another language; rewritten in %s",
                self.id,
                result.rewritten_in,
            )
        self._record_usage(result.usage)
        if gate.paused_reason:
            self._set_waiting_approval(result.answer)
            return None
        self._set_done(result.answer)
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
        done = self.sudo().step_ids.filtered(
            lambda s: s.kind == "tool" and s.status == StepStatus.OK
        )
        for step in done:
            lines.append(
                "Already done (approved): %s(%s) -> %s"
                % (step.name, step.arguments, step.result_summary)
            )
        for item in knowledge:
            lines.append("Knowledge: %s: %s" % (item["title"], item["content"][:500]))
        return "\n".join(lines) or "(none)"

    def _tools_by_relevance(self, tools):
        """``tools`` most relevant to the request first, by the knowledge base's
        embeddings (see :func:`~.services.semantic_routing.by_relevance`); in
        their own order without an embeddings endpoint."""
        client = self.env["mcp.knowledge"]._embedding_client()
        if not client:
            return tools
        ranked = semantic_routing.by_relevance(
            semantic_routing.EmbeddingScorer(client),
            self.message,
            tools,
            lambda tool: "%s: %s" % (tool.name, tool.description or ""),
        )
        return tools.browse([tool.id for tool in ranked])

    def _extract_knowledge(self):
        """Keep what the crew concluded, with this run as its source."""
        if not self.answer:
            return
        tools_used = sorted(
            set(
                self.sudo()
                .step_ids.filtered(lambda s: s.kind == "tool" and s.status == StepStatus.OK)
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
