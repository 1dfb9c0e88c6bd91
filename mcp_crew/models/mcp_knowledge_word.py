from odoo import fields, models

from ..services.knowledge import search


class McpKnowledgeWord(models.Model):
    """Every word a company's knowledge uses: what a mistyped query word is
    corrected to. Derived data, maintained by ``mcp.knowledge``."""

    _name = "mcp.knowledge.word"
    _description = "Knowledge vocabulary word"
    _log_access = False

    company_id = fields.Many2one("res.company", required=True, ondelete="cascade", readonly=True)
    word = fields.Char(required=True, readonly=True)

    _sql_constraints = [
        ("company_word_uniq", "unique(company_id, word)", "A word is kept once per company."),
    ]

    def init(self):
        # Without pg_trgm there is no typo correction; mcp.knowledge warns once.
        search.ensure_vocabulary_schema(self.env.cr, self._table)
