from odoo import api, fields, models


class McpKnowledgeTag(models.Model):
    _name = "mcp.knowledge.tag"
    _inherit = ["mcp.company.guard"]
    _description = "Knowledge tag"
    _order = "name"

    name = fields.Char(required=True)
    color = fields.Integer()
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )

    _sql_constraints = [
        ("name_company_uniq", "unique(name, company_id)", "A tag name must be unique per company."),
    ]

    @api.model
    def _ensure(self, names, company):
        """Tags of ``company`` with these names, created when missing."""
        names = list(dict.fromkeys(name.strip() for name in names if name and name.strip()))
        if not names:
            return self.browse()
        existing = self.search([("name", "in", names), ("company_id", "=", company.id)])
        missing = [name for name in names if name not in existing.mapped("name")]
        created = self.create([{"name": name, "company_id": company.id} for name in missing])
        return existing | created
