{
    "name": "MCP Crew - Sales",
    "summary": "Sale orders from plain words: MCP tools (find customers and products, "
    "check stock, create and confirm orders, the whole flow from a sentence) and the "
    "create_sale_order intent of MCP Crew requests",
    "version": "16.0.1.0.0",
    "category": "Sales/Sales",
    "website": "https://github.com/mcp-crew/mcp_crew",
    "author": "mcp_crew",
    "license": "LGPL-3",
    "depends": ["mcp_crew", "sale_stock"],
    "data": [],
    "installable": True,
    "auto_install": True,
}
