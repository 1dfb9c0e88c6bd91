import hashlib
import json

from odoo import _, api, fields, models
from odoo.exceptions import AccessError


class McpCatalogMixin(models.AbstractModel):
    """What tools, resources and prompts share: a server, a company, and a
    batch sync from a discovered catalog (new created, vanished archived,
    changed updated)."""

    _name = "mcp.catalog.mixin"
    _description = "MCP Catalog Item"
    # Key of an item in the discovered catalog and in the records.
    _catalog_key = "name"
    # What admins may change; the rest is what the server published (its
    # annotations drive approvals) and only discovery writes it.
    _admin_fields = {"active"}

    name = fields.Char(required=True, readonly=True)
    title = fields.Char(readonly=True)
    description = fields.Text(readonly=True)
    server_id = fields.Many2one(
        "mcp.server", required=True, readonly=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="server_id.company_id", store=True, index=True, readonly=True
    )
    active = fields.Boolean(
        default=True,
        help="Switch off to hide the item from agents. Items that disappear from "
        "the server are archived automatically and come back if it lists them again.",
    )
    vanished_at = fields.Datetime(
        readonly=True, help="When discovery last found the item missing from the server."
    )
    content_hash = fields.Char(readonly=True)

    def write(self, vals):
        published = set(vals) - self._admin_fields
        if published and not self.env.su:
            raise AccessError(
                _(
                    "%(model)s fields %(fields)s come from the MCP server: only discovery "
                    "changes them.",
                    fields=", ".join(sorted(published)),
                    model=self._description,
                )
            )
        return super().write(vals)

    def _catalog_values(self, item):
        """Field values for one catalog item (a dict from the engine)."""
        raise NotImplementedError

    @api.model
    def _sync_catalog(self, server, items):
        """Bring the records of ``server`` in line with ``items``; returns counts."""
        key = self._catalog_key
        existing = {
            record[key]: record
            for record in self.with_context(active_test=False).search(
                [("server_id", "=", server.id)]
            )
        }
        to_create, updated, seen = [], 0, set()
        for item in items:
            seen.add(item[key])
            digest = hashlib.sha1(
                json.dumps(item, sort_keys=True, default=str).encode()
            ).hexdigest()
            record = existing.get(item[key])
            if record is None:
                values = self._catalog_values(item)
                values.update(server_id=server.id, content_hash=digest)
                to_create.append(values)
                continue
            changes = {}
            if record.content_hash != digest:
                changes.update(self._catalog_values(item), content_hash=digest)
            if record.vanished_at:
                # Archived by discovery, not by an admin: it is back.
                changes.update(active=True, vanished_at=False)
            if changes:
                record.write(changes)
                updated += 1
        vanished = self.browse(
            [rec.id for name, rec in existing.items() if name not in seen and rec.active]
        )
        vanished.write({"active": False, "vanished_at": fields.Datetime.now()})
        self.create(to_create)
        return {"created": len(to_create), "updated": updated, "archived": len(vanished)}
