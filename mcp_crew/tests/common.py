"""Test helpers: real MCP servers (the SDK-built ``catalog_server.py``) and users."""

import os
import socket
import subprocess
import sys
import time

from odoo.tests.common import TransactionCase, new_test_user

from ..runtime import get_engine

CATALOG_SERVER = os.path.join(os.path.dirname(__file__), "catalog_server.py")


class McpCrewCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.engine = get_engine()
        cls.company_a = cls.env.company
        cls.manager = new_test_user(
            cls.env,
            login="mcp_manager",
            groups="mcp_crew.group_mcp_crew_manager",
            company_id=cls.company_a.id,
        )

    @classmethod
    def create_stdio_server(cls, name="catalog", *options, company=None, **values):
        vals = {
            "name": name,
            "transport": "stdio",
            "command": sys.executable,
            "args_text": "\n".join([CATALOG_SERVER, "stdio", *options]),
            "kind": "database",
            "timeout": 15,
        }
        vals.update(values)
        if company:
            vals["company_id"] = company.id
        return cls.env["mcp.server"].create(vals)

    def redis_key_exists(self, server):
        return bool(self.engine.l2.client.exists(server._engine_spec().catalog_key()))

    def start_http_server(self, *options):
        """Start the catalog server over streamable HTTP; returns (url, process)."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        process = subprocess.Popen(
            [sys.executable, CATALOG_SERVER, "http", "--port", str(port), *options],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.addCleanup(process.kill)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return "http://127.0.0.1:%d/mcp" % port, process
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the catalog server did not start")
