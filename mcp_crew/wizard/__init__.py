from . import mcp_register_odoo
