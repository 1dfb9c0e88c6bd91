"""Odoo as an MCP server: the official SDK client over streamable HTTP,
authenticated with API keys, within each user's rights and companies."""

import json

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import new_test_user

from .common import (
    allow_this_odoo,
    call_mcp_tool,
    mcp_api_key,
    run_mcp_session,
    setup_two_companies,
    tools_and_partners,
)


@tagged("post_install", "-at_install", "mcp_crew")
class TestMcpEndpoint(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_two_companies(cls, ("mcp_a", "mcp_b"), ("Acme Only A", "Bolt Only B"))
        cls.limited = new_test_user(
            cls.env,
            login="mcp_limited",
            groups="base.group_user,mcp_crew.group_mcp_crew_user",
        )
        cls.no_group = new_test_user(cls.env, login="mcp_no_group", groups="base.group_user")
        cls.keys = {
            user: mcp_api_key(user, "mcp tests")
            for user in (cls.user_a, cls.user_b, cls.limited, cls.no_group)
        }

    def url(self):
        return self.base_url() + "/mcp"

    def sdk(self, user, work):
        """Run ``work(session)`` in an initialized SDK session as ``user``."""
        return run_mcp_session(self.url(), self.keys[user], work)

    def call(self, user, name, arguments):
        return call_mcp_tool(self.url(), self.keys[user], name, arguments)

    def post(self, payload, key=None):
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if key:
            headers["Authorization"] = "Bearer %s" % key
        return self.opener.post(self.url(), data=json.dumps(payload), headers=headers, timeout=30)

    def test_official_client_lists_and_calls_tools(self):
        def work(session):
            return tools_and_partners(
                session, [["name", "=", "Acme Only A"]], ["name", "company_id"]
            )

        tools, found = self.sdk(self.user_a, work)
        by_name = {tool.name: tool for tool in tools.tools}
        self.assertIn("odoo_search_read", by_name)
        self.assertTrue(by_name["odoo_write"].annotations.destructiveHint)
        self.assertTrue(by_name["odoo_search_read"].annotations.readOnlyHint)
        self.assertFalse(found.isError, found.content)
        records = found.structuredContent["records"]
        self.assertEqual([r["name"] for r in records], ["Acme Only A"])
        self.assertEqual(records[0]["company_id"], [self.company_a.id, self.company_a.name])

    def test_every_generic_tool_works_within_the_users_rights(self):
        created = self.call(
            self.user_a,
            "odoo_create",
            {"model": "res.partner", "values": {"name": "Made Through MCP"}},
        )
        self.assertFalse(created.isError, created.content)
        new_id = created.structuredContent["id"]
        written = self.call(
            self.user_a,
            "odoo_write",
            {"model": "res.partner", "ids": [new_id], "values": {"phone": "+55 11 5555-0000"}},
        )
        self.assertFalse(written.isError, written.content)
        self.env.invalidate_all()
        self.assertEqual(self.env["res.partner"].browse(new_id).phone, "+55 11 5555-0000")
        counted = self.call(
            self.user_a, "odoo_count", {"model": "res.partner", "domain": [["id", "=", new_id]]}
        )
        self.assertEqual(counted.structuredContent["count"], 1)
        grouped = self.call(
            self.user_a,
            "odoo_read_group",
            {
                "model": "res.partner",
                "groupby": ["company_id"],
                "domain": [["id", "in", [new_id, self.partner_a.id]]],
            },
        )
        self.assertFalse(grouped.isError, grouped.content)
        groups = grouped.structuredContent["groups"]
        self.assertEqual(sum(group["__count"] for group in groups), 2)
        self.assertIn(
            [self.company_a.id, self.company_a.name], [group["company_id"] for group in groups]
        )
        described = self.call(self.user_a, "odoo_describe_model", {"model": "res.partner"})
        self.assertEqual(described.structuredContent["fields"]["name"]["type"], "char")
        models = self.call(self.user_a, "odoo_list_models", {"search": "partner"})
        self.assertIn("res.partner", [m["model"] for m in models.structuredContent["models"]])
        archived = self.call(
            self.user_a,
            "odoo_call_method",
            {"model": "res.partner", "method": "toggle_active", "ids": [new_id]},
        )
        self.assertFalse(archived.isError, archived.content)
        self.env.invalidate_all()  # the request wrote through its own environment
        self.assertFalse(self.env["res.partner"].browse(new_id).active)
        refused = self.call(
            self.user_a,
            "odoo_call_method",
            {"model": "res.partner", "method": "unlink", "ids": [new_id]},
        )
        self.assertTrue(refused.isError)
        self.assertIn("not allowed through MCP", refused.content[0].text)

    def test_limited_user_can_neither_read_nor_write_what_odoo_forbids(self):
        cases = [
            ("odoo_search_read", {"model": "ir.config_parameter"}),
            ("odoo_describe_model", {"model": "ir.config_parameter"}),
            ("odoo_count", {"model": "ir.config_parameter"}),
            ("odoo_create", {"model": "res.partner", "values": {"name": "Nope"}}),
            (
                "odoo_write",
                {"model": "res.partner", "ids": [self.partner_a.id], "values": {"name": "Hacked"}},
            ),
        ]
        for name, arguments in cases:
            with self.subTest(tool=name):
                result = self.call(self.limited, name, arguments)
                self.assertTrue(result.isError, result.content)
                self.assertIn("AccessError", result.content[0].text)
        self.env.invalidate_all()
        self.assertEqual(self.partner_a.name, "Acme Only A")
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Nope")]))
        models = self.call(self.limited, "odoo_list_models", {})
        self.assertNotIn(
            "ir.config_parameter", [m["model"] for m in models.structuredContent["models"]]
        )

    def test_companies_are_isolated(self):
        seen_b = self.call(
            self.user_b,
            "odoo_search_read",
            {"model": "res.partner", "domain": [["name", "like", "Only"]], "fields": ["name"]},
        )
        self.assertEqual([r["name"] for r in seen_b.structuredContent["records"]], ["Bolt Only B"])
        write = self.call(
            self.user_b,
            "odoo_write",
            {"model": "res.partner", "ids": [self.partner_a.id], "values": {"name": "Taken"}},
        )
        self.assertTrue(write.isError)
        self.env.invalidate_all()
        self.assertEqual(self.partner_a.name, "Acme Only A")
        count = self.call(
            self.user_b,
            "odoo_count",
            {"model": "res.partner", "domain": [["id", "=", self.partner_a.id]]},
        )
        self.assertEqual(count.structuredContent["count"], 0)

    def test_bad_domains_fields_and_arguments_get_clear_errors(self):
        cases = [
            ({"model": "res.partner", "domain": [["no_such_field", "=", 1]]}, "Invalid domain"),
            ({"model": "res.partner", "domain": [["name", "=="]]}, "Invalid domain"),
            (
                {"model": "res.partner", "domain": "name = x"},
                "Invalid arguments for tool odoo_search_read: domain",
            ),
            (
                {"model": "res.partner", "fields": ["name", "colour"]},
                "Unknown fields on res.partner: colour",
            ),
            ({"model": "no.such.model"}, "Unknown model no.such.model"),
            (
                {"model": "res.partner", "limit": "ten"},
                "Invalid arguments for tool odoo_search_read: limit",
            ),
            ({"model": "res.partner", "surprise": 1}, "Invalid arguments for tool"),
            ({}, "Invalid arguments for tool odoo_search_read"),
        ]
        for arguments, expected in cases:
            with self.subTest(arguments=arguments):
                result = self.call(self.user_a, "odoo_search_read", arguments)
                self.assertTrue(result.isError)
                self.assertIn(expected, result.content[0].text)
        unknown = self.post(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "tools/call",
                "params": {"name": "odoo_drop_database", "arguments": {}},
            },
            key=self.keys[self.user_a],
        ).json()
        self.assertEqual(unknown["error"]["code"], -32602)

    def test_missing_or_wrong_key_gets_401_and_no_group_403(self):
        ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        for key in (None, "wrong-key"):
            with self.subTest(key=key):
                response = self.post(ping, key=key)
                self.assertEqual(response.status_code, 401)
                self.assertEqual(response.json()["error"]["code"], -32600)
                self.assertIn("Bearer", response.headers["WWW-Authenticate"])
        response = self.post(ping, key=self.keys[self.no_group])
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.post(ping, key=self.keys[self.user_a]).json()["result"], {})
        # A revoked key stops working at once, although keys are remembered.
        self.env["res.users.apikeys"].search([("user_id", "=", self.user_a.id)]).unlink()
        self.assertEqual(self.post(ping, key=self.keys[self.user_a]).status_code, 401)

    def test_this_odoo_registers_as_an_mcp_server_and_crews_can_call_it(self):
        allow_this_odoo(self)
        with self.assertRaises(AccessError):  # managers only
            self.env["mcp.register.odoo"].with_user(self.user_a).create({"api_key": "x"})
        manager = new_test_user(
            self.env, login="mcp_reg_manager", groups="mcp_crew.group_mcp_crew_manager"
        )
        wizard = self.env["mcp.register.odoo"].with_user(manager)
        with self.assertRaisesRegex(UserError, "not valid"):
            wizard.create({"api_key": "nope"}).action_register()
        self.assertFalse(self.env["mcp.server"].search([("kind", "=", "erp")]))
        action = wizard.create({"api_key": self.keys[self.user_a]}).action_register()
        server = self.env["mcp.server"].browse(action["params"]["next"]["res_id"])
        self.assertEqual(
            (server.kind, server.transport, server.state), ("erp", "streamable_http", "ok")
        )
        self.assertEqual(server.url, self.base_url() + "/mcp")
        self.assertIn("odoo_search_read", server.tool_ids.mapped("name"))
        write_tool = server.tool_ids.filtered(lambda tool: tool.name == "odoo_write")
        self.assertTrue(write_tool.destructive_hint)
        # The engine calls it like any server, as user A.
        result = server.call_tool(
            "odoo_count", {"model": "res.partner", "domain": [["name", "=", "Acme Only A"]]}
        )
        self.assertEqual(result["structured_content"], {"count": 1})
