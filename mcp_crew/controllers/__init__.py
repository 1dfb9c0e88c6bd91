from . import main, mcp
