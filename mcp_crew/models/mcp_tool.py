import json

from odoo import api, fields, models

from ..services import crew_runner, router


class McpTool(models.Model):
    _name = "mcp.tool"
    _inherit = ["mcp.catalog.mixin", "mcp.cached.state.mixin"]
    _description = "MCP Tool"
    _order = "server_id, name"
    # requires_approval only adds approval (see _needs_approval), never removes it.
    _admin_fields = {"active", "requires_approval"}

    input_schema = fields.Text(readonly=True)
    output_schema = fields.Text(readonly=True)
    annotations_declared = fields.Boolean(readonly=True)
    read_only_hint = fields.Boolean("Read-only", readonly=True)
    destructive_hint = fields.Boolean("Destructive", readonly=True)
    idempotent_hint = fields.Boolean("Idempotent", readonly=True)
    open_world_hint = fields.Boolean("Open world", readonly=True)
    requires_approval = fields.Boolean(
        help="An approver must approve each call, as for tools the server marks destructive.",
    )

    _sql_constraints = [
        ("server_name_unique", "unique(server_id, name)", "A tool name is unique per server."),
    ]

    # mcp.server keeps each server's tool names, ids and switched-off tools
    # between calls (mcp.server._tool_index), and mcp.run its router (title and
    # description): every change of those drops them (mcp.cached.state.mixin).
    _cached_state_fields = frozenset(("name", "active", "server_id", "title", "description"))

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

    def _needs_approval(self):
        """Marked destructive by the server's annotations or by an admin.

        Only declared annotations count: the MCP default for a tool without any
        is "may be destructive", which would put every such tool behind approval.
        """
        self.ensure_one()
        declared_destructive = (
            self.annotations_declared and self.destructive_hint and not self.read_only_hint
        )
        return self.requires_approval or declared_destructive

    def _schema(self):
        return json.loads(self.input_schema or "{}")

    def _required_arguments(self):
        return list(self._schema().get("required") or [])

    def _missing_arguments(self, arguments):
        """The required arguments that ``arguments`` (a dict or None) leaves out."""
        return [name for name in self._required_arguments() if name not in (arguments or {})]

    def _routing_target(self):
        self.ensure_one()
        return router.Target(
            kind="tool",
            ident="%s:%s" % (self.server_id.id, self.name),
            name=self.name,
            description=" ".join(filter(None, (self.title, self.description))),
            # Naming the tool is the strongest sign a request wants it.
            keywords=(self.name.replace("_", " "),),
        )

    def _tool_spec(self):
        self.ensure_one()
        return crew_runner.ToolSpec(
            ident=str(self.id),
            name=self.name,
            description=self.description or self.title or self.name,
            input_schema=self._schema(),
            read_only=self.read_only_hint,
        )
