from . import (
    mcp_catalog_mixin,
    mcp_knowledge,
    mcp_knowledge_event,
    mcp_knowledge_tag,
    mcp_knowledge_version,
    mcp_knowledge_word,
    mcp_prompt,
    mcp_resource,
    mcp_server,
    mcp_server_param,
    mcp_tool,
    res_config_settings,
)
