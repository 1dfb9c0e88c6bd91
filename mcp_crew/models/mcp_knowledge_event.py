import datetime
import functools
import json
import logging
import zlib

from odoo import SUPERUSER_ID, api, fields, models

from .. import after_commit
from ..runtime import get_engine
from ..services.errors import RedisUnavailable
from ..services.knowledge import events as event_stream
from ..services.spec import CacheScope
from .functional_settings import get_setting

_logger = logging.getLogger(__name__)

# Key of the per-company advisory lock that serialises publishers.
_PUBLISH_LOCK = zlib.crc32(b"mcp_crew.knowledge.event") & 0x7FFFFFFF  # an int4
# Bounded so one drain never holds the lock (or Redis) for long.
_PUBLISH_BATCH = 500


class McpKnowledgeEvent(models.Model):
    """Transactional outbox of knowledge events, emptied into Redis after commit.

    A row is written in the same transaction as the change it describes, so
    an event exists exactly when its change does. Rows are published oldest
    first and removed only once Redis has taken them: with Redis down they
    wait here and go out, in order, when it is back.
    """

    _name = "mcp.knowledge.event"
    _description = "Knowledge event (outbox)"
    _order = "id"
    _log_access = False

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    event = fields.Selection(
        [(name, name.capitalize()) for name in event_stream.EVENT_TYPES], required=True
    )
    knowledge_id = fields.Integer(required=True, readonly=True)
    knowledge_type = fields.Char(readonly=True)
    topic = fields.Char(readonly=True)
    tags = fields.Char(readonly=True, help="JSON list of tag names")
    version = fields.Integer(readonly=True)
    occurred_at = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)

    @api.model
    def _record(self, event, items):
        """Queue ``event`` for each knowledge item and publish after commit."""
        if not items:
            return
        self.sudo().create(
            [
                {
                    "company_id": item.company_id.id,
                    "event": event,
                    "knowledge_id": item.id,
                    "knowledge_type": item.knowledge_type,
                    "topic": item.topic or "",
                    "tags": json.dumps(item.tag_ids.mapped("name")),
                    "version": item.version,
                }
                for item in items.sudo()
            ]
        )
        self._publish_after_commit(set(items.sudo().mapped("company_id").ids))

    def _publish_after_commit(self, company_ids):
        after_commit.collect(
            self.env.cr,
            "mcp_crew.knowledge_events",
            functools.partial(_publish_in_new_cursor, self.env.registry),
            company_ids,
        )

    @api.model
    def _publish_pending(self, company_ids=None):
        """Publish queued events of these companies (all by default), oldest first.

        Returns how many were published; stops at the first company whose
        events Redis refuses, leaving them queued.
        """
        cr = self.env.cr
        if company_ids is None:
            cr.execute("SELECT DISTINCT company_id FROM mcp_knowledge_event")
            company_ids = [row[0] for row in cr.fetchall()]
        engine = get_engine()
        maxlen = get_setting(self.env, "knowledge_stream_maxlen")
        published = 0
        for company_id in sorted(company_ids):
            # Waits for a concurrent publisher of the same company, so events
            # committed before ours are published before ours.
            cr.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_PUBLISH_LOCK, company_id))
            while True:
                rows = self.sudo().search(
                    [("company_id", "=", company_id)], order="id", limit=_PUBLISH_BATCH
                )
                if not rows:
                    break
                scope = CacheScope(cr.dbname, company_id)
                try:
                    event_stream.publish(engine.l2, scope, rows._payloads(), maxlen=maxlen)
                except RedisUnavailable as err:
                    _logger.info(
                        "mcp_crew: %d knowledge event(s) of company %s stay queued: %s",
                        len(rows),
                        company_id,
                        err,
                    )
                    return published
                rows.unlink()
                published += len(rows)
                if len(rows) < _PUBLISH_BATCH:
                    break
        return published

    def _payloads(self):
        return [
            {
                "event": row.event,
                "knowledge_id": row.knowledge_id,
                "type": row.knowledge_type,
                "topic": row.topic,
                "tags": json.loads(row.tags or "[]"),
                "version": row.version,
                "outbox_id": row.id,
                "company_id": row.company_id.id,
                "at": row.occurred_at.replace(tzinfo=datetime.timezone.utc).isoformat(),
            }
            for row in self
        ]

    @api.model
    def _cron_publish_events(self):
        """Catch-up for events whose after-commit publication found Redis down."""
        return self._publish_pending()


def _publish_in_new_cursor(registry, company_ids):
    try:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["mcp.knowledge.event"]._publish_pending(company_ids)
    except Exception:  # noqa: BLE001 - after commit nothing may break the request
        _logger.exception("mcp_crew: publishing knowledge events failed; the cron retries")
