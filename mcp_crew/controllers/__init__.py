from . import main, mcp, metrics, oauth, oauth_client
