import json
import uuid

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.mcp_crew.models.mcp_run_states import RunState, StepStatus
from odoo.addons.mcp_crew.models.mcp_run_step import arguments_key
from odoo.addons.mcp_crew.services import redaction

from .common import McpCrewCase


@tagged("post_install", "-at_install", "mcp_crew")
class TestMcpServer(McpCrewCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = cls.create_stdio_server("catalog", "--page-size", "2", "--filler", "3")

    def test_discover_persists_tools_resources_and_prompts(self):
        action = self.server.action_discover()
        self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
        self.assertEqual(self.server.state, "ok")
        self.assertTrue(self.server.last_discovery_at)
        self.assertEqual(self.server.server_info_version, "1.2.3")
        self.assertEqual(self.server.tool_count, 9)
        add = self.server.tool_ids.filtered(lambda t: t.name == "add")
        self.assertTrue(add.read_only_hint)
        self.assertFalse(add.destructive_hint)
        self.assertEqual(json.loads(add.input_schema)["required"], ["a", "b"])
        self.assertEqual(
            set(self.server.resource_ids.mapped("uri")),
            {"memo://readme", "memo://changelog", "memo://notes/{id}"},
        )
        self.assertEqual(self.server.prompt_ids.name, "summarize")
        self.assertEqual(self.server.company_id, self.company_a)
        self.assertEqual(self.server.tool_ids.company_id, self.company_a)

    def test_sync_archives_vanished_and_keeps_admin_choices(self):
        self.server.action_discover()
        tools = self.env["mcp.tool"].with_context(active_test=False)
        echo = tools.search([("server_id", "=", self.server.id), ("name", "=", "echo")])
        echo.active = False  # an admin switches it off
        # The server now lists one filler tool instead of three.
        self.server.args_text = self.server.args_text.replace("--filler\n3", "--filler\n1")
        self.server.action_discover()
        by_name = {t.name: t for t in tools.search([("server_id", "=", self.server.id)])}
        self.assertFalse(by_name["filler_002"].active)
        self.assertTrue(by_name["filler_002"].vanished_at)
        self.assertTrue(by_name["filler_000"].active)
        self.assertFalse(by_name["echo"].active, "an admin's switch-off survives discovery")
        # The fillers come back: archived-by-discovery tools are reactivated.
        self.server.args_text = self.server.args_text.replace("--filler\n1", "--filler\n3")
        self.server.action_discover()
        self.assertTrue(by_name["filler_002"].active)
        self.assertFalse(by_name["filler_002"].vanished_at)
        self.assertFalse(by_name["echo"].active)

    def test_get_tools_is_served_from_cache_without_contacting_the_server(self):
        url, process = self.start_http_server()
        server = self.env["mcp.server"].create(
            {"name": "http", "transport": "streamable_http", "url": url}
        )
        self.assertEqual(len(server.get_tools()), 6)
        process.kill()  # any contact with the server would now fail
        process.wait()
        tools = server.get_tools()
        self.assertEqual(len(tools), 6)
        self.assertFalse(any(tool["stale"] for tool in tools))
        self.engine.cache.l1.clear()
        self.assertEqual(len(server.get_tools()), 6, "served from Redis (L2)")
        self.assertEqual(server.state, "ok")
        self.assertEqual(server.tool_count, 6, "the live discovery was stored as records")

    def test_get_tools_hides_switched_off_tools(self):
        self.server.action_discover()
        self.server.tool_ids.filtered(lambda t: t.name == "sleep").active = False
        names = {tool["name"] for tool in self.server.get_tools()}
        self.assertNotIn("sleep", names)
        self.assertIn("echo", names)

    def test_down_server_serves_the_stored_catalog_marked_stale(self):
        self.server.action_discover()
        self.server.command = "/nonexistent/mcp-server"  # new revision: cache misses
        tools = self.server.get_tools()
        self.assertEqual(len(tools), 9)
        self.assertTrue(all(tool["stale"] for tool in tools))
        self.assertEqual(self.server.state, "degraded")
        self.assertIn("/nonexistent/mcp-server", self.server.last_error)

    def test_editing_invalidates_the_cache_after_commit(self):
        self.server.action_discover()
        self.assertTrue(self.redis_key_exists(self.server))
        revision = self.server.config_revision
        self.server.url = "http://127.0.0.1:9/mcp"  # not the transport in use, still an edit
        self.assertEqual(self.server.config_revision, revision + 1)
        self.assertTrue(self.redis_key_exists(self.server), "nothing evicted before commit")
        self.env.cr.postcommit.run()
        self.assertFalse(self.redis_key_exists(self.server))

    def test_editing_a_header_bumps_the_revision(self):
        revision = self.server.config_revision
        self.env["mcp.server.param"].create(
            {
                "server_id": self.server.id,
                "param_type": "env",
                "name": "TOKEN",
                "is_secret": True,
                "secret_value": "s3cr3t",
            }
        )
        self.assertEqual(self.server.config_revision, revision + 1)
        spec = self.server._engine_spec()
        self.assertIn(("TOKEN", "s3cr3t"), spec.env)
        self.assertNotIn("s3cr3t", repr(spec))

    def test_call_tool_validates_and_refuses_switched_off_tools(self):
        self.server.action_discover()
        result = self.server.call_tool("add", {"a": 40, "b": 2})
        self.assertEqual(result["structured_content"], {"sum": 42})
        self.assertFalse(result["is_error"])
        with self.assertRaisesRegex(ValidationError, "b: 'two' is not of type 'integer'"):
            self.server.call_tool("add", {"a": 1, "b": "two"})
        with self.assertRaises(UserError):
            self.server.call_tool("no_such_tool", {})
        self.server.tool_ids.filtered(lambda t: t.name == "add").active = False
        with self.assertRaisesRegex(UserError, "switched off"):
            self.server.call_tool("add", {"a": 1, "b": 2})

    def test_call_tool_records_its_finished_run_and_step_once(self):
        self.server.action_discover()
        secret = "tok-%s" % uuid.uuid4().hex
        redaction.protect(secret)
        self.server.call_tool("echo", {"text": "warm"})  # spec, tool index, read grant kept
        arguments = {"text": "key %s" % secret}
        # The run and its step in one INSERT, each in its final state; nothing read back.
        with self.assertQueryCount(2):
            result = self.server.call_tool("echo", arguments)
        run = self.env["mcp.run"].browse(result["run_id"])
        self.assertRecordValues(
            run,
            [
                {
                    "state": RunState.DONE,
                    "is_success": 1,
                    "channel": "jsonrpc",
                    "requester_id": self.env.uid,
                    "company_id": self.company_a.id,
                    "route_kind": "tool",
                    "route_name": "echo",
                    "queued": False,
                    "sensitive": False,
                    "create_uid": self.env.uid,
                    "write_uid": self.env.uid,
                }
            ],
        )
        self.assertTrue(run.create_date and run.finished_at)
        # Measured from the call, not from datetimes of different precisions.
        self.assertGreater(run.duration_ms, 0)
        self.assertEqual(run.message, "/tool echo %s" % arguments_key(arguments))
        step = run.step_ids
        self.assertRecordValues(
            step,
            [
                {
                    "sequence": 1,
                    "kind": "tool",
                    "name": "echo",
                    "status": StepStatus.OK,
                    "server_id": self.server.id,
                    "tool_id": self.server.tool_ids.filtered(lambda t: t.name == "echo").id,
                    "company_id": self.company_a.id,
                    "arguments": arguments_key(arguments),
                    "error": False,
                }
            ],
        )
        self.assertGreater(step.latency_ms, 0)
        # What the server echoed is stored masked.
        self.assertIn("key", step.result_summary)
        self.assertNotIn(secret, step.result_summary + run.answer)
        # A tool's own error: the run answers, its step records the error.
        result = self.server.call_tool("fail", {})
        run = self.env["mcp.run"].browse(result["run_id"])
        self.assertEqual((run.state, run.step_ids.status), (RunState.DONE, StepStatus.ERROR))
        self.assertIn("always fails", run.step_ids.error)

    def test_test_connection_notifies_name_version_and_latency(self):
        params = self.server.action_test_connection()["params"]
        self.assertEqual(params["type"], "success")
        self.assertIn("catalog-server 1.2.3", params["message"])
        self.assertIn("ms", params["message"])
        broken = self.create_stdio_server("broken", command="/nonexistent/mcp")
        params = broken.action_test_connection()["params"]
        self.assertEqual(params["type"], "danger")

    def test_clear_cache(self):
        self.server.action_discover()
        self.server.action_clear_cache()
        self.assertFalse(self.redis_key_exists(self.server))

    def test_kind_sets_the_default_ttl_and_settings_override_it(self):
        self.assertEqual(self.server.cache_ttl, 6 * 3600)
        self.server.kind = "external_api"
        self.assertEqual(self.server.cache_ttl, 300)
        self.env["ir.config_parameter"].set_param("mcp_crew.ttl_external_api", 120)
        self.server.invalidate_recordset(["cache_ttl"])
        self.assertEqual(self.server.cache_ttl, 120)
        self.server.cache_ttl_override = 45
        self.assertEqual(self.server.cache_ttl, 45)

    def test_bad_configuration_gets_a_clear_error(self):
        server = self.env["mcp.server"].create(
            {"name": "no url", "transport": "streamable_http", "url": "ftp://x"}
        )
        with self.assertRaisesRegex(ValidationError, "not an http"):
            server.get_tools()

    def test_cron_prewarms_in_batches(self):
        second = self.create_stdio_server("second")
        cron = self.env.ref("mcp_crew.ir_cron_mcp_refresh_discovery")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        refreshed = self.env["mcp.server"]._cron_refresh_discovery(batch_size=1)
        self.assertEqual(refreshed, 1)
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            triggers + 1,
            "work remains: the cron re-triggers itself",
        )
        self.env["mcp.server"]._cron_refresh_discovery(batch_size=5)
        self.assertEqual((self.server | second).mapped("state"), ["ok", "ok"])
        self.assertTrue(second.tool_ids)
        # Fresh catalogs are not refreshed again.
        self.assertEqual(self.env["mcp.server"]._cron_refresh_discovery(batch_size=5), 0)

    def test_secret_values_are_for_system_administrators_only(self):
        param = self.env["mcp.server.param"].create(
            {
                "server_id": self.server.id,
                "param_type": "header",
                "name": "Authorization",
                "is_secret": True,
                "secret_value": "Bearer s3cr3t",
            }
        )
        as_manager = param.with_user(self.manager)
        self.assertEqual(as_manager.value_display, "********")
        with self.assertRaises(AccessError):
            as_manager.read(["secret_value"])
        with self.assertRaises(ValidationError):
            param.value = "plain copy of the secret"
