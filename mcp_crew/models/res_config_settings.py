from odoo import fields, models

from ..runtime import get_engine
from ..services import tool_calling
from .functional_settings import setting_field


def _ttl_field(kind, label):
    return setting_field("ttl_%s" % kind, "%s catalog TTL (s)" % label)


def _knowledge_ttl_field(knowledge_type, label):
    return setting_field(
        "knowledge_ttl_%s" % knowledge_type,
        "%s (days)" % label,
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
    mcp_crew_default_timeout = setting_field("default_timeout", "Default timeout (s)")
    mcp_crew_prewarm_margin = setting_field(
        "prewarm_margin",
        "Pre-warm margin (s)",
        help="The discovery cron refreshes catalogs that expire within this margin.",
    )
    mcp_crew_discovery_batch_size = setting_field("discovery_batch_size", "Servers per cron run")
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
    mcp_crew_knowledge_retention_days = setting_field(
        "knowledge_retention_days",
        "Keep archived items (days)",
        help="Expired items stay archived this long, then are deleted; 0 = keep forever.",
    )
    mcp_crew_dedupe_threshold = setting_field(
        "dedupe_threshold",
        "Near-duplicate similarity",
        help="Trigram similarity (0-1) above which stored content refreshes the existing item.",
    )
    mcp_crew_knowledge_stream_maxlen = setting_field(
        "knowledge_stream_maxlen", "Events kept per company"
    )
    mcp_crew_embeddings_base_url = setting_field(
        "embeddings_base_url",
        "Embeddings endpoint",
        help="OpenAI-compatible base URL (e.g. https://api.openai.com/v1 or a local "
        "server); empty = lexical ranking only.",
    )
    mcp_crew_embeddings_model = setting_field("embeddings_model", "Embeddings model")
    mcp_crew_embeddings_api_key = setting_field("embeddings_api_key", "Embeddings API key")

    mcp_crew_llm_model = setting_field(
        "llm_model",
        "LLM model",
        help="Model name on an OpenAI-compatible server (e.g. gpt-4o-mini, or a local "
        "model); empty = no LLM: knowledge answers, tool commands and intents only. "
        "odoo.conf [mcp_crew] llm_model / MCP_CREW_LLM_MODEL win over this.",
    )
    mcp_crew_llm_base_url = setting_field(
        "llm_base_url",
        "LLM base URL",
        help="Any OpenAI-compatible endpoint, including local ones (e.g. "
        "http://localhost:11434/v1); empty = the provider's default.",
    )
    mcp_crew_llm_api_key = setting_field(
        "llm_api_key",
        "LLM API key",
        help="Prefer odoo.conf [mcp_crew] llm_api_key or MCP_CREW_LLM_API_KEY in production.",
    )
    mcp_crew_llm_timeout = setting_field("llm_timeout", "LLM timeout (s)")
    mcp_crew_llm_max_tokens = setting_field(
        "llm_max_tokens",
        "Longest LLM answer (tokens)",
        help="Caps each answer of the model (0 = the model's own limit): small local models "
        "can otherwise ramble for minutes.",
    )
    mcp_crew_llm_tool_calling = setting_field(
        "llm_tool_calling",
        "LLM tool calling",
        selection=[
            (tool_calling.AUTO, "Auto"),
            (tool_calling.NATIVE, "Native (OpenAI tool calls)"),
            (tool_calling.TEXT, "Text (ReAct format)"),
        ],
        help="How the model calls tools. Native: OpenAI tool calls (hosted models). Text: "
        "Thought/Action lines, for models that write their calls as text (many small local "
        "models). Auto: native, switching a model to text the first time it writes a call "
        "as text, and remembering it.",
    )
    mcp_crew_routing_semantic_step = setting_field(
        "routing_semantic_step",
        "Routing when words are not enough",
        selection=[
            ("llm", "The LLM classifies"),
            ("embeddings", "Embeddings of the crews"),
            ("none", "Example requests only"),
        ],
        help="When a request's words point to no crew clearly, with an LLM configured, what the "
        "crews' example requests say of its words decides, weighed with: the request compared "
        "with each crew's description and examples by the knowledge base's embeddings (none "
        "configured: nothing more), the LLM's choice of a crew (one short completion, counted "
        "on the run, asked only when no crew qualifies), or nothing more. A specialist crew is "
        "chosen only when clearly likelier than the default crew.",
    )
    mcp_crew_llm_price_prompt = setting_field("llm_price_prompt", "Price per million prompt tokens")
    mcp_crew_llm_price_completion = setting_field(
        "llm_price_completion", "Price per million completion tokens"
    )
    mcp_crew_monthly_token_quota = fields.Integer(
        related="company_id.mcp_crew_monthly_token_quota", readonly=False
    )
    mcp_crew_approval_ttl_minutes = setting_field(
        "approval_ttl_minutes", "Approval requests expire after (min)"
    )
    mcp_crew_max_message_length = setting_field(
        "max_message_length", "Longest request (characters)"
    )

    def _compute_mcp_crew_redis(self):
        engine = get_engine()
        reachable = engine.l2.ping()
        for settings in self:
            settings.mcp_crew_redis_url = engine.settings.redis_url_redacted
            settings.mcp_crew_redis_status = "reachable" if reachable else "unreachable"
