from . import test_mcp_tools, test_pipeline, test_scheduling, test_wizard
