"""Odoo's /mcp in MCP 2026-07-28 and the confirmation of tools that change data:
requests built by hand over real HTTP, keys made the way users make them."""

import json

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import new_test_user

from ..services import mcp_endpoint
from ..services.settings import DEFAULT_TTL_BY_KIND
from .common import assert_writes_need_confirmation, call_mcp_tool, mcp_api_key

VERSION = mcp_endpoint.MODERN_VERSION
GROUPS = "base.group_partner_manager,mcp_crew.group_mcp_crew_user"


@tagged("post_install", "-at_install", "mcp_crew")
class TestMcpWrites(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user, cls.other = (
            new_test_user(cls.env, login=login, groups=GROUPS)
            for login in ("mcp_writer", "mcp_other_writer")
        )
        cls.confirm_key = (
            cls.env["res.users.apikeys"]
            .with_user(cls.user)
            ._generate(None, "no choice made: confirm")
        )
        cls.second_key = mcp_api_key(cls.user, "second", writes="confirm")
        cls.read_key = mcp_api_key(cls.user, "read only", writes="read")

    def url(self):
        return self.base_url() + "/mcp"

    def modern(self, key, method, params=None, capabilities=None, version=VERSION, **headers):
        """POST one 2026-07-28 request; ``headers`` override the mirrored ones."""
        params = dict(params or {})
        params["_meta"] = {
            "io.modelcontextprotocol/protocolVersion": version,
            "io.modelcontextprotocol/clientCapabilities": capabilities or {},
        }
        sent = {
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            "Authorization": "Bearer %s" % key,
            "MCP-Protocol-Version": version,
            "Mcp-Method": method,
        }
        if method in mcp_endpoint.NAMED_METHODS:
            sent["Mcp-Name"] = params[mcp_endpoint.NAMED_METHODS[method]]
        sent.update(headers)
        payload = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        response = self.opener.post(self.url(), data=json.dumps(payload), headers=sent, timeout=30)
        return response.status_code, response.json()

    def create_partner(self, key, name, capabilities=None, **params):
        return self.modern(
            key,
            "tools/call",
            dict(
                params,
                name="odoo_create",
                arguments={"model": "res.partner", "values": {"name": name}},
            ),
            capabilities if capabilities is not None else {"elicitation": {"form": {}}},
        )

    def call_kw(self, model, method, *args):
        """A model method called from the web client (the authenticated session)."""
        response = self.url_open(
            "/web/dataset/call_kw",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {"model": model, "method": method, "args": list(args), "kwargs": {}},
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        body = response.json()
        self.assertNotIn("error", body)
        return body["result"]

    def partners(self, name):
        return self.env["res.partner"].search([("name", "=", name)])

    def test_discover_and_lists_carry_the_catalog_freshness(self):
        self.env["ir.config_parameter"].sudo().set_param("mcp_crew.ttl_erp", "7200")
        status, discovered = self.modern(self.confirm_key, "server/discover")
        self.assertEqual(status, 200)
        result = discovered["result"]
        self.assertEqual(result["supportedVersions"][0], VERSION)
        self.assertIn("mcp_writer", result["instructions"])
        # Discovery names the user: private; the tool list is the same for all: public.
        self.assertEqual((result["ttlMs"], result["cacheScope"]), (7_200_000, "private"))
        status, listed = self.modern(self.confirm_key, "tools/list")
        tools = listed["result"]["tools"]
        self.assertEqual([tool["name"] for tool in tools], sorted(tool["name"] for tool in tools))
        self.assertEqual(
            (listed["result"]["ttlMs"], listed["result"]["cacheScope"]), (7_200_000, "public")
        )
        self.env["ir.config_parameter"].sudo().set_param("mcp_crew.ttl_erp", "")
        status, listed = self.modern(self.confirm_key, "tools/list")
        self.assertEqual(listed["result"]["ttlMs"], DEFAULT_TTL_BY_KIND["erp"] * 1000)
        self.assertEqual(
            listed["result"]["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
            "odoo-mcp_crew",
        )

    def test_browser_origins_other_than_odoos_own_are_refused(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("web.base.url", "https://erp.example.com")
        status, body = self.modern(
            self.confirm_key, "tools/list", Origin="https://evil.example.com"
        )
        self.assertEqual(status, 403)
        self.assertIn("origin https://evil.example.com is not allowed", body["error"]["message"])
        status, _body = self.modern(
            self.confirm_key, "tools/list", Origin="https://erp.example.com"
        )
        self.assertEqual(status, 200)
        params.set_param("mcp_crew.mcp_allowed_origins", "http://localhost:6274")
        status, _body = self.modern(self.confirm_key, "tools/list", Origin="http://localhost:6274")
        self.assertEqual(status, 200)

    def test_headers_and_versions_are_checked_over_http(self):
        status, body = self.modern(self.confirm_key, "tools/list", **{"Mcp-Method": "tools/call"})
        self.assertEqual((status, body["error"]["code"]), (400, mcp_endpoint.HEADER_MISMATCH))
        status, body = self.modern(
            self.confirm_key,
            "tools/call",
            {"name": "odoo_count", "arguments": {"model": "res.partner"}},
            **{"Mcp-Name": "odoo_create"},
        )
        self.assertEqual((status, body["error"]["code"]), (400, mcp_endpoint.HEADER_MISMATCH))
        status, body = self.modern(self.confirm_key, "ping")
        self.assertEqual((status, body["error"]["code"]), (404, mcp_endpoint.METHOD_NOT_FOUND))
        status, body = self.modern(
            self.confirm_key, "tools/list", **{"MCP-Protocol-Version": "2025-11-25"}
        )
        self.assertEqual((status, body["error"]["code"]), (400, mcp_endpoint.HEADER_MISMATCH))
        status, body = self.modern(self.confirm_key, "tools/list", version="2030-01-01")
        self.assertEqual(
            (status, body["error"]["code"]), (400, mcp_endpoint.UNSUPPORTED_PROTOCOL_VERSION)
        )
        self.assertIn(VERSION, body["error"]["data"]["supported"])

    def test_a_write_runs_once_after_the_user_confirms_it(self):
        status, asked = self.create_partner(self.confirm_key, "Confirmed Partner")
        self.assertEqual(status, 200)
        pending = asked["result"]
        self.assertEqual(pending["resultType"], "input_required")
        request = pending["inputRequests"]["confirm"]
        self.assertEqual(request["method"], "elicitation/create")
        self.assertIn("Confirmed Partner", request["params"]["message"])
        self.assertFalse(self.partners("Confirmed Partner"))

        yes = {"confirm": {"action": "accept", "content": {"confirm": True}}}
        state = pending["requestState"]
        status, done = self.create_partner(
            self.confirm_key, "Confirmed Partner", requestState=state, inputResponses=yes
        )
        self.assertEqual(status, 200)
        self.assertFalse(done["result"]["isError"], done)
        created = self.partners("Confirmed Partner")
        self.assertEqual(done["result"]["structuredContent"]["id"], created.id)
        self.assertEqual(created.create_uid, self.user)
        # Replayed, on the same key or another of the same user: nothing more.
        status, replay = self.create_partner(
            self.confirm_key, "Confirmed Partner", requestState=state, inputResponses=yes
        )
        self.assertIn("already used", replay["error"]["message"])
        status, stolen = self.create_partner(
            self.second_key, "Confirmed Partner", requestState=state, inputResponses=yes
        )
        self.assertIn("another caller", stolen["error"]["message"])
        self.assertEqual(len(self.partners("Confirmed Partner")), 1)

    def test_a_declined_write_or_a_host_that_cannot_ask_changes_nothing(self):
        state = self.create_partner(self.confirm_key, "Declined Partner")[1]["result"][
            "requestState"
        ]
        status, declined = self.create_partner(
            self.confirm_key,
            "Declined Partner",
            requestState=state,
            inputResponses={"confirm": {"action": "decline"}},
        )
        self.assertTrue(declined["result"]["isError"])
        status, refused = self.create_partner(self.confirm_key, "Declined Partner", capabilities={})
        self.assertEqual(status, 400)
        self.assertEqual(refused["error"]["code"], mcp_endpoint.MISSING_REQUIRED_CLIENT_CAPABILITY)
        # The MCP SDK 1.x client speaks 2025-11-25, where this stateless server cannot ask.
        assert_writes_need_confirmation(
            self,
            self.url(),
            self.confirm_key,
            {
                "odoo_create": {"model": "res.partner", "values": {"name": "Declined Partner"}},
                "odoo_write": {
                    "model": "res.partner",
                    "ids": [self.user.partner_id.id],
                    "values": {"name": "Declined Partner"},
                },
                "odoo_call_method": {
                    "model": "res.partner",
                    "method": "toggle_active",
                    "ids": [self.user.partner_id.id],
                },
            },
        )
        status, read_only = self.create_partner(self.read_key, "Declined Partner")
        self.assertTrue(read_only["result"]["isError"])
        self.assertIn("only grants reading", read_only["result"]["content"][0]["text"])
        self.assertFalse(self.partners("Declined Partner"))
        # Reading needs no confirmation, whatever the key.
        counted = call_mcp_tool(self.url(), self.read_key, "odoo_count", {"model": "res.partner"})
        self.assertFalse(counted.isError)

    def test_the_choice_is_made_when_creating_the_key_and_only_admins_change_it(self):
        self.authenticate("mcp_writer", "mcp_writer")
        wizard = self.call_kw(
            "res.users.apikeys.description", "create", {"name": "my host", "mcp_writes": "allow"}
        )
        check = self.call_kw("res.users.apikeys.description", "make_key", [wizard])
        self.assertEqual(check["res_model"], "res.users.identitycheck")  # password asked first
        self.call_kw(
            "res.users.identitycheck", "write", [check["res_id"]], {"password": "mcp_writer"}
        )
        shown = self.call_kw("res.users.identitycheck", "run_check", [check["res_id"]])
        key = shown["context"]["default_key"]
        made = self.env["res.users.apikeys"].search(
            [("user_id", "=", self.user.id), ("name", "=", "my host")]
        )
        self.assertEqual(made.mcp_writes, "allow")
        created = call_mcp_tool(
            self.url(), key, "odoo_create", {"model": "res.partner", "values": {"name": "Granted"}}
        )
        self.assertFalse(created.isError, created.content)
        self.assertTrue(self.partners("Granted"))

        # The user sees their grants but cannot raise one; others do not see them.
        Grant = self.env["mcp.apikey.grant"]
        own = Grant.with_user(self.user).search([])
        self.assertEqual(set(own.mapped("writes")), {"allow", "confirm", "read"})
        self.assertFalse(Grant.with_user(self.other).search([]))
        read_grant = own.filtered(lambda grant: grant.writes == "read")
        with self.assertRaises(AccessError):
            read_grant.with_user(self.user).write({"writes": "allow"})
        # An administrator may, and the remembered key follows at once.
        read_grant.with_user(self.env.ref("base.user_admin")).write({"writes": "allow"})
        self.env.flush_all()  # the request below reads it over its own transaction
        created = call_mcp_tool(
            self.url(),
            self.read_key,
            "odoo_create",
            {"model": "res.partner", "values": {"name": "Raised"}},
        )
        self.assertFalse(created.isError, created.content)
        # Without a grant, a key asks for confirmation (the default).
        read_grant.with_user(self.env.ref("base.user_admin")).unlink()
        self.env.flush_all()
        assert_writes_need_confirmation(
            self,
            self.url(),
            self.read_key,
            {"odoo_create": {"model": "res.partner", "values": {"name": "Not again"}}},
        )
