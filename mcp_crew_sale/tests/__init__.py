from . import test_sale_agent, test_sale_mcp, test_sale_run
