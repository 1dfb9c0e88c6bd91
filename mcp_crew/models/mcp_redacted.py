from odoo import api, models

from ..services.redaction import REDACTOR


class McpRedactedMixin(models.AbstractModel):
    """Text fields that may hold what a peer sent back (answers, results,
    errors) are stored with every registered secret masked, so an MCP server
    or LLM that echoes a credential cannot put it where users read it."""

    _name = "mcp.redacted.mixin"
    _description = "Secrets masked in stored text"
    _redacted_fields = ()

    @api.model
    def _redact_values(self, vals):
        self.env["mcp.server.secret"]._protect_all()
        for name in self._redacted_fields:
            if isinstance(vals.get(name), str):
                vals[name] = REDACTOR.redact(vals[name])
        return vals

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([self._redact_values(dict(vals)) for vals in vals_list])

    def write(self, vals):
        return super().write(self._redact_values(dict(vals)))


class McpRun(models.Model):
    _name = "mcp.run"
    _inherit = ["mcp.run", "mcp.redacted.mixin"]
    _redacted_fields = ("answer", "error")


class McpRunStep(models.Model):
    _name = "mcp.run.step"
    _inherit = ["mcp.run.step", "mcp.redacted.mixin"]
    # Not ``arguments``: approved calls are matched on their exact text.
    _redacted_fields = ("result_summary", "error")


class McpKnowledge(models.Model):
    _name = "mcp.knowledge"
    _inherit = ["mcp.knowledge", "mcp.redacted.mixin"]
    # Crews file their answers as knowledge.
    _redacted_fields = ("content",)
