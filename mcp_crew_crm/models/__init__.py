from . import crm_lead, mcp_crm_pipeline, mcp_crm_scheduling, mcp_endpoint, res_partner
