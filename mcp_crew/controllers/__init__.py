# HTTP entry points (/mcp_crew/ask, /mcp, metrics) live here; this first
# release exposes none, everything goes through the models' RPC methods.
