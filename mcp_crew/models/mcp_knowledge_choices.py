"""The choices of a knowledge item, shared by the model and its mixins (plain values:
imported before any of them is registered)."""

KNOWLEDGE_TYPES = [
    ("product_info", "Product information"),
    ("customer_insight", "Customer insight"),
    ("conversation_summary", "Conversation summary"),
    ("analysis_result", "Analysis result"),
    ("recommendation", "Recommendation"),
    ("market_data", "Market data"),
    ("technical_spec", "Technical specification"),
    ("general_fact", "General fact"),
]
SOURCE_KINDS = [
    ("user", "User"),
    ("agent", "Agent"),
    ("crew", "Crew"),
    ("mcp_server", "MCP server"),
    ("run", "Run"),
]
LANGUAGES = [("pt", "Portuguese"), ("en", "English"), ("simple", "Other")]
# Fields whose change makes a new version (the rest is metadata).
VERSIONED_FIELDS = ("name", "content", "topic", "confidence", "tag_ids")
# Fields whose words feed the company vocabulary (typo correction).
WORD_FIELDS = {"name", "content", "topic", "tag_ids"}
