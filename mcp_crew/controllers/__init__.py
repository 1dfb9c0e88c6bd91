from . import main, mcp, metrics
