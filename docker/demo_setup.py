"""Register the demo MCP servers; run once by the entrypoint in `odoo shell`.

`env` is odoo shell's environment (superuser, the demo database). Two servers
of the main company: the demo server as its own compose service (streamable
HTTP, MCP_DEMO_URL) and the same program spawned over stdio inside this
container. Discovery failures are reported, not fatal: the cron retries.
"""

import os
import sys

DEMO_SERVER = os.environ.get("MCP_DEMO_SERVER", "/opt/mcp-demo/mcp_demo_server.py")
servers = []
if os.environ.get("MCP_DEMO_URL"):
    servers.append({
        "name": "Demo suppliers (HTTP)",
        "kind": "external_api",
        "transport": "streamable_http",
        "url": os.environ["MCP_DEMO_URL"],
    })
servers.append({
    "name": "Demo suppliers (stdio)",
    "kind": "external_api",
    "transport": "stdio",
    "command": sys.executable,
    "args_text": "%s\nstdio" % DEMO_SERVER,
})
Server = env["mcp.server"]  # noqa: F821 - provided by odoo shell
for values in servers:
    server = Server.search([("name", "=", values["name"])]) or Server.create(values)
    try:
        server.action_discover()
        print("demo: %s: %d tools" % (server.name, len(server.tool_ids)))
    except Exception as err:  # noqa: BLE001 - the demo still starts; the cron retries
        print("demo: %s: discovery failed: %s" % (server.name, err))
env.cr.commit()  # noqa: F821
