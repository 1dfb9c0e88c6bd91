"""OAuth 2.1 sign-in to Odoo's /mcp: the official MCP SDK client end to end
(its OAuthClientProvider, the browser step driven here), refused tokens, and a
consent that cannot be skipped."""

import asyncio
import datetime
import html.parser
import time
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import httpx
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientMetadata

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from ..models.mcp_oauth import OdooStore
from ..services import oauth
from .common import setup_two_companies, tools_and_partners

REDIRECT = "http://localhost:3030/callback"


class MemoryStorage(TokenStorage):
    def __init__(self):
        self.tokens = None
        self.client_info = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info):
        self.client_info = client_info


class FormReader(html.parser.HTMLParser):
    """The inputs of the consent page's form, as a browser would post them."""

    def __init__(self):
        super().__init__()
        self.fields = {}
        self.text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden":
            self.fields[attrs["name"]] = attrs.get("value", "")

    def handle_data(self, data):
        self.text.append(data.strip())


def read_form(page):
    reader = FormReader()
    reader.feed(page)
    return reader.fields, " ".join(item for item in reader.text if item)


def find_and_create(name):
    """What a signed-in host does: list the tools, search the test partners,
    create one called ``name``."""

    async def work(session):
        tools, found = await tools_and_partners(session, [["name", "like", "OAuth Only"]])
        created = await session.call_tool(
            "odoo_create", {"model": "res.partner", "values": {"name": name}}
        )
        return tools, found, created

    return work


@tagged("post_install", "-at_install", "mcp_crew")
class TestMcpOauth(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_two_companies(
            cls, ("oauth_a", "oauth_b"), ("OAuth Only A", "OAuth Only B"), "OAuth Company B"
        )

    def setUp(self):
        super().setUp()
        # Issuer and audience come from the database's public URL.
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", self.base_url())
        self.consent_pages = []

    def url(self):
        return self.base_url() + "/mcp"

    # -- the host's user, in a browser --------------------------------------------------

    def consent(self, login, authorization_url, write=True):
        """Sign in as ``login``, read the consent page and allow: ``(code, state)``."""
        self.authenticate(login, login)
        page = self.opener.get(authorization_url, timeout=30)
        self.assertEqual(page.status_code, 200, page.text[:500])
        fields, text = read_form(page.text)
        self.consent_pages.append(text)
        form = dict(fields, decision="allow")
        if write:
            form["write"] = "1"
        answer = self.opener.post(
            self.base_url() + "/mcp/oauth/authorize", data=form, allow_redirects=False, timeout=30
        )
        self.assertIn(answer.status_code, (302, 303), answer.text[:500])
        location = urlsplit(answer.headers["Location"])
        self.assertEqual("%s://%s%s" % location[:3], REDIRECT)
        query = parse_qs(location.query)
        self.assertEqual(query["iss"], [self.base_url()])  # RFC 9207
        return query["code"][0], query["state"][0]

    def signed_in(self, login, work, write=True, storage=None):
        """``await work(session)`` in an MCP SDK session signed in through OAuth."""
        storage = storage or MemoryStorage()
        answers = []

        async def redirect_handler(authorization_url):
            answers.append(self.consent(login, authorization_url, write))

        async def callback_handler():
            return answers.pop()

        provider = OAuthClientProvider(
            server_url=self.url(),
            client_metadata=OAuthClientMetadata(
                client_name="Test MCP host",
                redirect_uris=[REDIRECT],
                grant_types=["authorization_code", "refresh_token"],
                response_types=["code"],
                scope="read write",
                token_endpoint_auth_method="none",
            ),
            storage=storage,
            redirect_handler=redirect_handler,
            callback_handler=callback_handler,
        )

        async def main():
            async with httpx.AsyncClient(auth=provider, timeout=30) as client:
                async with streamable_http_client(self.url(), http_client=client) as streams:
                    async with ClientSession(streams[0], streams[1]) as session:
                        await session.initialize()
                        return await work(session)

        return asyncio.run(asyncio.wait_for(main(), 120)), storage

    # -- tests ------------------------------------------------------------------------------

    def test_official_client_signs_in_lists_and_calls_tools(self):
        (tools, found, created), storage = self.signed_in(
            "oauth_a", find_and_create("Made over OAuth")
        )
        self.assertIn("odoo_search_read", {tool.name for tool in tools.tools})
        self.assertEqual(
            [row["name"] for row in found.structuredContent["records"]], ["OAuth Only A"]
        )
        self.assertFalse(created.isError, created.content)  # write consented
        partner = self.env["res.partner"].browse(created.structuredContent["id"])
        self.assertEqual(partner.create_uid, self.user_a)
        # The consent page named the client, the user, the company and the scopes.
        page = self.consent_pages[0]
        for expected in ("Test MCP host", self.user_a.name, self.company_a.name, "read", "write"):
            self.assertIn(expected, page)
        access = self.env["mcp.oauth.token"].search([("user_id", "=", self.user_a.id)])
        self.assertEqual(len(access), 1)
        self.assertEqual(
            (access.client_id.name, access.company_id, access.scope, access.resource),
            ("Test MCP host", self.company_a, "read write", self.url()),
        )
        self.assertLessEqual(
            access.access_expires - access.create_date,
            datetime.timedelta(seconds=oauth.ACCESS_TOKEN_TTL + 5),
        )

        # Refresh: a new pair; the old refresh token works once (rotation).
        client_id = storage.client_info.client_id
        refresh = storage.tokens.refresh_token
        token_url = self.base_url() + "/mcp/oauth/token"
        form = {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": client_id}
        renewed = self.opener.post(token_url, data=form, timeout=30)
        self.assertEqual(renewed.status_code, 200, renewed.text)
        self.assertNotEqual(renewed.json()["refresh_token"], refresh)
        again = self.opener.post(token_url, data=form, timeout=30)
        self.assertEqual((again.status_code, again.json()["error"]), (400, "invalid_grant"))
        response = self.post_mcp(renewed.json()["access_token"])
        self.assertEqual(response.status_code, 200)

    def test_another_companys_user_sees_only_its_company_and_read_only_stays_so(self):
        (_tools, found, created), _storage = self.signed_in(
            "oauth_b", find_and_create("Never made"), write=False
        )
        self.assertEqual(
            [row["name"] for row in found.structuredContent["records"]], ["OAuth Only B"]
        )
        self.assertTrue(created.isError)
        self.assertIn("only grants reading", created.content[0].text)
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Never made")]))
        access = self.env["mcp.oauth.token"].search([("user_id", "=", self.user_b.id)])
        self.assertEqual((access.company_id, access.scope), (self.company_b, "read"))

    # -- refused tokens -------------------------------------------------------------------

    def post_mcp(self, token):
        return self.opener.post(
            self.url(),
            json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
            headers={"Authorization": "Bearer %s" % token, "Accept": "application/json"},
            timeout=30,
        )

    def issue(self, user=None, **overrides):
        """An access token issued directly in the store (the flow is tested above)."""
        user = user or self.user_a
        store = OdooStore(self.env(su=True))
        client = oauth.Client("direct-client", "Direct", [REDIRECT])
        if not store.find_client("direct-client"):
            store.save_client(client)
        secret = oauth.ACCESS_TOKEN_PREFIX + str(time.time_ns())
        values = {
            "client_id": "direct-client",
            "grantee": oauth.Grantee(user.id, user.company_id.id),
            "scope": "read write",
            "resource": self.url(),
            "access_expires_at": time.time() + 600,
            "refresh_expires_at": time.time() + 3600,
        }
        values.update(overrides)
        store.save_token(oauth.digest(secret), oauth.digest(secret + "r"), oauth.Token(0, **values))
        self.env.flush_all()
        return secret, self.env["mcp.oauth.token"].search([], limit=1)

    def assert_refused(self, token, status, error, reason):
        response = self.post_mcp(token)
        self.assertEqual(response.status_code, status, response.text)
        challenge = response.headers["WWW-Authenticate"]
        self.assertIn(
            'resource_metadata="%s/.well-known/oauth-protected-resource/mcp"' % self.base_url(),
            challenge,
        )
        self.assertIn('error="%s"' % error, challenge)
        self.assertIn(reason, response.json()["error"]["message"])

    def test_expired_revoked_foreign_and_unscoped_tokens_are_refused(self):
        good, _access = self.issue()
        self.assertEqual(self.post_mcp(good).json()["result"], {})
        expired, _access = self.issue(access_expires_at=time.time() - 1)
        self.assert_refused(expired, 401, "invalid_token", "expired")
        foreign, _access = self.issue(resource="https://other.example.com/mcp")
        self.assert_refused(foreign, 401, "invalid_token", "another resource")
        unscoped, _access = self.issue(scope="write")
        self.assert_refused(unscoped, 403, "insufficient_scope", "'read' scope")
        self.assert_refused(oauth.ACCESS_TOKEN_PREFIX + "made-up", 401, "invalid_token", "Unknown")

        # Revoked by its user (preferences), by an administrator, or by the host (RFC 7009).
        mine, access = self.issue()
        with self.assertRaises(AccessError):
            access.with_user(self.user_b).action_revoke()
        access.with_user(self.user_a).action_revoke()
        self.env.flush_all()
        self.assert_refused(mine, 401, "invalid_token", "revoked")
        theirs, access = self.issue()
        access.with_user(self.env.ref("base.user_admin")).action_revoke()
        self.env.flush_all()
        self.assert_refused(theirs, 401, "invalid_token", "revoked")
        hosts, _access = self.issue()
        revoked = self.opener.post(
            self.base_url() + "/mcp/oauth/revoke",
            data={"token": hosts, "client_id": "direct-client"},
            timeout=30,
        )
        self.assertEqual(revoked.status_code, 200, revoked.text)
        self.assert_refused(hosts, 401, "invalid_token", "revoked")
        # A user who left the token's company loses the access.
        moved, _access = self.issue(user=self.user_b)
        self.user_b.write(
            {"company_ids": [(6, 0, self.company_a.ids)], "company_id": self.company_a.id}
        )
        self.env.flush_all()
        self.assert_refused(moved, 401, "invalid_token", "left its company")

    def test_metadata_and_the_401_point_hosts_at_the_sign_in(self):
        base = self.base_url()
        resource = self.opener.get(base + "/.well-known/oauth-protected-resource/mcp").json()
        self.assertEqual(resource["resource"], self.url())
        self.assertEqual(resource["authorization_servers"], [base])
        self.assertEqual(resource["scopes_supported"], ["read", "write"])
        server = self.opener.get(base + "/.well-known/oauth-authorization-server").json()
        self.assertEqual(server["issuer"], base)
        self.assertEqual(server["code_challenge_methods_supported"], ["S256"])
        self.assertTrue(server["client_id_metadata_document_supported"])
        for endpoint in ("authorization", "token", "registration", "revocation"):
            self.assertTrue(server["%s_endpoint" % endpoint].startswith(base + "/mcp/oauth/"))
        anonymous = self.opener.post(self.url(), json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        self.assertEqual(anonymous.status_code, 401)
        self.assertIn("resource_metadata=", anonymous.headers["WWW-Authenticate"])

    # -- consent ----------------------------------------------------------------------------

    def authorization_url(self, client_id="consent-client", **overrides):
        params = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "scope": "read write",
            "state": "s1",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbssd2QSGGGA",
            "code_challenge_method": "S256",
            "resource": self.url(),
        }
        params.update(overrides)
        request = httpx.Request("GET", self.base_url() + "/mcp/oauth/authorize", params=params)
        return str(request.url)

    def test_the_consent_cannot_be_skipped(self):
        OdooStore(self.env(su=True)).save_client(
            oauth.Client("consent-client", "Consent client", [REDIRECT])
        )
        Code = self.env["mcp.oauth.code"].sudo()
        anonymous = self.opener.get(self.authorization_url(), allow_redirects=False, timeout=30)
        self.assertIn(anonymous.status_code, (302, 303))
        self.assertIn("/web/login", anonymous.headers["Location"])

        self.authenticate("oauth_a", "oauth_a")
        # Asking to "allow" in the URL only shows the page.
        shown = self.opener.get(
            self.authorization_url(decision="allow"), allow_redirects=False, timeout=30
        )
        self.assertEqual(shown.status_code, 200)
        self.assertIn("Consent client", shown.text)
        fields, _text = read_form(shown.text)
        # A post without the session's CSRF token (another site's form) is refused.
        forged = dict(fields, decision="allow", csrf_token="forged")
        refused = self.opener.post(
            self.base_url() + "/mcp/oauth/authorize", data=forged, allow_redirects=False
        )
        self.assertEqual(refused.status_code, 400)
        self.assertFalse(Code.search([]))
        denied = self.opener.post(
            self.base_url() + "/mcp/oauth/authorize",
            data=dict(fields, decision="deny"),
            allow_redirects=False,
        )
        self.assertIn("error=access_denied", denied.headers["Location"])
        self.assertFalse(Code.search([]))
        # Without PKCE, for an unknown client or another audience, or for a user
        # outside the MCP group: no page to allow.
        for url, reason in (
            (self.authorization_url(code_challenge="", code_challenge_method=""), "PKCE"),
            (self.authorization_url(client_id="nobody"), "client"),
            (self.authorization_url(resource="https://other.example.com/mcp"), "tokens for"),
        ):
            page = self.opener.get(url, allow_redirects=False, timeout=30)
            self.assertIn("cannot sign in", page.text)
            self.assertIn(reason, page.text)
        self.user_b.write({"groups_id": [(3, self.env.ref("mcp_crew.group_mcp_crew_user").id)]})
        self.authenticate("oauth_b", "oauth_b")
        page = self.opener.get(self.authorization_url(), allow_redirects=False, timeout=30)
        self.assertIn("needs the MCP Crew user group", page.text)
        self.assertFalse(Code.search([]))

    def test_client_id_metadata_documents(self):
        url = "https://host.example.com/oauth/client.json"
        document = {"client_id": url, "client_name": "Documented host", "redirect_uris": [REDIRECT]}
        self.authenticate("oauth_a", "oauth_a")
        with mock.patch.object(OdooStore, "fetch_client_metadata", return_value=document):
            page = self.opener.get(self.authorization_url(client_id=url), timeout=30)
        self.assertIn("Documented host", page.text)
        client = self.env["mcp.oauth.client"].sudo().search([("client_id", "=", url)])
        self.assertTrue(client.metadata_url)
        other = "https://host.example.com/oauth/other.json"
        with mock.patch.object(OdooStore, "fetch_client_metadata", return_value=document):
            page = self.opener.get(self.authorization_url(client_id=other), timeout=30)
        self.assertIn("must name its own URL", page.text)
