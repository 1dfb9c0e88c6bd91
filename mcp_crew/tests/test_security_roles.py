"""Issue 16 probes, replayed as the real roles over ``/jsonrpc`` ``execute_kw`` (API
keys) and ``/mcp``, with two companies: the tool gate has no public bypass,
approvals take someone else, catalog annotations are the server's, records
stay in their companies, runs are an audit trail, sensitive knowledge keeps
its readers, and ``/mcp`` input is bounded."""

import json

from odoo.tests import HttpCase, tagged
from odoo.tests.common import new_test_user

from odoo.addons.mcp_crew.models.mcp_run_states import RunState, StepStatus

from .common import allow_this_odoo, mcp_api_key, stdio_server_values


@tagged("post_install", "-at_install", "mcp_crew")
class TestSecurityRoles(HttpCase):
    # A valid CPF (check digits right), so the masking recognises it.
    CPF = "529.982.247-25"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a, cls.company_b = cls.env["res.company"].create(
            [{"name": "Roles Company A"}, {"name": "Roles Company B"}]
        )

        def user(login, groups, company):
            return new_test_user(
                cls.env,
                login=login,
                groups="base.group_partner_manager," + groups,
                company_id=company.id,
                company_ids=[(6, 0, company.ids)],
            )

        cls.user_a = user(
            "roles_user_a", "base.group_allow_export,mcp_crew.group_mcp_crew_user", cls.company_a
        )
        cls.approver_a = user("roles_approver_a", "mcp_crew.group_mcp_crew_approver", cls.company_a)
        cls.manager_a = user("roles_manager_a", "mcp_crew.group_mcp_crew_manager", cls.company_a)
        cls.manager_b = user("roles_manager_b", "mcp_crew.group_mcp_crew_manager", cls.company_b)
        # Keys that may write where the host cannot confirm (as crews' keys):
        # the tests reach the checks behind the confirmation.
        cls.keys = {
            person: mcp_api_key(person, "roles")
            for person in (cls.user_a, cls.approver_a, cls.manager_a, cls.manager_b)
        }
        cls.server_a = cls.env["mcp.server"].create(
            stdio_server_values("roles catalog a", company_id=cls.company_a.id)
        )
        cls.server_a.action_discover()
        cls.server_b = cls.env["mcp.server"].create(
            stdio_server_values("roles catalog b", company_id=cls.company_b.id)
        )
        cls.tools_a = {tool.name: tool for tool in cls.server_a.tool_ids}

    # -- helpers -----------------------------------------------------------------

    def rpc(self, user, model, method, args, kwargs=None):
        """``execute_kw`` as ``user`` with their API key: the JSON-RPC reply."""
        call = [self.env.cr.dbname, user.id, self.keys[user], model, method, args, kwargs or {}]
        params = {"service": "object", "method": "execute_kw", "args": call}
        payload = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}
        response = self.url_open(
            "/jsonrpc", data=json.dumps(payload), headers={"Content-Type": "application/json"}
        )
        self.assertEqual(response.status_code, 200)
        return response.json()

    def ok(self, user, model, method, args, kwargs=None):
        reply = self.rpc(user, model, method, args, kwargs)
        self.assertNotIn("error", reply, reply.get("error"))
        return reply["result"]

    def refused(self, user, model, method, args, kwargs=None, error="AccessError"):
        reply = self.rpc(user, model, method, args, kwargs)
        self.assertIn("error", reply, "%s.%s as %s ran" % (model, method, user.login))
        self.assertEqual(reply["error"]["data"]["name"], "odoo.exceptions.%s" % error)
        return reply["error"]["data"]["message"]

    def mcp_post(self, user, body, headers=None):
        headers = dict(headers or {}, Authorization="Bearer %s" % self.keys[user])
        headers.setdefault("Content-Type", "application/json")
        return self.opener.post(self.base_url() + "/mcp", data=body, headers=headers, timeout=60)

    def mcp_tool(self, user, name, arguments):
        message = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": name, "arguments": arguments},
        }
        response = self.mcp_post(user, json.dumps(message))
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def call_tool(self, user, name, arguments):
        """``mcp.server.call_tool`` on company A's server, over RPC as ``user``."""
        return self.ok(
            user, "mcp.server", "call_tool", [[self.server_a.id], name], {"arguments": arguments}
        )

    def ask_delete(self, user, record_id):
        """A run of ``user`` waiting for approval (``/tool`` through ask, as ever)."""
        result = self.ok(
            user, "mcp.run", "ask", ['/tool delete_record {"record_id": %d}' % record_id]
        )
        self.assertEqual(result["status"], RunState.WAITING_APPROVAL, result)
        return self.env["mcp.run"].browse(result["run_id"])

    def runs_of(self, user):
        return self.env["mcp.run"].search([("requester_id", "=", user.id)])

    # -- the gate ----------------------------------------------------------------

    def test_call_tool_over_rpc_passes_the_gate_and_leaves_an_audit_step(self):
        # A destructive tool only leaves a step waiting for an approver.
        result = self.call_tool(self.user_a, "delete_record", {"record_id": 7})
        self.assertNotIn("deleted 7", json.dumps(result))
        self.assertEqual(result["status"], "pending_approval")
        run = self.env["mcp.run"].browse(result["run_id"])
        self.assertEqual((run.requester_id, run.state), (self.user_a, RunState.WAITING_APPROVAL))
        step = run.step_ids
        self.assertEqual((step.name, step.status), ("delete_record", StepStatus.PENDING_APPROVAL))
        self.assertFalse(step.result_summary)
        # A harmless one runs, recorded as a run of the caller with its step.
        result = self.call_tool(self.user_a, "add", {"a": 40, "b": 2})
        self.assertEqual((result["status"], result["structured_content"]), ("ok", {"sum": 42}))
        run = self.env["mcp.run"].browse(result["run_id"])
        self.assertEqual(
            (run.channel, run.state, run.step_ids.status), ("jsonrpc", RunState.DONE, StepStatus.OK)
        )
        self.assertEqual(len(self.runs_of(self.user_a)), 2)
        # The call itself is private: no way around the gate.
        self.refused(
            self.user_a, "mcp.server", "_call_tool", [[self.server_a.id], "delete_record", {}]
        )
        # Refused before anything runs: bad arguments, unknown tools.
        message = self.refused(
            self.user_a,
            "mcp.server",
            "call_tool",
            [[self.server_a.id], "add", {"a": "x", "b": 1}],
            error="ValidationError",
        )
        self.assertIn("a: 'x' is not of type 'integer'", message)

    def test_registered_odoo_write_waits_for_approval_instead_of_running_as_the_key_owner(self):
        allow_this_odoo(self)
        partner = self.env["res.partner"].create(
            {"name": "Roles Partner", "company_id": self.company_a.id}
        )
        wizard = self.env["mcp.register.odoo"].with_user(self.manager_a)
        action = wizard.create({"api_key": self.keys[self.manager_a]}).action_register()
        odoo_server = self.env["mcp.server"].browse(action["params"]["next"]["res_id"])
        # Inside a request the test server could not answer its own /mcp: the
        # public method is called as the user, the way execute_kw calls it.
        result = odoo_server.with_user(self.user_a).call_tool(
            "odoo_write",
            {"model": "res.partner", "ids": [partner.id], "values": {"name": "Hijacked"}},
        )
        partner.invalidate_recordset()
        self.assertEqual(partner.name, "Roles Partner")
        self.assertEqual(result["status"], "pending_approval")
        step = self.env["mcp.run"].browse(result["run_id"]).step_ids
        self.assertEqual((step.name, step.status), ("odoo_write", StepStatus.PENDING_APPROVAL))

    def test_requesters_do_not_decide_on_their_own_requests(self):
        step = self.ask_delete(self.approver_a, 3).step_ids.filtered(lambda s: s.kind == "tool")
        for method in ("action_approve", "action_reject"):
            message = self.refused(self.approver_a, "mcp.run.step", method, [step.ids])
            self.assertIn("Someone else", message)
        self.assertEqual(step.status, StepStatus.PENDING_APPROVAL)
        # The requester is not told to decide either.
        notified = (
            self.env["bus.bus"]
            .sudo()
            .search(
                [
                    ("channel", "like", '"res.partner",%d]' % self.approver_a.partner_id.id),
                    ("message", "like", "mcp_crew/approval"),
                ]
            )
        )
        self.assertFalse(notified)
        self.ok(self.manager_a, "mcp.run.step", "action_approve", [step.ids])
        self.assertEqual((step.status, step.decided_by_id), (StepStatus.APPROVED, self.manager_a))

    def test_managers_cannot_edit_the_annotations_that_drive_approvals(self):
        delete = self.tools_a["delete_record"]
        for values in (
            {"destructive_hint": False},
            {"read_only_hint": True},
            {"annotations_declared": False},
            {"input_schema": "{}"},
            {"server_id": self.server_b.id},
        ):
            message = self.refused(self.manager_a, "mcp.tool", "write", [delete.ids, values])
            self.assertIn("come from the MCP server", message)
        self.assertTrue(delete.destructive_hint and not delete.read_only_hint)
        # The admin flag only adds approval: clearing it leaves the server's.
        self.ok(self.manager_a, "mcp.tool", "write", [delete.ids, {"requires_approval": False}])
        result = self.call_tool(self.user_a, "delete_record", {"record_id": 1})
        self.assertEqual(result["status"], "pending_approval")
        echo = self.tools_a["echo"]
        self.ok(self.manager_a, "mcp.tool", "write", [echo.ids, {"requires_approval": True}])
        result = self.call_tool(self.user_a, "echo", {"text": "x"})
        self.assertEqual(result["status"], "pending_approval")
        # Switching a tool off stays an admin's choice.
        self.ok(self.manager_a, "mcp.tool", "write", [echo.ids, {"active": False}])
        self.assertFalse(echo.active)

    # -- companies ---------------------------------------------------------------

    def test_records_cannot_be_moved_out_of_ones_companies(self):
        Knowledge = self.env["mcp.knowledge"].with_user(self.manager_b)
        item = Knowledge.browse(
            Knowledge.store(
                {"title": "B only", "content": "Planted text.", "knowledge_type": "general_fact"}
            )["id"]
        )
        tag = self.env["mcp.knowledge.tag"].create({"name": "b", "company_id": self.company_b.id})
        crew_b = self.env["mcp.crew"].create(
            {"name": "B crew", "description": "B.", "company_id": self.company_b.id}
        )
        crew_a = self.env["mcp.crew"].create(
            {"name": "A crew", "description": "A.", "company_id": self.company_a.id}
        )
        agent_b = self.env["mcp.agent"].create(
            {"crew_id": crew_b.id, "name": "B", "role": "B", "goal": "B"}
        )
        a = self.company_a.id
        for model, record, values in (
            ("mcp.server", self.server_b, {"company_id": a}),
            ("mcp.knowledge", item, {"company_id": a}),
            ("mcp.knowledge.tag", tag, {"company_id": a}),
            ("mcp.crew", crew_b, {"company_id": a}),
            ("mcp.crew", crew_b, {"company_id": False}),  # shared: into A too
            ("mcp.agent", agent_b, {"crew_id": crew_a.id}),
        ):
            message = self.refused(self.manager_b, model, "write", [record.ids, values])
            self.assertRegex(message, "not one of your companies|shared by every company")
            record.invalidate_recordset()
            self.assertEqual(record.company_id, self.company_b, (model, values))
        # Company A's ask does not answer with B's text.
        result = self.env["mcp.run"].with_user(self.user_a).ask("Planted text?")
        self.assertNotIn("Planted", result["answer"])

    # -- runs ----------------------------------------------------------------------

    def test_runs_and_steps_are_never_deleted_by_non_system_users(self):
        run = self.ask_delete(self.user_a, 5)
        step = run.step_ids.filtered(lambda s: s.kind == "tool")
        self.ok(self.manager_a, "mcp.run.step", "action_approve", [step.ids])
        for user in (self.user_a, self.approver_a, self.manager_a):
            self.refused(user, "mcp.run", "unlink", [run.ids])
            self.refused(user, "mcp.run.step", "unlink", [step.ids])
            self.refused(user, "mcp.run", "write", [run.ids, {"company_id": self.company_b.id}])
        self.assertTrue(run.exists() and step.exists())
        self.assertEqual((step.decided_by_id, run.company_id), (self.manager_a, self.company_a))

    def test_sensitive_knowledge_makes_the_run_and_what_it_files_sensitive(self):
        stored = (
            self.env["mcp.knowledge"]
            .with_user(self.manager_a)
            .store(
                {
                    "title": "Cadastro do fornecedor Zeta",
                    "content": "O CPF do responsável pelo fornecedor Zeta é %s." % self.CPF,
                    "knowledge_type": "customer_insight",
                    "sensitive": True,
                }
            )
        )
        result = self.ok(
            self.manager_a,
            "mcp.run",
            "ask",
            ["Qual é o CPF do responsável pelo fornecedor Zeta?"],
        )
        self.assertEqual(result["route"]["kind"], "knowledge", result)
        self.assertIn(self.CPF, result["answer"])  # the manager may read it
        run = self.env["mcp.run"].browse(result["run_id"])
        # An approver, who cannot read sensitive items, reads nothing of it.
        self.assertEqual(
            self.ok(self.approver_a, "mcp.run", "search_read", [[("id", "=", run.id)], ["answer"]]),
            [],
        )
        self.assertEqual(
            self.ok(
                self.approver_a,
                "mcp.run.step",
                "search_read",
                [[("run_id", "=", run.id)], ["result_summary"]],
            ),
            [],
        )
        self.assertTrue(run.sensitive)
        self.refused(self.approver_a, "mcp.run", "get_results", [run.ids])
        self.refused(self.approver_a, "mcp.run", "read", [run.ids, ["answer"]])
        self.assertEqual(
            self.ok(self.manager_a, "mcp.run", "get_results", [run.ids])[0]["run_id"], run.id
        )
        # What a crew concludes from it is filed as sensitive too.
        run.sudo().write({"answer": "Resposta com %s" % self.CPF})
        run.with_user(self.manager_a)._extract_knowledge()
        self.assertNotEqual(run.extracted_knowledge_id.id, stored["id"])
        self.assertTrue(run.extracted_knowledge_id.sensitive)
        self.assertFalse(
            self.ok(
                self.approver_a,
                "mcp.knowledge",
                "search_read",
                [[("id", "=", run.extracted_knowledge_id.id)], ["content"]],
            )
        )

    def test_identifiers_are_masked_in_search_read_and_read_as_in_search_knowledge(self):
        item_id = (
            self.env["mcp.knowledge"]
            .with_user(self.manager_a)
            .store(
                {
                    "title": "Contato %s" % self.CPF,
                    "content": "Responsável: CPF %s, e-mail ana.souza@example.com." % self.CPF,
                    "knowledge_type": "customer_insight",
                }
            )["id"]
        )
        domain = [("id", "=", item_id)]
        for method, args in (
            ("search_read", [domain, ["name", "content", "display_name"]]),
            ("read", [[item_id], ["name", "content", "display_name"]]),
        ):
            rows = self.ok(self.user_a, "mcp.knowledge", method, args)
            text = json.dumps(rows)
            self.assertNotIn(self.CPF, text, method)
            self.assertNotIn("ana.souza@", text, method)
            self.assertIn("example.com", text, method)  # enough to tell values apart
        exported = self.ok(
            self.user_a, "mcp.knowledge", "export_data", [[item_id], ["name", "content"]]
        )
        self.assertNotIn(self.CPF, json.dumps(exported))
        names = self.ok(self.user_a, "mcp.knowledge", "name_get", [[item_id]])
        self.assertNotIn(self.CPF, json.dumps(names))
        versions = self.ok(
            self.user_a,
            "mcp.knowledge.version",
            "search_read",
            [[("knowledge_id", "=", item_id)], ["name", "content", "content_diff"]],
        )
        self.assertTrue(versions)
        self.assertNotIn(self.CPF, json.dumps(versions))
        # The same through /mcp.
        found = self.mcp_tool(
            self.user_a,
            "odoo_search_read",
            {"model": "mcp.knowledge", "domain": [["id", "=", item_id]], "fields": ["content"]},
        )
        self.assertNotIn(self.CPF, json.dumps(found))
        # A run's answer and its list of sources alike.
        result = self.ok(self.user_a, "mcp.run", "ask", ["Quem é o responsável pelo contato?"])
        self.assertEqual([item["id"] for item in result["knowledge_used"]], [item_id], result)
        self.assertNotIn(self.CPF, json.dumps(result))
        # Managers are cleared: they read the values.
        rows = self.ok(self.manager_a, "mcp.knowledge", "read", [[item_id], ["content"]])
        self.assertIn(self.CPF, rows[0]["content"])

    # -- /mcp input bounds -------------------------------------------------------------

    def test_mcp_deeply_nested_json_gets_a_json_rpc_error_not_http_500(self):
        response = self.mcp_post(self.user_a, "[" * 100_000 + "]" * 100_000)
        self.assertEqual(response.status_code, 400)
        self.assertIn("nested too deeply", response.json()["error"]["message"])
        nested = {"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {}}
        inner = nested["params"]
        for _level in range(40):
            inner["x"] = {}
            inner = inner["x"]
        response = self.mcp_post(self.user_a, json.dumps(nested))
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["error"]["code"], -32600)

    def test_mcp_body_size_is_bounded(self):
        message = {"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"pad": "x" * 2_000_000}}
        response = self.mcp_post(self.user_a, json.dumps(message))
        self.assertEqual(response.status_code, 413)
        self.assertEqual(response.json()["error"]["code"], -32600)
        self.assertIn("too large", response.json()["error"]["message"])
        # The bound is a setting; a small body still passes.
        self.env["ir.config_parameter"].set_param("mcp_crew.mcp_max_body_bytes", "3000000")
        self.assertEqual(self.mcp_post(self.user_a, json.dumps(message)).status_code, 200)

    def test_mcp_domain_size_is_bounded(self):
        domain = ["|"] * 499 + [["id", "=", i] for i in range(500)]
        reply = self.mcp_tool(self.user_a, "odoo_count", {"model": "res.partner", "domain": domain})
        self.assertTrue(reply["result"]["isError"], reply)
        self.assertIn("at most 200", reply["result"]["content"][0]["text"])
        reply = self.mcp_tool(
            self.user_a, "odoo_count", {"model": "res.partner", "domain": domain[-1:]}
        )
        self.assertFalse(reply["result"]["isError"], reply)

    def test_mcp_read_group_granularity_is_validated(self):
        for groupby in ("create_date:second", "name:month", "create_date:day; DROP"):
            reply = self.mcp_tool(
                self.user_a, "odoo_read_group", {"model": "res.partner", "groupby": [groupby]}
            )
            self.assertIn("result", reply, reply)  # not a -32603 internal error
            self.assertTrue(reply["result"]["isError"], reply)
            self.assertIn("granularity", reply["result"]["content"][0]["text"])
        reply = self.mcp_tool(
            self.user_a, "odoo_read_group", {"model": "res.partner", "groupby": ["create_date:day"]}
        )
        self.assertFalse(reply["result"]["isError"], reply)

    # -- what held, and must keep holding ----------------------------------------------

    def test_mcp_authentication_still_refuses_every_wrong_door(self):
        ping = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"})
        url = self.base_url() + "/mcp"
        rpc_key = self.env["res.users.apikeys"].with_user(self.user_a)._generate("rpc", "rpc only")
        portal = new_test_user(self.env, login="roles_portal", groups="base.group_portal")
        portal_key = self.env["res.users.apikeys"].with_user(portal)._generate(None, "portal")
        for authorization, status in (
            (None, 401),
            ("Bearer not-a-key", 401),
            ("Basic %s" % self.keys[self.user_a], 401),
            ("Bearer %s" % rpc_key, 401),
            ("Bearer %s" % portal_key, 403),
        ):
            headers = {"Content-Type": "application/json"}
            if authorization:
                headers["Authorization"] = authorization
            response = self.opener.post(url, data=ping, headers=headers, timeout=30)
            self.assertEqual(response.status_code, status, authorization)
            self.assertEqual(response.json()["error"]["code"], -32600)

    def test_mcp_tools_still_refuse_private_methods_injection_and_secrets(self):
        partner = self.env["res.partner"].create({"name": "Held", "company_id": self.company_a.id})
        for method in ("unlink", "write", "sudo", "_write", "action_confirm"):
            reply = self.mcp_tool(
                self.user_a,
                "odoo_call_method",
                {"model": "res.partner", "method": method, "ids": [partner.id]},
            )
            self.assertTrue(reply["result"]["isError"], method)
            self.assertIn("not allowed", reply["result"]["content"][0]["text"])
        self.assertTrue(partner.exists())
        injected = self.mcp_tool(
            self.user_a,
            "odoo_search_read",
            {"model": "res.partner", "order": "name; DROP TABLE res_partner"},
        )
        self.assertTrue(injected["result"]["isError"])
        literal = self.mcp_tool(
            self.user_a,
            "odoo_search_read",
            {"model": "res.partner", "domain": [["name", "=", "x') OR 1=1 --"]]},
        )
        self.assertEqual(literal["result"]["structuredContent"]["records"], [])
        secrets = ("password", "key", "totp_secret", "value")
        for arguments in (
            {"model": "res.users", "fields": ["password"]},
            {"model": "res.users", "fields": ["totp_secret"]},
            {"model": "res.users.apikeys", "fields": ["key"]},
            {"model": "ir.config_parameter", "fields": ["value"]},
        ):
            result = self.mcp_tool(self.user_a, "odoo_search_read", arguments)["result"]
            records = (result.get("structuredContent") or {}).get("records") or []
            leaked = [row[name] for row in records for name in secrets if row.get(name)]
            self.assertEqual(leaked, [], arguments)
        self.assertTrue(self.env["res.partner"].search_count([]))

    def test_ask_input_is_bounded_with_clear_errors(self):
        deep = {"crew": None}
        inner = deep
        for _level in range(200):
            inner["model"] = {}
            inner = inner["model"]
        message = self.refused(self.user_a, "mcp.run", "ask", ["hi", deep], error="ValidationError")
        self.assertIn("Unknown model", message)
        message = self.refused(
            self.user_a, "mcp.run", "ask", ["x" * 100_000], error="ValidationError"
        )
        self.assertIn("too long", message)
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {}})
        deep_body = body.replace("{}", "[" * 100_000 + "]" * 100_000)
        self.authenticate(self.user_a.login, self.user_a.login)
        response = self.url_open(
            "/mcp_crew/ask", data=deep_body, headers={"Content-Type": "application/json"}
        )
        self.assertNotEqual(response.status_code, 500)
        self.assertIn("error", response.json())
