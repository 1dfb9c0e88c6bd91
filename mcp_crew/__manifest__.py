{
    "name": "MCP Crew",
    "summary": "Multi-agent AI hub on the Model Context Protocol: MCP server registry and "
    "discovery, a shared knowledge base, crews answering natural-language requests in a "
    "chat, and Odoo itself as an MCP server",
    "version": "16.0.1.6.0",
    "category": "Productivity",
    "website": "https://github.com/mcp-crew/mcp_crew",
    "author": "mcp_crew",
    "license": "LGPL-3",
    "depends": ["base", "mail", "bus", "web_tour"],
    "external_dependencies": {
        "python": [
            "mcp",
            "redis",
            "orjson",
            "jsonschema",
            "snowballstemmer",
            "authlib",
            "phonenumbers",
            "stdnum",
        ]
    },
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
        "views/mcp_dashboard_views.xml",
        "views/mcp_register_odoo_views.xml",
        "views/res_users_apikeys_views.xml",
        "views/mcp_oauth_templates.xml",
        "views/res_config_settings_views.xml",
        "views/mcp_crew_menus.xml",
        "views/mcp_oauth_views.xml",
    ],
    "demo": ["demo/mcp_crew_demo.xml"],
    "assets": {
        "web.assets_backend": [
            "mcp_crew/static/src/**/*",
        ],
        "web.qunit_suite_tests": [
            "mcp_crew/static/tests/crew_chat_tests.js",
        ],
        "web.assets_tests": [
            "mcp_crew/static/tests/tours/crew_chat_tour.js",
        ],
    },
    "application": True,
    "installable": True,
}
