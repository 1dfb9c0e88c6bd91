"""How a run finds where a request goes: the company's router and its targets."""

from odoo import api, models, tools

from ..services import router


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
