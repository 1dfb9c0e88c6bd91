"""Catalog cache figures per company, for the cache dashboard.

The figures live in Redis (the shared metrics hash of each company, and the
company's keys), not in PostgreSQL: :meth:`McpCacheStats.action_open` reads
them and shows them as fresh transient records, one per company the user
has selected.
"""

from odoo import _, api, fields, models

from ..runtime import get_engine
from ..services.cache import count_company_keys
from ..services.errors import RedisUnavailable
from ..services.metrics import cache_counts


def _ratio(hits, total):
    return 100.0 * hits / total if total else 0.0


class McpCacheStats(models.TransientModel):
    _name = "mcp.cache.stats"
    _description = "Catalog cache statistics"
    _order = "company_id"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    l1_hits = fields.Integer("L1 hits", readonly=True)
    l1_misses = fields.Integer("L1 misses", readonly=True)
    l2_hits = fields.Integer("L2 hits", readonly=True)
    l2_misses = fields.Integer("L2 misses", readonly=True)
    lookups = fields.Integer(readonly=True, help="Catalog lookups (every one reaches L1 first).")
    hit_ratio = fields.Float(
        "Hit ratio (%)",
        digits=(5, 1),
        readonly=True,
        group_operator="avg",
        help="Lookups served from the cache (L1 or L2), in percent of all lookups.",
    )
    l1_hit_ratio = fields.Float(
        "L1 hit ratio (%)", digits=(5, 1), readonly=True, group_operator="avg"
    )
    l2_hit_ratio = fields.Float(
        "L2 hit ratio (%)",
        digits=(5, 1),
        readonly=True,
        group_operator="avg",
        help="L2 hits in percent of the lookups L1 missed.",
    )
    key_count = fields.Integer(
        "Keys", readonly=True, help="Redis keys of the company (catalogs, metrics, streams)."
    )
    redis_up = fields.Boolean("Redis up", readonly=True)

    @api.model
    def _collect(self, companies):
        """Values of one record per company of ``companies``, read now."""
        engine = get_engine()
        db = self.env.cr.dbname
        samples, redis_up = engine.metrics.snapshot(db)
        counts = cache_counts(samples)
        keys = {}
        if redis_up:
            try:
                keys = engine.l2.execute(lambda client: count_company_keys(client, db))
            except RedisUnavailable:
                redis_up = False
        values = []
        for company in companies:
            count = counts.get(company.id, {})
            l1_hits = int(count.get(("l1", "hit"), 0))
            l1_misses = int(count.get(("l1", "miss"), 0))
            l2_hits = int(count.get(("l2", "hit"), 0))
            l2_misses = int(count.get(("l2", "miss"), 0))
            lookups = l1_hits + l1_misses
            values.append(
                {
                    "company_id": company.id,
                    "l1_hits": l1_hits,
                    "l1_misses": l1_misses,
                    "l2_hits": l2_hits,
                    "l2_misses": l2_misses,
                    "lookups": lookups,
                    "hit_ratio": _ratio(l1_hits + l2_hits, lookups),
                    "l1_hit_ratio": _ratio(l1_hits, lookups),
                    "l2_hit_ratio": _ratio(l2_hits, l2_hits + l2_misses),
                    "key_count": keys.get(company.id, 0),
                    "redis_up": redis_up,
                }
            )
        return values

    @api.model
    def action_open(self):
        """Fresh figures for the companies selected by the user, as a window action.

        The action has no id on purpose: reloading the page goes back to the
        menu's server action, which reads the figures again.
        """
        companies = self.env.companies.sorted("name")
        records = self.create(self._collect(companies))
        return {
            "type": "ir.actions.act_window",
            "name": _("Cache statistics"),
            "res_model": self._name,
            "view_mode": "tree,graph",
            "views": [
                (self.env.ref("mcp_crew.mcp_cache_stats_view_tree").id, "tree"),
                (self.env.ref("mcp_crew.mcp_cache_stats_view_graph").id, "graph"),
            ],
            "search_view_id": [self.env.ref("mcp_crew.mcp_cache_stats_view_search").id],
            "domain": [("id", "in", records.ids)],
            "context": {"create": False, "edit": False, "delete": False},
            "target": "current",
        }
