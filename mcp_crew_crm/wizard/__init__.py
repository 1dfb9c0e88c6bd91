from . import mcp_crm_contact_wizard
