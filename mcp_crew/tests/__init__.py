from . import test_mcp_server, test_multi_company
