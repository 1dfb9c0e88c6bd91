"""OAuth sign-in to real OAuth-protected MCP servers on loopback: the SDK's
(``oauth_mcp_server.py``, both the authorization server and the MCP server)
and ``/mcp`` of a second Odoo database served by a second Odoo.

The tests play the administrator's browser: they follow the authorization
server's redirect (signing in and consenting at the second Odoo) and hand its
query to the callback.
"""

import logging
import sys
import time
from urllib.parse import parse_qsl, urlsplit

import httpx

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import new_test_user

from ..models.mcp_server_oauth import CALLBACK_PATH, CONNECT_PATH, METADATA_DOCUMENT_PATH
from ..services import errors
from .common import LOOPBACK, McpCrewCase, allow_this_odoo, engine_settings
from .odoo_peer import PeerOdoo
from .processes import ServerProcess, free_port
from .test_secret_logs import CapturedRecords

OAUTH_SERVER = __file__.replace("test_mcp_server_oauth.py", "oauth_mcp_server.py")


def start_oauth_server(*options):
    port = free_port()
    server = ServerProcess(
        [sys.executable, OAUTH_SERVER, "--port", str(port), *options], port=port
    ).start()
    return "http://127.0.0.1:%d" % port, server


def follow(url):
    """The browser at the authorization server: approved at once, redirected back."""
    response = httpx.get(url, follow_redirects=False, timeout=10)
    location = response.headers["location"]
    return location, dict(parse_qsl(urlsplit(location).query))


class OauthServerCase(McpCrewCase):
    """Company B's administrator and manager, and servers signing in to ``cls.base``
    (whose sign-in page :meth:`sign_in` plays the browser at)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Refreshes run in a transaction of their own: a savepoint of the test's here.
        cls.registry.enter_test_mode(cls.cr)
        cls.addClassCleanup(cls.registry.leave_test_mode)
        cls.company_b = cls.env["res.company"].create({"name": "OAuth Company B"})
        cls.admin_b = new_test_user(
            cls.env,
            login="oauth_admin_b",
            groups="base.group_system,mcp_crew.group_mcp_crew_manager",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.manager_b = new_test_user(
            cls.env,
            login="oauth_manager_b",
            groups="mcp_crew.group_mcp_crew_manager",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )

    def setUp(self):
        super().setUp()
        self.enter_context(engine_settings(allowed_hosts=LOOPBACK))

    def create_server(self, base=None, name="oauth", **values):
        vals = {
            "name": name,
            "transport": "streamable_http",
            "url": (base or self.base) + "/mcp",
            "auth_type": "oauth",
            "timeout": 15,
        }
        vals.update(values)
        return self.env["mcp.server"].create(vals)

    def sign_in(self, authorization_url):
        """The browser at the authorization server: ``(location, query)`` of the
        redirect back."""
        raise NotImplementedError

    def connect(self, server):
        action = server.action_oauth_connect()
        self.assertEqual(action["type"], "ir.actions.act_url")
        location, params = self.sign_in(action["url"])
        self.assertTrue(location.startswith(server.get_base_url() + CALLBACK_PATH))
        return self.env["mcp.server.oauth"]._complete(params)

    def assert_company_b_cannot_use(self, server_a, tool, arguments):
        """Company B's users reach neither ``server_a`` (connected in company A) nor
        its connection; the same URL registered in company B has no token."""
        with self.assertRaises(AccessError):
            server_a.with_user(self.manager_b).get_tools()
        with self.assertRaises(AccessError):
            server_a.with_user(self.admin_b).call_tool(tool, arguments)
        self.assertFalse(
            self.env["mcp.server.oauth"]
            .with_user(self.admin_b)
            .search([("server_id", "=", server_a.id)])
        )
        server_b = self.create_server(name="oauth B", company_id=self.company_b.id)
        with self.assertRaisesRegex(errors.SignInRequired, "not connected"):
            server_b._engine_spec()
        self.assertEqual(server_b.with_user(self.manager_b).oauth_status, "not_connected")


@tagged("post_install", "-at_install", "mcp_crew")
class TestMcpServerOauth(OauthServerCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.base, cls.process = start_oauth_server()
        cls.addClassCleanup(cls.process.kill)

    def sign_in(self, authorization_url):
        return follow(authorization_url)

    def stats(self, base=None):
        return httpx.get((base or self.base) + "/test/stats", timeout=10).json()

    def whoami(self, server):
        return server.call_tool("whoami", {})

    def test_connect_discover_call(self):
        server = self.create_server()
        self.assertEqual(server.oauth_status, "not_connected")
        with self.assertRaisesRegex(errors.SignInRequired, "needs sign-in: not connected"):
            server._engine_spec()
        self.assertIn("needs sign-in", str(server.action_discover()))
        connection = self.connect(server)
        self.assertEqual(server.oauth_status, "connected")
        self.assertEqual(connection.registration, "dynamic")
        self.assertEqual(server.oauth_issuer, self.base + "/")
        self.assertEqual(server.oauth_registration, "Dynamic registration")
        self.assertEqual(server.oauth_scope, "mcp")
        self.assertFalse(connection.pending_state)
        server.action_discover()
        self.assertEqual(server.state, "ok")
        self.assertEqual({tool["name"] for tool in server.get_tools()}, {"whoami", "add"})
        result = self.whoami(server)
        self.assertEqual(result["status"], "ok", result)
        self.assertRegex(result["text"], r"^alice token #\d+$")
        self.assertEqual(
            server.call_tool("add", {"a": 2, "b": 3})["structured_content"], {"result": 5}
        )
        # A second Connect reuses the registration.
        client_id = connection.client_id
        self.connect(server)
        self.assertEqual(connection.client_id, client_id)

    def test_token_refreshed_before_it_expires(self):
        server = self.create_server()
        connection = self.connect(server)
        server.action_discover()
        before = self.stats()["refreshed"]
        old_access, old_refresh = connection.access_token, connection.refresh_token
        # Expiring within the margin: refreshed before use.
        connection.expires_at = time.time() + 30
        result = self.whoami(server)
        self.assertEqual(result["status"], "ok", result)
        self.assertEqual(self.stats()["refreshed"], before + 1)
        connection.invalidate_recordset()
        self.assertNotEqual(connection.access_token, old_access)
        self.assertNotEqual(connection.refresh_token, old_refresh)
        self.assertGreater(connection.expires_at, time.time() + 3000)
        self.assertEqual(connection.status, "connected")
        # Fresh now: the next call does not refresh again.
        self.assertEqual(self.whoami(server)["status"], "ok")
        self.assertEqual(self.stats()["refreshed"], before + 1)

    def test_cron_refreshes_tokens_expiring_soon(self):
        server = self.create_server()
        connection = self.connect(server)
        before = self.stats()["refreshed"]
        connection.expires_at = time.time() + 300
        self.env["mcp.server.oauth"]._cron_refresh_tokens()
        self.assertEqual(self.stats()["refreshed"], before + 1)
        connection.invalidate_recordset()
        self.assertGreater(connection.expires_at, time.time() + 3000)

    def test_revocation_needs_sign_in_and_keeps_the_catalog(self):
        server = self.create_server()
        connection = self.connect(server)
        server.action_discover()
        # The user revokes the app at the vendor: tokens refused, refresh refused.
        httpx.post(self.base + "/test/revoke-all", timeout=10)
        result = self.whoami(server)
        self.assertEqual(result["status"], "error")
        self.assertIn("needs sign-in", result["error"])
        connection.invalidate_recordset()
        self.assertEqual(connection.status, "needs_sign_in")
        self.assertFalse(connection.access_token)
        self.assertFalse(connection.refresh_token)
        server.invalidate_recordset()
        self.assertEqual(server.oauth_status, "needs_sign_in")
        self.assertIn("invalid_grant", server.oauth_status_reason)
        # The catalog discovered before still lists the tools, marked stale.
        self.engine.forget(server._cache_scope(), server.id)
        tools = server.get_tools()
        self.assertEqual({tool["name"] for tool in tools}, {"whoami", "add"})
        self.assertTrue(all(tool["stale"] for tool in tools))
        self.assertIn("needs sign-in", server.last_error)
        # Connect again: back in service.
        self.connect(server)
        self.assertEqual(self.whoami(server)["status"], "ok")

    def test_revocation_noticed_by_discovery(self):
        server = self.create_server()
        connection = self.connect(server)
        server.action_discover()
        httpx.post(self.base + "/test/revoke-all", timeout=10)
        # The cached catalog expired: discovery meets the 401, the refresh is refused.
        self.engine.forget(server._cache_scope(), server.id)
        tools = server.get_tools()
        self.assertEqual({tool["name"] for tool in tools}, {"whoami", "add"})
        self.assertTrue(all(tool["stale"] for tool in tools))
        connection.invalidate_recordset()
        self.assertEqual(connection.status, "needs_sign_in")
        self.assertIn("needs sign-in", server.last_error)
        # The pre-warm cron skips it with the same reason, and goes on.
        self.env["mcp.server"]._cron_refresh_discovery()
        self.assertIn("needs sign-in", server.last_error)

    def test_wrong_issuer_is_refused(self):
        base, process = start_oauth_server("--wrong-iss")
        self.addCleanup(process.kill)
        server = self.create_server(base, name="mix-up")
        with self.assertRaisesRegex(errors.SignInFailed, "RFC 9207"):
            self.connect(server)
        connection = server._oauth_connection()
        self.assertEqual(connection.status, "not_connected")
        self.assertFalse(connection.access_token)
        self.assertFalse(connection.pending_state)
        self.assertEqual(self.stats(base)["codes_exchanged"], 0)

    def test_metadata_naming_another_issuer_is_refused(self):
        base, process = start_oauth_server("--metadata-issuer", "http://attacker.invalid/")
        self.addCleanup(process.kill)
        server = self.create_server(base, name="lying metadata")
        with self.assertRaisesRegex(Exception, "issuer mismatch"):
            server.action_oauth_connect()

    def test_callback_needs_the_pending_sign_in_of_the_same_admin(self):
        server = self.create_server()
        action = server.action_oauth_connect()
        _location, params = follow(action["url"])
        with self.assertRaisesRegex(errors.SignInFailed, "no sign-in in progress"):
            self.env["mcp.server.oauth"]._complete(dict(params, state="forged"))
        other_admin = new_test_user(self.env, login="oauth_other_admin", groups="base.group_system")
        with self.assertRaisesRegex(errors.SignInFailed, "another user"):
            self.env["mcp.server.oauth"].with_user(other_admin)._complete(params)
        self.env["mcp.server.oauth"]._complete(params)
        with self.assertRaisesRegex(errors.SignInFailed, "no sign-in in progress"):
            self.env["mcp.server.oauth"]._complete(params)

    def test_tokens_never_in_logs(self):
        server = self.create_server()
        loggers = [logging.getLogger(name) for name in ("", "httpx", "httpcore", "mcp", "authlib")]
        levels = [logger.level for logger in loggers]
        for logger in loggers:
            logger.setLevel(logging.DEBUG)
        try:
            with CapturedRecords() as captured:
                connection = self.connect(server)
                server.action_discover()
                first = (connection.access_token, connection.refresh_token)
                connection.expires_at = time.time() + 30
                self.whoami(server)
                connection.invalidate_recordset()
                # Whoever logs a token (a library logging its request headers)…
                logging.getLogger("some.library").warning(
                    "sent Authorization: Bearer %s", connection.access_token
                )
                httpx.post(self.base + "/test/revoke-all", timeout=10)
                self.whoami(server)
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)
        secrets = [*first, connection.client_secret]
        self.assertTrue(all(secrets))
        text = "\n".join(captured.lines())
        # "Bearer <token>" and the token are both registered: either is masked.
        self.assertRegex(text, r"sent Authorization: (Bearer )?\*\*\*")
        self.assertIn("needs sign-in", text)
        for secret in secrets:
            self.assertNotIn(secret, text)

    def test_company_b_cannot_use_company_a_connection(self):
        server_a = self.create_server()
        self.connect(server_a)
        server_a.action_discover()
        self.assert_company_b_cannot_use(server_a, "whoami", {})

    def test_only_system_administrators_configure_oauth(self):
        server = self.create_server()
        self.connect(server)
        manager = self.manager.with_company(self.company_a)
        as_manager = server.with_user(manager)
        self.assertEqual(as_manager.oauth_status, "connected")
        for action in (as_manager.action_oauth_connect, as_manager.action_oauth_disconnect):
            with self.assertRaises(AccessError):
                action()
        for field in ("oauth_client_secret", "oauth_client_id", "oauth_expires_at"):
            with self.assertRaises(AccessError):
                as_manager.read([field])
        with self.assertRaises(AccessError):
            self.env["mcp.server.oauth"].with_user(manager).search([])
        with self.assertRaises(AccessError):
            as_manager.write({"auth_type": "headers"})
        with self.assertRaises(AccessError):
            self.env["mcp.server"].with_user(manager).create(
                {"name": "m", "url": self.base + "/mcp", "auth_type": "oauth"}
            )
        with self.assertRaises(AccessError):
            as_manager.write({"oauth_sign_in": "per_user"})
        with self.assertRaises(AccessError):
            self.env["mcp.server"].with_user(manager).create(
                {"name": "m", "url": self.base + "/mcp", "oauth_sign_in": "per_user"}
            )
        # Managers still edit what is theirs to edit.
        as_manager.write({"timeout": 20, "auth_type": "oauth", "oauth_sign_in": "shared"})

    def test_moving_the_url_or_leaving_oauth_forgets_the_tokens(self):
        server = self.create_server()
        self.connect(server)
        server.url = self.base + "/other"
        self.assertFalse(server._oauth_connection())
        server.url = self.base + "/mcp"
        self.connect(server)
        server.auth_type = "headers"
        self.assertFalse(server._oauth_connection())

    def test_disconnect_revokes(self):
        server = self.create_server()
        connection = self.connect(server)
        refresh_token = connection.refresh_token
        server.action_oauth_disconnect()
        self.assertEqual(connection.status, "not_connected")
        self.assertFalse(connection.access_token)
        with self.assertRaisesRegex(errors.SignInRequired, "not connected"):
            server._engine_spec()
        # Revoked at the authorization server too.
        response = httpx.post(
            self.base + "/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": connection.client_id,
                "client_secret": connection.client_secret,
            },
            timeout=10,
        )
        self.assertEqual(response.json()["error"], "invalid_grant")


@tagged("post_install", "-at_install", "mcp_crew")
class TestMcpServerOauthHttp(HttpCase):
    """The callback controller and the client ID metadata document, over HTTP."""

    def setUp(self):
        super().setUp()
        self.base, process = start_oauth_server()
        self.addCleanup(process.kill)
        allow_this_odoo(self)
        allowed = engine_settings(allowed_hosts=LOOPBACK)
        allowed.__enter__()
        self.addCleanup(allowed.__exit__, None, None, None)
        self.admin = self.env.ref("base.user_admin")
        self.server = (
            self.env["mcp.server"]
            .with_user(self.admin)
            .create(
                {
                    "name": "oauth over http",
                    "url": self.base + "/mcp",
                    "auth_type": "oauth",
                    "timeout": 15,
                }
            )
        )

    def test_metadata_document_names_itself_and_the_callback(self):
        response = self.url_open(METADATA_DOCUMENT_PATH)
        document = response.json()
        self.assertEqual(document["client_id"], self.base_url() + METADATA_DOCUMENT_PATH)
        self.assertEqual(document["redirect_uris"], [self.base_url() + CALLBACK_PATH])
        self.assertEqual(document["token_endpoint_auth_method"], "none")

    def test_the_admin_browser_comes_back_connected(self):
        action = self.server.action_oauth_connect()
        location, _params = follow(action["url"])
        self.assertTrue(location.startswith(self.base_url() + CALLBACK_PATH))
        self.authenticate("admin", "admin")
        response = self.url_open(location, allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("model=mcp.server", response.headers["location"])
        self.assertEqual(self.server.oauth_status, "connected")

    def test_other_users_cannot_complete_a_sign_in(self):
        action = self.server.action_oauth_connect()
        location, _params = follow(action["url"])
        new_test_user(self.env, login="oauth_cb_manager", groups="mcp_crew.group_mcp_crew_manager")
        self.authenticate("oauth_cb_manager", "oauth_cb_manager")
        response = self.url_open(location)
        self.assertIn("Only system administrators connect OAuth servers.", response.text)
        self.assertEqual(self.server.oauth_status, "not_connected")

    def test_a_user_connects_his_own_account_from_the_link(self):
        """Per-user sign-in: the link of the "connect your account" error, then the
        callback, both as the user."""
        self.server.oauth_sign_in = "per_user"
        user = new_test_user(
            self.env, login="oauth_link_user", groups="mcp_crew.group_mcp_crew_user"
        )
        self.authenticate("oauth_link_user", "oauth_link_user")
        response = self.url_open(CONNECT_PATH % self.server.id, allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        location, _params = follow(response.headers["location"])
        back = self.url_open(location, allow_redirects=False)
        self.assertIn(back.status_code, (302, 303), back.text[:500])
        self.assertEqual(self.server.with_user(user).oauth_status, "connected")
        self.assertEqual(self.server.oauth_status, "not_connected")  # the administrator's own
        result = self.server.with_user(user).call_tool("whoami", {})
        self.assertEqual(result["status"], "ok", result)


PEER_USER = ("oauth_peer", "oauth-peer-password")
# Per-user sign-in: a second account of the peer, in a second company of the
# peer, so what a tool finds tells whose account it ran with.
PEER_USER_2 = ("oauth_other_peer", "oauth-other-peer-password")


@tagged("post_install", "-at_install", "mcp_crew")
class TestConnectSecondOdooOverOauth(OauthServerCase):
    """``/mcp`` of a second Odoo database as the remote server: a database made
    and served by a second Odoo for this class (:class:`.odoo_peer.PeerOdoo`).
    Its Authlib authorization server (metadata, dynamic registration, its login
    and consent page, rotating refresh tokens, revocation by the user) against
    this database's client, over HTTP both ways."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = PeerOdoo(cls.env.cr.dbname + "_peer")
        cls.addClassCleanup(cls.peer.stop)
        cls.peer.start()
        cls.base = cls.peer.url
        groups = [
            cls.peer.ref(xmlid)
            for xmlid in (
                "base.group_user",
                "base.group_partner_manager",
                "mcp_crew.group_mcp_crew_user",
            )
        ]
        peer_companies = [
            cls.peer.ref("base.main_company"),
            cls.peer.execute("res.company", "create", {"name": "Peer Company 2"}),
        ]
        for (login, password), company_id in zip(
            (PEER_USER, PEER_USER_2), peer_companies, strict=True
        ):
            cls.peer.execute(
                "res.users",
                "create",
                {
                    "name": login,
                    "login": login,
                    "password": password,
                    "groups_id": [(6, 0, groups)],
                    "company_id": company_id,
                    "company_ids": [(6, 0, [company_id])],
                },
            )
            cls.peer.execute(
                "res.partner",
                "create",
                {"name": "Per-user partner of %s" % login, "company_id": company_id},
            )
        cls.peer.execute("res.partner", "create", {"name": "Interop Partner Zeta"})
        cls.user_1, cls.user_2, cls.user_3 = (
            new_test_user(
                cls.env,
                login=login,
                groups="mcp_crew.group_mcp_crew_user",
                company_id=cls.company_a.id,
            )
            for login in ("oauth_user_1", "oauth_user_2", "oauth_user_3")
        )

    def sign_in(self, authorization_url):
        return self.peer.consent(authorization_url, PEER_USER)

    def search_partner(self, server):
        return server.call_tool(
            "odoo_search_read",
            {
                "model": "res.partner",
                "domain": [["name", "=", "Interop Partner Zeta"]],
                "fields": ["name"],
            },
        )

    def peer_tokens(self, connection):
        """The peer's accesses granted to ``connection``'s client (ids)."""
        return self.peer.execute(
            "mcp.oauth.token",
            "search",
            [("client_id.client_id", "=", connection.client_id)],
            context={"active_test": False},
        )

    def test_connect_discover_call_refresh_revoke(self):
        server = self.create_server()
        connection = self.connect(server)
        self.assertEqual(server.oauth_status, "connected")
        self.assertEqual(server.oauth_issuer.rstrip("/"), self.peer.url)
        self.assertEqual(connection.registration, "dynamic")
        self.assertEqual(connection.token_endpoint_auth_method, "client_secret_post")
        self.assertEqual(connection.scope, "read write")
        server.action_discover()
        self.assertEqual(server.state, "ok")
        self.assertIn("odoo_search_read", {tool["name"] for tool in server.get_tools()})
        found = self.search_partner(server)
        self.assertEqual(found["status"], "ok", found)
        self.assertIn("Interop Partner Zeta", found["text"])
        # Refreshed before it expires (the peer rotates refresh tokens).
        old_access, old_refresh = connection.access_token, connection.refresh_token
        connection.expires_at = time.time() + 30
        self.assertEqual(self.search_partner(server)["status"], "ok")
        connection.invalidate_recordset()
        self.assertNotEqual(connection.access_token, old_access)
        self.assertNotEqual(connection.refresh_token, old_refresh)
        self.assertEqual(len(self.peer_tokens(connection)), 2)  # rotated out, current
        # The peer's user revokes the access in the peer Odoo: needs sign-in.
        self.peer.execute(
            "mcp.oauth.token", "action_revoke", self.peer_tokens(connection), user=PEER_USER
        )
        refused = self.search_partner(server)
        self.assertEqual(refused["status"], "error")
        self.assertIn("needs sign-in", refused["error"])
        server.invalidate_recordset()
        self.assertEqual(server.oauth_status, "needs_sign_in")
        connection.invalidate_recordset()
        self.assertFalse(connection.access_token)
        # The catalog discovered before still lists the tools, marked stale.
        self.engine.forget(server._cache_scope(), server.id)
        tools = server.get_tools()
        self.assertIn("odoo_search_read", {tool["name"] for tool in tools})
        self.assertTrue(all(tool["stale"] for tool in tools))
        # Connect again: back in service.
        self.connect(server)
        self.assertEqual(self.search_partner(server)["status"], "ok")

    def test_wrong_issuer_is_refused(self):
        server = self.create_server()
        action = server.action_oauth_connect()
        _location, params = self.sign_in(action["url"])
        self.assertEqual(params["iss"], self.peer.url)
        # A mix-up: the answer names another authorization server.
        with self.assertRaisesRegex(errors.SignInFailed, "RFC 9207"):
            self.env["mcp.server.oauth"]._complete(dict(params, iss="http://127.0.0.1:9/"))
        connection = server._oauth_connection()
        self.assertEqual(connection.status, "not_connected")
        self.assertFalse(connection.access_token)
        self.assertFalse(connection.pending_state)
        # Refused before the code was spent: the peer granted nothing.
        self.assertFalse(self.peer_tokens(connection))

    def test_tokens_never_in_logs(self):
        server = self.create_server()
        with CapturedRecords() as captured:
            connection = self.connect(server)
            server.action_discover()
            tokens = [connection.access_token, connection.refresh_token]
            connection.expires_at = time.time() + 30
            self.search_partner(server)
            connection.invalidate_recordset()
            tokens += [connection.access_token, connection.refresh_token]
            self.peer.execute(
                "mcp.oauth.token", "action_revoke", self.peer_tokens(connection), user=PEER_USER
            )
            self.search_partner(server)
        secrets = [*tokens, connection.client_secret]
        self.assertTrue(all(secrets))
        ours, theirs = "\n".join(captured.lines()), self.peer.log()
        self.assertIn("needs sign-in", ours)
        self.assertIn("POST /mcp/oauth/token", theirs)
        for secret in secrets:
            self.assertNotIn(secret, ours)
            self.assertNotIn(secret, theirs)

    def test_company_b_cannot_use_company_a_connection(self):
        server_a = self.create_server()
        self.connect(server_a)
        server_a.action_discover()
        self.assertEqual(self.search_partner(server_a)["status"], "ok")
        self.assert_company_b_cannot_use(
            server_a, "odoo_search_read", {"model": "res.partner", "domain": []}
        )

    # -- per-user sign-in ---------------------------------------------------------------------

    def per_user_server(self):
        return self.create_server(name="per user", oauth_sign_in="per_user")

    def connect_user(self, server, user, peer_user):
        """``user`` connects his own account (``peer_user`` at the peer)."""
        action = server.with_user(user).action_oauth_connect()
        _location, params = self.peer.consent(action["url"], peer_user)
        return self.env["mcp.server.oauth"].with_user(user)._complete(params)

    def partners_seen(self, server, user):
        found = server.with_user(user).call_tool(
            "odoo_search_read",
            {
                "model": "res.partner",
                "domain": [["name", "like", "Per-user partner of"]],
                "fields": ["name"],
            },
        )
        self.assertEqual(found["status"], "ok", found)
        return found["text"]

    def test_per_user_each_user_runs_with_his_own_account(self):
        server = self.per_user_server()
        first = self.connect_user(server, self.user_1, PEER_USER)
        second = self.connect_user(server, self.user_2, PEER_USER_2)
        self.assertEqual((first.user_id, second.user_id), (self.user_1, self.user_2))
        self.assertNotEqual(first.access_token, second.access_token)
        # Each call runs with the requester's account: the peer shows each his company's.
        seen_1 = self.partners_seen(server, self.user_1)
        self.assertIn("Per-user partner of %s" % PEER_USER[0], seen_1)
        self.assertNotIn(PEER_USER_2[0], seen_1)
        seen_2 = self.partners_seen(server, self.user_2)
        self.assertIn("Per-user partner of %s" % PEER_USER_2[0], seen_2)
        self.assertNotIn(PEER_USER[0], seen_2)
        self.assertEqual(self.partners_seen(server, self.user_1), seen_1)
        self.assertEqual(server.with_user(self.user_1).oauth_status, "connected")
        # A user who has not connected is told how to: the link that connects him.
        self.assertEqual(server.with_user(self.user_3).oauth_status, "not_connected")
        refused = server.with_user(self.user_3).call_tool(
            "odoo_search_read", {"model": "res.partner", "domain": []}
        )
        self.assertEqual(refused["status"], "error")
        self.assertIn("needs sign-in", refused["error"])
        link = "%s/mcp_crew/oauth/connect/%d" % (server.get_base_url(), server.id)
        self.assertIn("connect your account at %s" % link, refused["error"])
        # … and his missing sign-in is no failure of the server.
        self.assertEqual(server.state, "ok")
        self.assertFalse(server.last_error)
        # Disconnecting is his own: the other user keeps working.
        server.with_user(self.user_1).action_oauth_disconnect()
        self.assertEqual(server.with_user(self.user_1).oauth_status, "not_connected")
        self.assertIn(PEER_USER_2[0], self.partners_seen(server, self.user_2))

    def test_per_user_tokens_stay_with_system_administrators(self):
        server = self.per_user_server()
        connection = self.connect_user(server, self.user_1, PEER_USER)
        for user in (self.user_1, self.manager):
            with self.assertRaises(AccessError):
                self.env["mcp.server.oauth"].with_user(user).search([])
            with self.assertRaises(AccessError):
                connection.with_user(user).read(["access_token"])
            for field in ("oauth_client_secret", "oauth_expires_at"):
                with self.assertRaises(AccessError):
                    server.with_user(user).read([field])
            # Only system administrators choose how a server signs in.
            with self.assertRaises(AccessError):
                server.with_user(user).write({"oauth_sign_in": "shared"})
        # A sign-in is completed only by the user who started it.
        action = server.with_user(self.user_2).action_oauth_connect()
        _location, params = self.peer.consent(action["url"], PEER_USER_2)
        with self.assertRaisesRegex(errors.SignInFailed, "another user"):
            self.env["mcp.server.oauth"].with_user(self.user_1)._complete(params)
        with self.assertRaisesRegex(errors.SignInFailed, "another user"):
            self.env["mcp.server.oauth"]._complete(params)
        # The shared Connect stays the administrators'; per-user servers take no shared one.
        shared = self.create_server(name="shared")
        with self.assertRaises(AccessError):
            shared.with_user(self.user_1).action_oauth_connect()
        # Changing how it signs in forgets every user's tokens.
        server.oauth_sign_in = "shared"
        self.assertFalse(self.env["mcp.server.oauth"].search([("server_id", "=", server.id)]))

    def test_per_user_company_b_cannot_connect_or_use_company_a_server(self):
        server_a = self.per_user_server()
        self.connect_user(server_a, self.user_1, PEER_USER)
        for user in (self.manager_b, self.admin_b):
            with self.assertRaises(AccessError):
                server_a.with_user(user).action_oauth_connect()
            with self.assertRaises(AccessError):
                server_a.with_user(user).call_tool("odoo_search_read", {"model": "res.partner"})
        # A user of both companies working in company B: his company A connection
        # serves company A's server only.
        self.user_1.company_ids = [(4, self.company_b.id)]
        server_b = self.create_server(
            name="per user B", oauth_sign_in="per_user", company_id=self.company_b.id
        )
        as_b = server_b.with_user(self.user_1).with_company(self.company_b)
        self.assertEqual(as_b.oauth_status, "not_connected")
        with self.assertRaisesRegex(errors.SignInRequired, "connect your account"):
            as_b._engine_spec()
