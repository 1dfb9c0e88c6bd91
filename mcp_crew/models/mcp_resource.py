from odoo import api, fields, models


class McpResource(models.Model):
    _name = "mcp.resource"
    _inherit = "mcp.catalog.mixin"
    _description = "MCP Resource"
    _order = "server_id, uri"
    _catalog_key = "uri"

    uri = fields.Char("URI", required=True, readonly=True)
    mime_type = fields.Char("MIME type", readonly=True)
    size = fields.Integer(readonly=True)
    is_template = fields.Boolean(
        "URI template", readonly=True, help="A parameterised URI (RFC 6570 template)."
    )

    _sql_constraints = [
        ("server_uri_unique", "unique(server_id, uri)", "A resource URI is unique per server."),
    ]

    @api.model
    def _catalog_values(self, item):
        return {
            "uri": item["uri"],
            "name": item["name"],
            "title": item["title"],
            "description": item["description"],
            "mime_type": item["mime_type"],
            "size": item["size"] or 0,
            "is_template": item["is_template"],
        }
