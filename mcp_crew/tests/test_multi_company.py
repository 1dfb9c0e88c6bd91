from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tests.common import new_test_user

from .common import McpCrewCase


@tagged("post_install", "-at_install", "mcp_crew")
class TestMultiCompany(McpCrewCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "MCP Company B"})
        cls.user_a = new_test_user(
            cls.env,
            login="mcp_user_a",
            groups="mcp_crew.group_mcp_crew_manager",
            company_id=cls.company_a.id,
        )
        cls.user_b = new_test_user(
            cls.env,
            login="mcp_user_b",
            groups="mcp_crew.group_mcp_crew_manager",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.server_a = cls.create_stdio_server("catalog A", company=cls.company_a)
        cls.server_b = cls.create_stdio_server("catalog B", company=cls.company_b)
        cls.env["mcp.server.param"].create(
            {"server_id": cls.server_a.id, "param_type": "env", "name": "A_ONLY", "value": "x"}
        )
        cls.server_a.action_discover()
        cls.server_b.action_discover()

    def test_each_user_sees_only_their_company_records(self):
        for model in ("mcp.server", "mcp.tool", "mcp.resource", "mcp.prompt", "mcp.server.param"):
            records_b = self.env[model].with_user(self.user_b).search([])
            self.assertTrue(all(rec.company_id == self.company_b for rec in records_b), model)
            records_a = self.env[model].with_user(self.user_a).search([])
            self.assertFalse(records_a & records_b, model)
        self.assertIn(self.server_a, self.env["mcp.server"].with_user(self.user_a).search([]))
        self.assertEqual(self.env["mcp.server"].with_user(self.user_b).search([]), self.server_b)

    def test_company_b_cannot_use_company_a_server(self):
        foreign = self.server_a.with_user(self.user_b)
        with self.assertRaises(AccessError):
            foreign.get_tools()
        with self.assertRaises(AccessError):
            foreign.call_tool("echo", {"text": "hi"})
        with self.assertRaises(AccessError):
            foreign.action_discover()
        with self.assertRaises(AccessError):
            foreign.action_clear_cache()
        with self.assertRaises(AccessError):
            self.server_a.tool_ids.with_user(self.user_b).read(["name"])

    def test_cache_entries_are_namespaced_per_company(self):
        key_a = self.server_a._engine_spec().catalog_key()
        key_b = self.server_b._engine_spec().catalog_key()
        db = self.env.cr.dbname
        self.assertTrue(key_a.startswith("mcp_crew:{%s:%s}:" % (db, self.company_a.id)))
        self.assertTrue(key_b.startswith("mcp_crew:{%s:%s}:" % (db, self.company_b.id)))
        # B's own lookups only ever read B's keys: its tools come from its server.
        tools_b = self.server_b.with_user(self.user_b).get_tools()
        self.assertTrue(tools_b and all(t["server_id"] == self.server_b.id for t in tools_b))
        keys_b = self.engine.l2.client.keys("mcp_crew:{%s:%s}:*" % (db, self.company_b.id))
        self.assertNotIn(key_a.encode(), keys_b)

    def test_users_work_within_their_company(self):
        tools = self.server_a.with_user(self.user_a).get_tools()
        self.assertIn("echo", {tool["name"] for tool in tools})
        result = self.server_b.with_user(self.user_b).call_tool("echo", {"text": "B"})
        self.assertEqual(result["text"], "B")
