from . import mcp_endpoint, mcp_run, mcp_sale_agent
