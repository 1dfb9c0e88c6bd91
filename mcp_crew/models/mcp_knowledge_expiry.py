"""Knowledge expiry: lifetimes per type, archiving and purging."""

import datetime
import logging

from odoo import api, fields, models

from .functional_settings import get_setting

_logger = logging.getLogger(__name__)


class McpKnowledgeExpiryMixin(models.AbstractModel):
    _name = "mcp.knowledge.expiry.mixin"
    _description = "Knowledge expiry"

    @api.model
    def _expiry_for(self, clean, knowledge_type):
        if clean.get("expires_at"):
            return clean["expires_at"]
        days = clean.get("ttl_days")
        if days is None:
            days = get_setting(self.env, "knowledge_ttl_%s" % knowledge_type)
        days = float(days)
        if days <= 0:
            return False
        return fields.Datetime.now() + datetime.timedelta(days=days)

    # -- crons ----------------------------------------------------------------

    @api.model
    def _cron_expire_knowledge(self, batch_size=1000):
        """Archive expired items, delete long-archived ones; in batches.

        Each expired item emits ``expired``, each deleted one ``deleted``.
        Re-triggers itself while a batch came back full.
        """
        now = fields.Datetime.now()
        items = self.sudo().with_context(active_test=False)
        expired = items.search(
            [("active", "=", True), ("expires_at", "!=", False), ("expires_at", "<=", now)],
            order="expires_at, id",
            limit=batch_size,
        )
        if expired:
            expired.with_context(mcp_knowledge_no_version=True).write({"active": False})
            self.env["mcp.knowledge.event"]._record("expired", expired)
        retention = get_setting(self.env, "knowledge_retention_days")
        purged = items.browse()
        if retention > 0:
            purged = items.search(
                [
                    ("active", "=", False),
                    ("archived_at", "<=", now - datetime.timedelta(days=retention)),
                ],
                order="archived_at, id",
                limit=batch_size,
            )
            purged.unlink()
        if len(expired) == batch_size or len(purged) == batch_size:
            self.env.ref("mcp_crew.ir_cron_mcp_expire_knowledge")._trigger()
        _logger.info(
            "mcp_crew: knowledge expiry archived %d item(s), deleted %d",
            len(expired),
            len(purged),
        )
        return {"expired": len(expired), "deleted": len(purged)}
