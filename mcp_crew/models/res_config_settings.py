from odoo import fields, models

from ..runtime import get_engine
from ..services.settings import DEFAULT_TTL_BY_KIND


def _ttl_field(kind, label):
    return fields.Integer(
        "%s catalog TTL (s)" % label,
        config_parameter="mcp_crew.ttl_%s" % kind,
        default=DEFAULT_TTL_BY_KIND[kind],
    )


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    mcp_crew_redis_url = fields.Char(
        "Redis URL",
        compute="_compute_mcp_crew_redis",
        help="From odoo.conf [mcp_crew] "
        "redis_url or the MCP_CREW_REDIS_URL environment variable; password hidden.",
    )
    mcp_crew_redis_status = fields.Char("Redis status", compute="_compute_mcp_crew_redis")
    mcp_crew_default_timeout = fields.Float(
        "Default timeout (s)", config_parameter="mcp_crew.default_timeout", default=10.0
    )
    mcp_crew_prewarm_margin = fields.Integer(
        "Pre-warm margin (s)",
        config_parameter="mcp_crew.prewarm_margin",
        default=600,
        help="The discovery cron refreshes catalogs that expire within this margin.",
    )
    mcp_crew_discovery_batch_size = fields.Integer(
        "Servers per cron run", config_parameter="mcp_crew.discovery_batch_size", default=20
    )
    mcp_crew_ttl_database = _ttl_field("database", "Database")
    mcp_crew_ttl_erp = _ttl_field("erp", "ERP")
    mcp_crew_ttl_vector_search = _ttl_field("vector_search", "Vector search")
    mcp_crew_ttl_cache = _ttl_field("cache", "Cache")
    mcp_crew_ttl_other = _ttl_field("other", "Other")
    mcp_crew_ttl_crm_helpdesk = _ttl_field("crm_helpdesk", "CRM / Helpdesk")
    mcp_crew_ttl_external_api = _ttl_field("external_api", "External API")

    def _compute_mcp_crew_redis(self):
        engine = get_engine()
        reachable = engine.l2.ping()
        for settings in self:
            settings.mcp_crew_redis_url = engine.settings.redis_url_redacted
            settings.mcp_crew_redis_status = "reachable" if reachable else "unreachable"
