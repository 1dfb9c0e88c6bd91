"""How a run finds where a request goes: the company's router and its targets."""

from odoo import api, models, tools

from ..services import router, semantic_routing


class McpRunRoutingMixin(models.AbstractModel):
    _name = "mcp.run.routing.mixin"
    _description = "Run routing"

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
        fallback = _default_crew(crews)
        targets = [crew._routing_target(fallback=crew == fallback) for crew in crews]
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

    @api.model
    def _semantic_scorer(self):
        """The router's semantic step over the knowledge base's embeddings endpoint.
        Its client is only built if the router asks (most requests are settled by
        words); without an endpoint it has no opinion."""

        def semantic(message, crews):
            client = self.env["mcp.knowledge"]._embedding_client()
            return semantic_routing.EmbeddingScorer(client)(message, crews) if client else None

        return semantic

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
