"""What get_tools() and call_tool() keep between calls, and what drops it.

Counted, never timed: SQL queries, Redis reads and rebuilds of what is kept.
"""

from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import McpCrewCase


@tagged("post_install", "-at_install", "mcp_crew")
class TestHotPathCaches(McpCrewCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = cls.create_stdio_server("hot", "--filler", "2")
        cls.server.action_discover()
        cls.user = new_test_user(
            cls.env,
            login="mcp_hot_user",
            groups="base.group_user,mcp_crew.group_mcp_crew_user",
            company_id=cls.company_a.id,
        )

    def setUp(self):
        super().setUp()
        self.as_user = self.server.with_user(self.user)

    def tool(self, name):
        tools = self.server.with_context(active_test=False).tool_ids
        return tools.filtered(lambda tool: tool.name == name)

    def names(self):
        return {tool["name"] for tool in self.as_user.get_tools()}

    def count_builds(self, method):
        """Patch ``mcp.server.<method>`` to count its calls; returns the list of calls."""
        calls = []
        model = type(self.env["mcp.server"])
        original = getattr(model, method)

        def counting(records, *args):
            calls.append(args)
            return original(records, *args)

        self.enter_context(patch.object(model, method, counting))
        return calls

    def test_warm_get_tools_runs_no_sql_and_reads_nothing_from_redis(self):
        self.as_user.get_tools()  # warm: L1, the spec, the switched-off tools, the grant
        get = self.enter_context(
            patch.object(self.engine.l2.client, "get", wraps=self.engine.l2.client.get)
        )
        with self.assertQueryCount(0):
            tools = self.as_user.get_tools()
        self.assertEqual(get.call_count, 0)
        self.assertIn("add", {tool["name"] for tool in tools})
        # Served from L2: one Redis read, still no SQL.
        self.engine.cache.l1.clear()
        with self.assertQueryCount(0):
            self.as_user.get_tools()
        self.assertEqual(get.call_count, 1)

    def test_switching_a_tool_off_reaches_the_next_get_tools_and_call_tool(self):
        self.assertIn("echo", self.names())
        self.as_user.call_tool("echo", {"text": "hi"})  # every cache warm
        self.registry.cache_invalidated = False
        self.tool("echo").active = False  # an admin switches it off
        # What tells the other workers (base_cache_signaling at the request's end).
        self.assertTrue(self.registry.cache_invalidated)
        self.assertNotIn("echo", self.names())
        with self.assertRaisesRegex(UserError, "switched off"):
            self.as_user.call_tool("echo", {"text": "hi"})
        self.tool("echo").active = True
        self.assertIn("echo", self.names())
        self.assertEqual(self.as_user.call_tool("echo", {"text": "hi"})["status"], "ok")

    def test_another_worker_sees_a_switch_once_the_caches_are_signalled(self):
        self.assertIn("echo", self.names())
        # Another worker's committed switch: this process's caches are untouched.
        self.env.cr.execute(
            "UPDATE mcp_tool SET active = false WHERE id = %s", [self.tool("echo").id]
        )
        self.env.invalidate_all()
        self.assertIn("echo", self.names(), "served from the cached state")
        # What Registry.check_signaling() does at this worker's next request.
        self.registry.clear_caches()
        self.assertNotIn("echo", self.names())

    def test_call_tool_reuses_the_spec_and_the_tool_lookup(self):
        self.as_user.call_tool("add", {"a": 1, "b": 2})
        builds = self.count_builds("_build_engine_spec")
        with patch.object(
            type(self.env["mcp.tool"]), "search_read", side_effect=AssertionError("tool lookup")
        ):
            result = self.as_user.call_tool("add", {"a": 40, "b": 2})
        self.assertEqual(result["structured_content"], {"sum": 42})
        self.assertEqual(builds, [], "the spec was kept")

    def test_server_and_parameter_edits_rebuild_the_spec(self):
        self.as_user.call_tool("add", {"a": 1, "b": 2})
        builds = self.count_builds("_build_engine_spec")
        self.server.timeout = 7
        self.assertEqual(self.as_user._engine_spec().timeout, 7)
        self.assertEqual(len(builds), 1)
        self.server.write({"state": "degraded", "last_error": "status only"})
        self.as_user._engine_spec()
        self.assertEqual(len(builds), 1, "status writes (each discovery) keep the spec")
        self.env["mcp.server.param"].create(
            {"server_id": self.server.id, "param_type": "env", "name": "REGION", "value": "eu"}
        )
        self.assertIn(("REGION", "eu"), self.as_user._engine_spec().env)
        self.assertEqual(len(builds), 2)

    def test_a_kept_read_grant_ends_with_the_group_or_the_company(self):
        self.as_user.get_tools()
        self.user.groups_id = [(3, self.env.ref("mcp_crew.group_mcp_crew_user").id)]
        with self.assertRaises(AccessError):
            self.as_user.get_tools()
        self.user.groups_id = [(4, self.env.ref("mcp_crew.group_mcp_crew_user").id)]
        self.as_user.get_tools()
        other = self.env["res.company"].create({"name": "Hot path company B"})
        self.server.company_id = other
        with self.assertRaises(AccessError):
            self.as_user.get_tools()
