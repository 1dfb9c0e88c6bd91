import json

from odoo import api, fields, models


class McpTool(models.Model):
    _name = "mcp.tool"
    _inherit = "mcp.catalog.mixin"
    _description = "MCP Tool"
    _order = "server_id, name"

    input_schema = fields.Text(readonly=True)
    output_schema = fields.Text(readonly=True)
    annotations_declared = fields.Boolean(readonly=True)
    read_only_hint = fields.Boolean("Read-only", readonly=True)
    destructive_hint = fields.Boolean("Destructive", readonly=True)
    idempotent_hint = fields.Boolean("Idempotent", readonly=True)
    open_world_hint = fields.Boolean("Open world", readonly=True)

    _sql_constraints = [
        ("server_name_unique", "unique(server_id, name)", "A tool name is unique per server."),
    ]

    @api.model
    def _catalog_values(self, item):
        annotations = item["annotations"]
        return {
            "name": item["name"],
            "title": item["title"],
            "description": item["description"],
            "input_schema": json.dumps(item["input_schema"], indent=2),
            "output_schema": json.dumps(item["output_schema"], indent=2)
            if item["output_schema"]
            else False,
            "annotations_declared": annotations["declared"],
            "read_only_hint": annotations["read_only"],
            "destructive_hint": annotations["destructive"],
            "idempotent_hint": annotations["idempotent"],
            "open_world_hint": annotations["open_world"],
        }

    def _to_catalog_item(self):
        """The engine's dict shape, rebuilt from the record (last good catalog)."""
        self.ensure_one()
        return {
            "name": self.name,
            "title": self.title or "",
            "description": self.description or "",
            "input_schema": json.loads(self.input_schema or "{}"),
            "output_schema": json.loads(self.output_schema) if self.output_schema else None,
            "annotations": {
                "declared": self.annotations_declared,
                "read_only": self.read_only_hint,
                "destructive": self.destructive_hint,
                "idempotent": self.idempotent_hint,
                "open_world": self.open_world_hint,
            },
        }
