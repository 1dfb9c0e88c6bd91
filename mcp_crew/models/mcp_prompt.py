import json

from odoo import api, fields, models


class McpPrompt(models.Model):
    _name = "mcp.prompt"
    _inherit = "mcp.catalog.mixin"
    _description = "MCP Prompt"
    _order = "server_id, name"

    arguments = fields.Text(readonly=True, help="The prompt's arguments as JSON.")

    _sql_constraints = [
        ("server_name_unique", "unique(server_id, name)", "A prompt name is unique per server."),
    ]

    @api.model
    def _catalog_values(self, item):
        return {
            "name": item["name"],
            "title": item["title"],
            "description": item["description"],
            "arguments": json.dumps(item["arguments"], indent=2),
        }
