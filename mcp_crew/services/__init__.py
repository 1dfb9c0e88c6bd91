"""The mcp_crew engine: plain Python, never imports ``odoo``.

MCP sessions and discovery, the two-level cache, circuit breakers and argument
validation live here, tested by plain pytest under the repository's ``tests/``.
The Odoo models are thin adapters that build :class:`~.spec.ServerSpec` values
from records and call :class:`~.engine.McpEngine`.
"""
