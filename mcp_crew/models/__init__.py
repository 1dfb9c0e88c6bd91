from . import (
    mcp_catalog_mixin,
    mcp_prompt,
    mcp_resource,
    mcp_server,
    mcp_server_param,
    mcp_tool,
    res_config_settings,
)
