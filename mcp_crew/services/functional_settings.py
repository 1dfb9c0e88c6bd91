"""The functional settings of a database, each declared once: key, type, default.

Functional settings differ per database and live in ``ir.config_parameter``
as ``mcp_crew.<key>`` (most on the settings page). The settings page's fields,
every read in the models and the README's settings table all come from
:data:`SETTINGS` (a test compares the README with it). The infrastructure tier
(odoo.conf and the environment) is :mod:`.settings`.
"""

import dataclasses

from .knowledge.events import DEFAULT_MAXLEN
from .mcp_endpoint import MAX_BODY_BYTES
from .settings import DEFAULT_TTL_BY_KIND

PARAM_PREFIX = "mcp_crew."

# Days a knowledge item lives unless told otherwise; 0 = no expiry.
KNOWLEDGE_TTL_DAYS = {
    "product_info": 90,
    "customer_insight": 180,
    "conversation_summary": 365,
    "analysis_result": 30,
    "recommendation": 30,
    "market_data": 7,
    "technical_spec": 365,
    "general_fact": 0,
}


@dataclasses.dataclass(frozen=True)
class Setting:
    key: str
    type: type
    default: object

    @property
    def param(self):
        """Its ``ir.config_parameter`` key."""
        return PARAM_PREFIX + self.key

    def parse(self, raw):
        """The stored text as a value of :attr:`type`; the default when unset or
        not a valid value (a typo in a system parameter must not break runs)."""
        if raw in (None, False, ""):
            return self.default
        if self.type is str:
            return str(raw)
        try:
            return self.type(raw)
        except (TypeError, ValueError):
            try:  # "30.0" for an integer setting
                return self.type(float(raw))
            except (TypeError, ValueError):
                return self.default


def _declare(*settings):
    return {setting.key: setting for setting in settings}


SETTINGS = _declare(
    # MCP servers and their catalogs
    Setting("default_timeout", float, 10.0),
    Setting("prewarm_margin", int, 600),
    Setting("discovery_batch_size", int, 20),
    *(Setting("ttl_%s" % kind, int, ttl) for kind, ttl in DEFAULT_TTL_BY_KIND.items()),
    # Knowledge
    *(Setting("knowledge_ttl_%s" % kind, int, days) for kind, days in KNOWLEDGE_TTL_DAYS.items()),
    Setting("knowledge_retention_days", int, 30),
    Setting("dedupe_threshold", float, 0.85),
    Setting("knowledge_stream_maxlen", int, DEFAULT_MAXLEN),
    Setting("trigram_threshold", float, 0.4),
    Setting("recency_half_life_days", float, 30.0),
    Setting("embeddings_base_url", str, ""),
    Setting("embeddings_model", str, "text-embedding-3-small"),
    Setting("embeddings_api_key", str, ""),
    Setting("embeddings_timeout", float, 5.0),
    Setting("embeddings_weight", float, 0.5),
    # Crews and runs (the LLM ones yield to odoo.conf and the environment)
    Setting("llm_model", str, ""),
    Setting("llm_base_url", str, ""),
    Setting("llm_api_key", str, ""),
    Setting("llm_timeout", float, 60.0),
    Setting("llm_max_tokens", int, 0),
    Setting("llm_tool_calling", str, "auto"),
    Setting("llm_price_prompt", float, 0.0),
    Setting("llm_price_completion", float, 0.0),
    Setting("routing_semantic_step", str, "embeddings"),
    Setting("approval_ttl_minutes", int, 60),
    Setting("max_message_length", int, 4000),
    # Odoo as an MCP server
    Setting("mcp_max_body_bytes", int, MAX_BODY_BYTES),
    Setting("mcp_allowed_methods", str, ""),
    Setting("mcp_allowed_origins", str, ""),
)


def read(key, raw):
    """Setting ``key`` from its stored text ``raw`` (see :meth:`Setting.parse`)."""
    return SETTINGS[key].parse(raw)
