from . import test_mcp_server
from . import test_multi_company
