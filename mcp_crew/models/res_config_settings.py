from odoo import fields, models

from ..runtime import get_engine
from ..services.knowledge.events import DEFAULT_MAXLEN
from ..services.settings import DEFAULT_TTL_BY_KIND
from .mcp_knowledge_expiry import DEFAULT_TTL_DAYS
from .mcp_run import DEFAULT_MAX_MESSAGE


def _ttl_field(kind, label):
    return fields.Integer(
        "%s catalog TTL (s)" % label,
        config_parameter="mcp_crew.ttl_%s" % kind,
        default=DEFAULT_TTL_BY_KIND[kind],
    )


def _knowledge_ttl_field(knowledge_type, label):
    return fields.Integer(
        "%s (days)" % label,
        config_parameter="mcp_crew.knowledge_ttl_%s" % knowledge_type,
        default=DEFAULT_TTL_DAYS[knowledge_type],
        help="Lifetime of new items of this type without an explicit expiry; 0 = never expire.",
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

    mcp_crew_knowledge_ttl_product_info = _knowledge_ttl_field("product_info", "Product info")
    mcp_crew_knowledge_ttl_customer_insight = _knowledge_ttl_field(
        "customer_insight", "Customer insight"
    )
    mcp_crew_knowledge_ttl_conversation_summary = _knowledge_ttl_field(
        "conversation_summary", "Conversation summary"
    )
    mcp_crew_knowledge_ttl_analysis_result = _knowledge_ttl_field(
        "analysis_result", "Analysis result"
    )
    mcp_crew_knowledge_ttl_recommendation = _knowledge_ttl_field("recommendation", "Recommendation")
    mcp_crew_knowledge_ttl_market_data = _knowledge_ttl_field("market_data", "Market data")
    mcp_crew_knowledge_ttl_technical_spec = _knowledge_ttl_field("technical_spec", "Technical spec")
    mcp_crew_knowledge_ttl_general_fact = _knowledge_ttl_field("general_fact", "General fact")
    mcp_crew_knowledge_retention_days = fields.Integer(
        "Keep archived items (days)",
        config_parameter="mcp_crew.knowledge_retention_days",
        default=30,
        help="Expired items stay archived this long, then are deleted; 0 = keep forever.",
    )
    mcp_crew_dedupe_threshold = fields.Float(
        "Near-duplicate similarity",
        config_parameter="mcp_crew.dedupe_threshold",
        default=0.85,
        help="Trigram similarity (0-1) above which stored content refreshes the existing item.",
    )
    mcp_crew_knowledge_stream_maxlen = fields.Integer(
        "Events kept per company",
        config_parameter="mcp_crew.knowledge_stream_maxlen",
        default=DEFAULT_MAXLEN,
    )
    mcp_crew_embeddings_base_url = fields.Char(
        "Embeddings endpoint",
        config_parameter="mcp_crew.embeddings_base_url",
        help="OpenAI-compatible base URL (e.g. https://api.openai.com/v1 or a local "
        "server); empty = lexical ranking only.",
    )
    mcp_crew_embeddings_model = fields.Char(
        "Embeddings model",
        config_parameter="mcp_crew.embeddings_model",
        default="text-embedding-3-small",
    )
    mcp_crew_embeddings_api_key = fields.Char(
        "Embeddings API key", config_parameter="mcp_crew.embeddings_api_key"
    )

    mcp_crew_llm_model = fields.Char(
        "LLM model",
        config_parameter="mcp_crew.llm_model",
        help="Model name on an OpenAI-compatible server (e.g. gpt-4o-mini, or a local "
        "model); empty = no LLM: knowledge answers, tool commands and intents only. "
        "odoo.conf [mcp_crew] llm_model / MCP_CREW_LLM_MODEL win over this.",
    )
    mcp_crew_llm_base_url = fields.Char(
        "LLM base URL",
        config_parameter="mcp_crew.llm_base_url",
        help="Any OpenAI-compatible endpoint, including local ones (e.g. "
        "http://localhost:11434/v1); empty = the provider's default.",
    )
    mcp_crew_llm_api_key = fields.Char(
        "LLM API key",
        config_parameter="mcp_crew.llm_api_key",
        help="Prefer odoo.conf [mcp_crew] llm_api_key or MCP_CREW_LLM_API_KEY in production.",
    )
    mcp_crew_llm_timeout = fields.Float(
        "LLM timeout (s)", config_parameter="mcp_crew.llm_timeout", default=60.0
    )
    mcp_crew_llm_price_prompt = fields.Float(
        "Price per million prompt tokens", config_parameter="mcp_crew.llm_price_prompt"
    )
    mcp_crew_llm_price_completion = fields.Float(
        "Price per million completion tokens", config_parameter="mcp_crew.llm_price_completion"
    )
    mcp_crew_monthly_token_quota = fields.Integer(
        related="company_id.mcp_crew_monthly_token_quota", readonly=False
    )
    mcp_crew_approval_ttl_minutes = fields.Integer(
        "Approval requests expire after (min)",
        config_parameter="mcp_crew.approval_ttl_minutes",
        default=60,
    )
    mcp_crew_max_message_length = fields.Integer(
        "Longest request (characters)",
        config_parameter="mcp_crew.max_message_length",
        default=DEFAULT_MAX_MESSAGE,
    )

    def _compute_mcp_crew_redis(self):
        engine = get_engine()
        reachable = engine.l2.ping()
        for settings in self:
            settings.mcp_crew_redis_url = engine.settings.redis_url_redacted
            settings.mcp_crew_redis_status = "reachable" if reachable else "unreachable"
