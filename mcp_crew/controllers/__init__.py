from . import main, mcp, metrics, oauth
