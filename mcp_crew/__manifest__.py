{
    "name": "MCP Crew",
    "summary": "Multi-agent AI hub on the Model Context Protocol: MCP server registry, "
    "tool discovery, a two-level cache, a shared knowledge base and crews answering "
    "natural-language requests",
    "version": "16.0.1.2.0",
    "category": "Productivity",
    "website": "https://github.com/mcp-crew/mcp_crew",
    "author": "mcp_crew",
    "license": "LGPL-3",
    "depends": ["base", "mail", "bus"],
    "external_dependencies": {"python": ["mcp", "redis", "jsonschema", "snowballstemmer"]},
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "data/mcp_crew_data.xml",
        "views/mcp_server_views.xml",
        "views/mcp_tool_views.xml",
        "views/mcp_resource_views.xml",
        "views/mcp_prompt_views.xml",
        "views/mcp_knowledge_views.xml",
        "views/mcp_crew_views.xml",
        "views/res_config_settings_views.xml",
        "views/mcp_crew_menus.xml",
    ],
    "application": True,
    "installable": True,
}
