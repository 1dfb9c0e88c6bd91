"""The answers a run gives without an LLM: knowledge, business intents, a tool."""

import logging
import time

from odoo import _, api, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..services import answers, router
from .mcp_knowledge_search import MAX_QUERY
from .mcp_run_gate import TOOL_SUMMARY
from .mcp_run_states import StepStatus
from .run_sentences import sayer

_logger = logging.getLogger(__name__)

KNOWLEDGE_LIMIT = 3
# Share of the best knowledge score an item needs to be part of the answer.
RELEVANT_SHARE = 0.6


class McpRunAnswersMixin(models.AbstractModel):
    _name = "mcp.run.answers.mixin"
    _description = "Run answers without an LLM"

    def _search_knowledge(self, query, types=None):
        """Knowledge for this run, the search recorded as its step."""
        results, step = self._knowledge_lookup(query, types)
        if step:
            self._add_step(**step)
        return results

    @api.model
    def _knowledge_lookup(self, query, types=None):
        """``(results, the values of the step that records the search)``; a failed
        search finds nothing and records no step."""
        started = time.perf_counter()
        try:
            # Typos are corrected only when nothing matched: any real match
            # tells the router what it needs.
            results = self.env["mcp.knowledge"]._search_checked(
                query[:MAX_QUERY].strip(),
                types or (),
                limit=KNOWLEDGE_LIMIT,
                correct_below=1,
            )
        except Exception as err:  # noqa: BLE001 - a search failure must not lose the run
            # The log context names the run, when there is one yet.
            _logger.warning("mcp_crew: knowledge search failed: %s", err)
            return [], None
        return results, {
            "kind": "knowledge",
            "name": "search_knowledge",
            "arguments": {"query": query[:200], "types": types or []},
            "result_summary": ", ".join("%s (%.2f)" % (r["title"], r["score"]) for r in results),
            "latency_ms": (time.perf_counter() - started) * 1000,
            "status": StepStatus.OK,
        }

    @api.model
    def _knowledge_answer(self, decision, knowledge):
        """``(answer, ids of the items it uses)`` of a request the knowledge answers."""
        # Only items close to the best one: a weak third match is noise, not an answer.
        best = knowledge[0]["score"]
        knowledge = [item for item in knowledge if item["score"] >= RELEVANT_SHARE * best]
        return (
            answers.knowledge(knowledge, sayer(decision.language)),
            [item["id"] for item in knowledge],
        )

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
            self._add_step(
                kind="intent", name=decision.ident, status=StepStatus.ERROR, error=reason
            )
            return self._set_failed(reason)
        self._add_step(
            kind="intent",
            name=decision.ident,
            status=StepStatus.OK,
            result_summary=answer[:TOOL_SUMMARY],
        )
        return self._set_done(answer)

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
            answer = sayer(decision.language)("llm_required_crew", crew=decision.name)
        elif llm:
            answer = sayer(decision.language)("no_crew_matches")
        else:
            answer = sayer(decision.language)("llm_required")
        self._set_done(answer)

    @api.model
    def _routed_tool(self, decision):
        """The tool the router chose, as the requester sees it now (empty if none)."""
        server_id, name = decision.ident.split(":", 1)
        return self.env["mcp.tool"].search(
            [("server_id", "=", int(server_id)), ("name", "=", name)], limit=1
        )

    def _answer_with_tool(self, decision, knowledge, llm):
        tool = self._routed_tool(decision)
        if not tool:  # switched off or gone since the router was built
            name = decision.ident.split(":", 1)[1]
            return self._set_failed(_("No tool named %(tool)s is available.", tool=name))
        arguments = decision.arguments
        # Chosen from plain words, or a command that leaves a required one out
        # ("/tool exchange_rate base=EUR quote=BRL" without the amount).
        missing = tool._missing_arguments(arguments)
        if missing:
            crew = self._default_crew() if llm else None
            if crew:
                # With an LLM, the default crew reads them from the request and
                # calls it (gated).
                handed = router.Decision(
                    kind="crew",
                    ident=str(crew.id),
                    name=crew.name,
                    confidence=decision.confidence,
                    language=decision.language,
                    terms=decision.terms,
                    entities=decision.entities,
                    candidates=decision.candidates,
                    reason="tool %s named without its arguments (%s): the default crew %s "
                    "reads them from the request" % (tool.name, ", ".join(missing), crew.name),
                )
                self._record_decision(handed)
                self._set(named_tool_id=tool.id)
                return self._answer_with_crew(handed, knowledge, llm)
            # Without an LLM: ask for them.
            return self._set_done(
                answers.tool_needs_arguments(tool.name, missing, sayer(decision.language)),
            )
        outcome = self._gate_tool_call(tool, arguments)
        self._finish_tool_outcome(tool, outcome)
        return None
