{
    "name": "MCP Crew CRM",
    "summary": "CRM skills for MCP Crew: smart contact intake (normalise, validate, "
    "de-duplicate, enrich, score, follow up) and meeting scheduling, as Odoo actions "
    "and as tools of Odoo's MCP server",
    "version": "16.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/mcp-crew/mcp_crew",
    "author": "mcp_crew",
    "license": "LGPL-3",
    "depends": ["mcp_crew", "crm", "calendar"],
    "external_dependencies": {"python": ["phonenumbers"]},
    "data": [
        "security/ir.model.access.csv",
        "views/crm_lead_views.xml",
        "wizard/mcp_crm_contact_wizard_views.xml",
    ],
    "installable": True,
    "auto_install": True,
}
