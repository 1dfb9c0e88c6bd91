"""How a run finds where a request goes: the company's router and its targets."""

import functools

from odoo import api, models, tools

from ..services import crew_runner, router, semantic_routing
from .functional_settings import get_setting

# Seconds the router waits for the LLM's classification before it routes without
# it (to the default crew): the user is waiting for the run to start.
ROUTING_CLASSIFICATION_TIMEOUT = 30


class McpRunRoutingMixin(models.AbstractModel):
    _name = "mcp.run.routing.mixin"
    _description = "Run routing"

    def _router(self):
        """The company's router, built once per company and language: kept in the
        registry cache, which crew and tool edits clear (mcp.crew, mcp.tool and
        mcp.server call ``mcp.server._invalidate_cached_state``) and Odoo's cache
        signalling clears in the other workers — no query per request."""
        return self._cached_router(self.env.company.id, self.env.lang)

    @tools.ormcache("company_id", "lang")
    def _cached_router(self, company_id, lang):
        company_env = self.sudo().with_company(company_id).with_context(lang=lang)
        crews = company_env.env["mcp.crew"].search([("company_id", "in", [False, company_id])])
        fallback = _default_crew(crews)
        # A company's own default crew takes the shared one's place, its example
        # requests included: they say what no specialist claims (small talk, texts
        # to write...), and the shared crew would otherwise still take it by them.
        replaced = crews.filtered("routing_fallback") - fallback
        targets = [
            crew._routing_target(
                fallback=crew == fallback, also_like=replaced if crew == fallback else None
            )
            for crew in crews - replaced
        ]
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

    def _default_crew(self):
        """The crew that takes what no other claims: the company's own, else a shared one."""
        crews = self.env["mcp.crew"].search(
            [("company_id", "in", [False, self.env.company.id]), ("routing_fallback", "=", True)]
        )
        return _default_crew(crews)

    def _semantic_scorer(self, llm, on_usage):
        """The scorer the router's semantic step weighs with the crews' example
        requests, as the ``routing_semantic_step`` setting says: the knowledge
        base's embeddings endpoint (the default; none configured: none), the LLM
        ``llm`` classifying (``on_usage`` gets its tokens), or none. Built for
        each request an LLM can answer (a few settings read from cache); the
        router calls it only when words are not enough, and any failure is "no
        opinion"."""
        step = get_setting(self.env, "routing_semantic_step")
        if step == "llm":
            complete = functools.partial(
                crew_runner.complete, llm, timeout=ROUTING_CLASSIFICATION_TIMEOUT
            )
            return semantic_routing.LlmClassifier(complete, on_usage=on_usage)
        if step == "embeddings":
            client = self.env["mcp.knowledge"]._embedding_client()
            return semantic_routing.EmbeddingScorer(client) if client else None
        return None

    @api.model
    def _routing_intents(self):
        """Fixed business intents answered without an LLM: ``(name, description,
        patterns)``; each has an ``_intent_<name>(decision)`` method. Modules add
        theirs by extending this list."""
        return list(router.BUILTIN_INTENTS)


def _default_crew(crews):
    return crews.filtered("routing_fallback").sorted(
        lambda crew: (not crew.company_id, crew.sequence, crew.id)
    )[:1]
