""" "Register this Odoo" grants the shipped ERP operator the tools it discovered
that need approval: "use all tools" offers none of them (least privilege), and
they exist only per company, once discovered. Two companies register; each
one's run of the shared crew is offered its own tools only, and still waits
for an approver before writing."""

import json

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import new_test_user

from odoo.addons.mcp_crew.models.mcp_run_states import RunState, StepStatus
from odoo.addons.mcp_crew.models.mcp_server import ERP_OPERATOR

from .common import allow_this_odoo, mcp_api_key, run_queued_runs, setup_two_companies
from .fake_openai import FakeOpenAI


@tagged("post_install", "-at_install", "mcp_crew")
class TestRegisterOdoo(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_two_companies(cls, ("reg_user_a", "reg_user_b"), ("Reg Acme A", "Reg Bolt B"))
        cls.manager_a, cls.manager_b = (
            new_test_user(
                cls.env,
                login=login,
                groups="base.group_partner_manager,mcp_crew.group_mcp_crew_manager",
                company_id=company.id,
                company_ids=[(6, 0, company.ids)],
            )
            for login, company in (
                ("reg_manager_a", cls.company_a),
                ("reg_manager_b", cls.company_b),
            )
        )
        cls.keys = {
            manager: mcp_api_key(manager, "register") for manager in (cls.manager_a, cls.manager_b)
        }
        cls.operator = cls.env.ref(ERP_OPERATOR)
        cls.fake = FakeOpenAI().start()
        cls.addClassCleanup(cls.fake.stop)
        params = cls.env["ir.config_parameter"]
        params.set_param("mcp_crew.llm_model", "fake-chat")
        params.set_param("mcp_crew.llm_base_url", cls.fake.base_url)
        params.set_param("mcp_crew.llm_api_key", "sk-register-test")

    def setUp(self):
        super().setUp()
        allow_this_odoo(self)
        self.fake.reset()

    def register(self, manager):
        """The wizard run by ``manager`` with their own key: (wizard, returned action)."""
        wizard = (
            self.env["mcp.register.odoo"].with_user(manager).create({"api_key": self.keys[manager]})
        )
        return wizard, wizard.action_register()

    @staticmethod
    def needing_approval(server):
        return server.tool_ids.filtered(lambda tool: tool._needs_approval())

    def test_registering_grants_the_erp_operator_the_tools_that_need_approval(self):
        self.assertFalse(self.operator.tool_ids)
        self.assertEqual(self.operator._shipped_untouched(), self.operator)
        wizard, action = self.register(self.manager_a)
        server = wizard.server_id
        self.assertEqual(server.state, "ok")
        granted = self.needing_approval(server)
        names = set(granted.mapped("name"))
        self.assertLessEqual({"odoo_write", "odoo_call_method"}, names)
        self.assertNotIn("odoo_search_read", names)
        self.assertEqual(self.operator.tool_ids, granted)
        # The grant is no edit of the shipped agent: it still follows releases.
        self.env.flush_all()
        self.operator.invalidate_recordset(["write_uid"])
        self.assertEqual(self.operator._shipped_untouched(), self.operator)
        # The toast says what was granted and stays until read; then the server's form.
        params = action["params"]
        self.assertIn("granted to the ERP operator", params["message"])
        for name in names:
            self.assertIn(name, params["message"])
        self.assertTrue(params["sticky"])
        self.assertEqual(
            (params["next"]["res_model"], params["next"]["res_id"]), ("mcp.server", server.id)
        )
        # The agent is now offered every tool of the company: the safe ones through
        # "use all tools", those that need approval because they are listed.
        company_tools = self.env["mcp.tool"].search([("company_id", "=", self.company_a.id)])
        self.assertEqual(company_tools, server.tool_ids)
        spec = self.operator.crew_id._crew_spec(company_tools)
        self.assertEqual(set(spec.agents[0].tools), {str(tool.id) for tool in server.tool_ids})
        # Registering again grants nothing new.
        again = wizard.action_register()
        self.assertEqual(self.operator.tool_ids, granted)
        self.assertIn("odoo_write", again["params"]["message"])
        # Only MCP Crew managers run the wizard.
        with self.assertRaises(AccessError):
            wizard.with_user(self.user_a).action_register()
        with self.assertRaises(AccessError):
            self.env["mcp.register.odoo"].with_user(self.user_a).create({"api_key": "x"})

    def test_registering_keeps_an_edited_erp_operator_edited(self):
        """An admin's edit of the shipped agent survives the grant: the next upgrade
        must not take it for untouched and overwrite it."""
        self.operator.with_user(self.manager_a).write({"backstory": "Our own operator."})
        self.env.flush_all()
        self.operator.invalidate_recordset(["write_uid"])
        self.assertFalse(self.operator._shipped_untouched())
        self.register(self.manager_a)
        self.assertTrue(self.operator.tool_ids)
        self.env.flush_all()
        self.operator.invalidate_recordset(["write_uid"])
        self.assertEqual(self.operator.write_uid, self.manager_a)
        self.assertFalse(self.operator._shipped_untouched())

    def test_rediscovery_grants_new_tools_and_leaves_a_removed_one_off(self):
        """Tools an ERP server gains later (a glue module installed) reach the
        operator as at registration; a tool an admin took off it stays off."""
        wizard, _action = self.register(self.manager_a)
        server = wizard.server_id.sudo()
        removed = server.tool_ids.filtered(lambda tool: tool.name == "odoo_call_method")
        self.operator.with_user(self.manager_a).write({"tool_ids": [(3, removed.id)]})
        # odoo_write as a tool this server did not have before: forgotten, then found.
        server.tool_ids.filtered(lambda tool: tool.name == "odoo_write").unlink()
        server.catalog_hash = False  # the catalog "changed": discovery syncs it
        self.assertNotIn("odoo_write", self.operator.tool_ids.mapped("name"))
        server.with_user(self.manager_a).action_discover()
        names = self.operator.tool_ids.mapped("name")
        self.assertIn("odoo_write", names)
        self.assertNotIn("odoo_call_method", names)
        self.assertEqual(self.operator.tool_ids, self.needing_approval(server) - removed)
        # Another kind of server's tools are never granted.
        other = self.env["mcp.server"].create(
            {"name": "Not ERP", "kind": "other", "transport": "streamable_http", "url": server.url}
        )
        self.env["mcp.server.param"].create(
            {
                "server_id": other.id,
                "param_type": "header",
                "name": "Authorization",
                "is_secret": True,
                "secret_value": "Bearer %s" % self.keys[self.manager_a],
            }
        )
        other.action_discover()
        self.assertTrue(self.needing_approval(other))
        self.assertFalse(self.operator.tool_ids & other.tool_ids)

    def offered_and_run(self, user, message):
        """``user``'s run of the Odoo operations crew: (function names the LLM
        was offered, the run); the LLM's scripted replies are queued first."""
        result = self.env["mcp.run"].with_user(user).ask(message, {"crew": "odoo_operations"})
        self.assertEqual(run_queued_runs(self.env["mcp.run"]), 1)
        chats = [r["json"] for r in self.fake.requests_to("/chat/completions")]
        self.fake.reset()
        offered = {tool["function"]["name"] for tool in chats[0]["tools"]}
        return offered, self.env["mcp.run"].browse(result["run_id"])

    def test_each_company_is_offered_only_its_own_granted_tools_and_still_asks(self):
        servers = {}
        for company, manager in (
            (self.company_a, self.manager_a),
            (self.company_b, self.manager_b),
        ):
            servers[company] = self.register(manager)[0].server_id
            self.assertEqual(servers[company].company_id, company)
        server_a, server_b = servers[self.company_a], servers[self.company_b]
        # One shared agent lists both companies' tools...
        self.assertEqual(
            self.operator.tool_ids,
            self.needing_approval(server_a) | self.needing_approval(server_b),
        )

        def function_names(tools):
            return {tool._tool_spec().function_name for tool in tools}

        write_a = server_a.tool_ids.filtered(lambda tool: tool.name == "odoo_write")
        # ...but each company's run is offered its own only. A's model asks to write.
        self.fake.queue_chat(
            {
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {
                            "name": write_a._tool_spec().function_name,
                            "arguments": json.dumps(
                                {
                                    "model": "res.partner",
                                    "ids": [self.partner_a.id],
                                    "values": {"phone": "+55 11 5555-0101"},
                                }
                            ),
                        },
                    }
                ]
            }
        )
        self.fake.queue_chat({"content": "Updating the phone needs approval."})
        offered_a, run_a = self.offered_and_run(self.user_a, "Update the phone of Reg Acme A")
        self.fake.queue_chat({"content": "Nothing to do."})
        offered_b, run_b = self.offered_and_run(self.user_b, "Update the phone of Reg Bolt B")
        self.assertEqual(offered_a, function_names(server_a.tool_ids))
        self.assertEqual(offered_b, function_names(server_b.tool_ids))
        self.assertFalse(offered_b & function_names(server_a.tool_ids))
        self.assertEqual(run_b.state, RunState.DONE, run_b.error)
        # Granted is not approved: A's write waits for an approver.
        self.assertEqual(run_a.state, RunState.WAITING_APPROVAL, run_a.error)
        step = run_a.step_ids.filtered(lambda s: s.kind == "tool")
        self.assertEqual((step.name, step.status), ("odoo_write", StepStatus.PENDING_APPROVAL))
        self.assertFalse(self.partner_a.phone)
