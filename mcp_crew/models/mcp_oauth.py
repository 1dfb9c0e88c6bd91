"""OAuth 2.1 sign-in for Odoo's /mcp: clients, codes and tokens, and the store
the Authlib server of :mod:`..services.oauth` works on."""

import datetime
import ipaddress
import socket
from urllib.parse import urlsplit

import requests

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from ..services import oauth
from ..services.mcp_endpoint import WRITES_ALLOW, WRITES_READ_ONLY


def _moment(timestamp):
    return datetime.datetime.utcfromtimestamp(timestamp)


def _timestamp(moment):
    return moment.replace(tzinfo=datetime.timezone.utc).timestamp()


class McpOauthClient(models.Model):
    _name = "mcp.oauth.client"
    _description = "MCP OAuth client"
    _order = "id desc"

    name = fields.Char(required=True, readonly=True)
    client_id = fields.Char("Client ID", required=True, readonly=True, index=True)
    redirect_uris = fields.Text("Redirect URIs", required=True, readonly=True)
    token_endpoint_auth_method = fields.Selection(
        [
            ("none", "Public (PKCE)"),
            ("client_secret_basic", "Secret (basic)"),
            ("client_secret_post", "Secret (post)"),
        ],
        required=True,
        readonly=True,
        default="none",
    )
    secret_hash = fields.Char(readonly=True, groups="base.group_system")
    metadata_url = fields.Boolean(
        "Metadata document", readonly=True, help="The client ID is the URL of its metadata."
    )
    token_ids = fields.One2many("mcp.oauth.token", "client_id", readonly=True)

    _sql_constraints = [("client_id_unique", "UNIQUE(client_id)", "Client IDs are unique.")]

    def _to_client(self):
        return oauth.Client(
            client_id=self.client_id,
            client_name=self.name,
            redirect_uris=self.redirect_uris.split(),
            token_endpoint_auth_method=self.token_endpoint_auth_method,
            secret_hash=self.sudo().secret_hash or "",
            metadata_url=self.metadata_url,
        )


class McpOauthCode(models.Model):
    _name = "mcp.oauth.code"
    _description = "MCP OAuth authorization code"

    code_hash = fields.Char(required=True, index=True)
    client_id = fields.Many2one("mcp.oauth.client", required=True, ondelete="cascade")
    user_id = fields.Many2one("res.users", required=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")
    scope = fields.Char(required=True)
    redirect_uri = fields.Char(required=True)
    code_challenge = fields.Char(required=True)
    code_challenge_method = fields.Char(required=True)
    resource = fields.Char(required=True)
    expires = fields.Datetime(required=True)

    @api.autovacuum
    def _gc_expired(self):
        self.search([("expires", "<", fields.Datetime.now())]).unlink()


class McpOauthToken(models.Model):
    """An access given to an MCP host: the access token (short-lived) and its
    refresh token, stored as hashes. Revoking it ends both."""

    _name = "mcp.oauth.token"
    _description = "MCP OAuth access"
    _order = "id desc"

    client_id = fields.Many2one(
        "mcp.oauth.client", "Application", required=True, readonly=True, ondelete="cascade"
    )
    user_id = fields.Many2one(
        "res.users", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    scope = fields.Char(required=True, readonly=True)
    resource = fields.Char("Audience", required=True, readonly=True)
    access_hash = fields.Char(required=True, readonly=True, index=True, groups="base.group_system")
    refresh_hash = fields.Char(required=True, readonly=True, index=True, groups="base.group_system")
    access_expires = fields.Datetime(required=True, readonly=True)
    refresh_expires = fields.Datetime("Valid until", required=True, readonly=True)
    revoked = fields.Boolean(readonly=True)

    def name_get(self):
        return [(token.id, "%s (%s)" % (token.client_id.name, token.scope)) for token in self]

    def action_revoke(self):
        """Revoke these accesses: their owner, or a system administrator."""
        if not self.env.is_system() and self.user_id != self.env.user:
            raise AccessError(_("You can only revoke your own MCP accesses."))
        self.sudo().write({"revoked": True})
        return True

    def _to_token(self):
        return oauth.Token(
            id=self.id,
            client_id=self.client_id.client_id,
            grantee=oauth.Grantee(self.user_id.id, self.company_id.id),
            scope=self.scope,
            resource=self.resource,
            access_expires_at=_timestamp(self.access_expires),
            refresh_expires_at=_timestamp(self.refresh_expires),
            revoked=self.revoked,
        )

    @api.model
    def _mcp_authenticate(self, access_token):
        """``(uid, principal, writes, company_ids)`` for a bearer access token
        of an active user still in the token's company; else OAuthFailure."""
        token = oauth_server(self.env).authenticate(access_token)
        user = self.env["res.users"].sudo().browse(token.grantee.user_id)
        company_id = token.grantee.company_id
        if not user.active or company_id not in user._mcp_company_ids():
            raise oauth.OAuthFailure("This access's user is inactive or left its company")
        writes = WRITES_ALLOW if "write" in oauth.scopes_of(token.scope) else WRITES_READ_ONLY
        return user.id, "oauth:%d" % token.id, writes, [company_id]

    @api.autovacuum
    def _gc_expired(self):
        """Accesses whose refresh token expired (or revoked) long ago are gone."""
        limit = fields.Datetime.now() - datetime.timedelta(days=30)
        self.sudo().search(
            [
                "|",
                ("refresh_expires", "<", limit),
                "&",
                ("revoked", "=", True),
                ("write_date", "<", limit),
            ]
        ).unlink()


class OdooStore(oauth.Store):
    """The :class:`oauth.Store` of a database; ``env`` is a superuser one (the
    protocol authenticates; records hold hashes only)."""

    def __init__(self, env):
        self.env = env

    def find_client(self, client_id):
        client = self.env["mcp.oauth.client"].search([("client_id", "=", client_id)], limit=1)
        return client._to_client() if client else None

    def save_client(self, client):
        self.env["mcp.oauth.client"].create(
            {
                "name": client.client_name,
                "client_id": client.client_id,
                "redirect_uris": "\n".join(client.redirect_uris),
                "token_endpoint_auth_method": client.token_endpoint_auth_method,
                "secret_hash": client.secret_hash or False,
                "metadata_url": client.metadata_url,
            }
        )

    def fetch_client_metadata(self, url):
        """GET a client ID metadata document: public https hosts only, small, JSON."""
        host = urlsplit(url).hostname
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(host, 443)}
        except OSError as err:
            raise oauth.InvalidClientError("Cannot resolve %s" % host) from err
        if any(not ipaddress.ip_address(address).is_global for address in addresses):
            raise oauth.InvalidClientError("Client metadata must be on a public host")
        try:
            response = requests.get(
                url, timeout=5, allow_redirects=False, headers={"Accept": "application/json"}
            )
            response.raise_for_status()
        except requests.RequestException as err:
            raise oauth.InvalidClientError("Cannot fetch the client metadata: %s" % err) from err
        if len(response.content) > oauth.CLIENT_METADATA_MAX_BYTES:
            raise oauth.InvalidClientError("The client metadata document is too large")
        try:
            return response.json()
        except ValueError as err:
            raise oauth.InvalidClientError("The client metadata document is not JSON") from err

    def _client(self, client_id):
        return self.env["mcp.oauth.client"].search([("client_id", "=", client_id)], limit=1)

    def save_code(self, code_hash, code):
        self.env["mcp.oauth.code"].create(
            {
                "code_hash": code_hash,
                "client_id": self._client(code.client_id).id,
                "user_id": code.grantee.user_id,
                "company_id": code.grantee.company_id,
                "scope": code.scope,
                "redirect_uri": code.redirect_uri,
                "code_challenge": code.code_challenge,
                "code_challenge_method": code.code_challenge_method,
                "resource": code.resource,
                "expires": _moment(code.expires_at),
            }
        )

    def take_code(self, code_hash, client_id):
        record = self.env["mcp.oauth.code"].search(
            [
                ("code_hash", "=", code_hash),
                ("client_id.client_id", "=", client_id),
                ("expires", ">", fields.Datetime.now()),
            ]
        )
        if not record:
            return None
        code = oauth.Code(
            client_id=client_id,
            grantee=oauth.Grantee(record.user_id.id, record.company_id.id),
            scope=record.scope,
            redirect_uri=record.redirect_uri,
            code_challenge=record.code_challenge,
            code_challenge_method=record.code_challenge_method,
            resource=record.resource,
            expires_at=_timestamp(record.expires),
        )
        # Once: of two concurrent redemptions, the second deletes nothing.
        self.env.cr.execute("DELETE FROM mcp_oauth_code WHERE id = %s RETURNING id", [record.id])
        taken = self.env.cr.fetchone()
        record.invalidate_recordset()
        return code if taken else None

    def save_token(self, access_hash, refresh_hash, token):
        self.env["mcp.oauth.token"].create(
            {
                "client_id": self._client(token.client_id).id,
                "user_id": token.grantee.user_id,
                "company_id": token.grantee.company_id,
                "scope": token.scope,
                "resource": token.resource,
                "access_hash": access_hash,
                "refresh_hash": refresh_hash,
                "access_expires": _moment(token.access_expires_at),
                "refresh_expires": _moment(token.refresh_expires_at),
            }
        )

    def find_token(self, token_hash, kind):
        field = "access_hash" if kind == "access_token" else "refresh_hash"
        record = self.env["mcp.oauth.token"].search([(field, "=", token_hash)], limit=1)
        return record._to_token() if record else None

    def revoke_token(self, token):
        self.env["mcp.oauth.token"].browse(token.id).write({"revoked": True})


def oauth_server(env):
    """The authorization server of ``env``'s database, at its public URL."""
    base = env["ir.config_parameter"].sudo().get_param("web.base.url", "").rstrip("/")
    return oauth.Server(OdooStore(env(su=True)), base, base + "/mcp")
