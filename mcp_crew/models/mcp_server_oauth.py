"""OAuth 2.1 sign-in to remote MCP servers: the Odoo adapter.

The protocol lives in :mod:`..services.oauth_client`; here are where its state
is kept and who may touch it:

- ``mcp.server.oauth``: one connection per server (so per company), holding
  the discovered metadata, this Odoo's client registration, the tokens and a
  sign-in in progress. Only system administrators reach it (ACL), like
  ``mcp.server.secret``; its values are registered with the log redactor.
  A server whose tools act on a person's behalf may ask each user to sign in
  (``oauth_sign_in = "per_user"``): then one connection per server and user,
  each user connects and disconnects his own (through sudo, never reading
  another's), and a tool runs with the requester's token.
- ``mcp.server`` gains the connection's status (readable by whoever reads the
  server: managers see "needs sign-in") and, for system administrators only,
  the client id/secret they may type and the token's details; the Connect and
  Disconnect buttons; and the bearer token in the spec it builds.

A token expiring soon is refreshed before use, under a row lock and in a
transaction of its own: refresh tokens rotate, so two workers must not both
spend one, and a rotated token must survive the caller's rollback. A refused
refresh (revoked, expired) or a token the server rejects puts the connection in
"needs sign-in": calls fail with that message, the catalog already discovered
stays listed (marked stale).
"""

import contextlib
import dataclasses
import datetime
import hashlib
import logging
import time

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.osv import expression

from ..error_mapping import engine_errors
from ..runtime import get_engine
from ..services import errors, oauth_client, redaction
from .notifications import notification

_logger = logging.getLogger(__name__)

CALLBACK_PATH = "/mcp_crew/oauth/callback"
METADATA_DOCUMENT_PATH = "/mcp_crew/oauth/client-metadata.json"
STATUSES = [
    ("not_connected", "Not connected"),
    ("connected", "Connected"),
    ("needs_sign_in", "Needs sign-in"),
]
SIGN_IN_MODES = [
    ("shared", "One connection, made by an administrator"),
    ("per_user", "Each user connects his own account"),
]
# Fields only system administrators set: where a token is asked for and sent.
OAUTH_FIELDS = {"auth_type", "oauth_sign_in", "oauth_client_id", "oauth_client_secret"}
# Of those, the choices a form saved by a manager sends back unchanged.
CHOICE_FIELDS = {"auth_type", "oauth_sign_in"}
# Where a user connects his own account to a per-user server (controllers/oauth_client.py).
CONNECT_PATH = "/mcp_crew/oauth/connect/%d"
# The cron refreshes tokens expiring within this many seconds.
CRON_REFRESH_HORIZON = 15 * 60


def _digest(value):
    return hashlib.sha256(value.encode()).hexdigest()


# How a transport failure reads when the MCP server refuses the token itself
# (mcp_client.describe_failure).
UNAUTHORIZED = "HTTP 401"


def _unauthorized(err):
    """Whether the MCP server refused the token itself."""
    return isinstance(err, errors.ServerUnavailable) and str(err.reason).startswith(UNAUTHORIZED)


class McpServerOauth(models.Model):
    _name = "mcp.server.oauth"
    _description = "MCP Server OAuth Connection"

    server_id = fields.Many2one(
        "mcp.server", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="server_id.company_id", store=True, index=True)
    # Per-user sign-in: whose account this is; empty for the server's shared connection.
    user_id = fields.Many2one("res.users", index=True, readonly=True, ondelete="cascade")
    status = fields.Selection(STATUSES, required=True, default="not_connected")
    status_reason = fields.Char()
    # Typed by an administrator when the authorization server cannot register us.
    typed_client_id = fields.Char()
    typed_client_secret = fields.Char()
    discovery = fields.Text(help="What discovery found (JSON).")
    issuer = fields.Char()
    client_id = fields.Char()
    client_secret = fields.Char()
    token_endpoint_auth_method = fields.Char()
    registration = fields.Selection(
        [
            ("metadata_document", "Client ID metadata document"),
            ("dynamic", "Dynamic registration"),
            ("manual", "Typed by an administrator"),
        ]
    )
    access_token = fields.Char()
    refresh_token = fields.Char()
    expires_at = fields.Float(help="Epoch seconds; 0 when the server did not say.")
    scope = fields.Char()
    connected_by = fields.Many2one("res.users", readonly=True)
    connected_at = fields.Datetime(readonly=True)
    pending_state = fields.Char(help="SHA-256 of the state of the sign-in in progress.")
    pending_verifier = fields.Char()
    pending_redirect_uri = fields.Char()
    pending_expires_at = fields.Float()
    pending_user_id = fields.Many2one("res.users")

    _sql_constraints = [
        (
            "server_unique",
            "unique(server_id, user_id)",
            "A server has one OAuth connection per user.",
        ),
    ]

    def init(self):
        # unique() lets NULLs repeat: one shared connection per server too.
        self.env.cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS mcp_server_oauth_shared_unique"
            " ON mcp_server_oauth (server_id) WHERE user_id IS NULL"
        )

    def write(self, vals):
        result = super().write(vals)
        # mcp.server's oauth_* fields are computed from here, without a stored path.
        self.server_id.invalidate_recordset()
        return result

    # -- the engine's view of the record ----------------------------------------------------

    def _discovery(self):
        return oauth_client.Discovery.from_json(self.discovery) if self.discovery else None

    def _client(self):
        if not self.client_id:
            return None
        return oauth_client.Client(
            self.client_id,
            self.client_secret or "",
            self.token_endpoint_auth_method or "none",
            self.registration or "manual",
        )

    def _tokens(self):
        if not self.access_token:
            return None
        return oauth_client.Tokens(
            self.access_token, self.refresh_token or "", self.expires_at or 0.0, self.scope or ""
        )

    def _token_values(self, tokens):
        return {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token or False,
            "expires_at": tokens.expires_at,
            "scope": tokens.scope or False,
        }

    def _needs_sign_in(self, reason):
        """Forget the tokens (kept client and metadata make the next Connect short)."""
        _logger.warning(
            "mcp_crew: MCP server %s (#%s) needs sign-in%s: %s",
            self.server_id.name,
            self.server_id.id,
            " (user #%d)" % self.user_id.id if self.user_id else "",
            reason,
        )
        self.write(
            {
                "status": "needs_sign_in",
                "status_reason": reason,
                "access_token": False,
                "refresh_token": False,
                "expires_at": 0.0,
            }
        )

    # -- running the flow ---------------------------------------------------------------------

    def _net(self):
        engine = get_engine()
        return engine, oauth_client.Net(engine.settings.network_policy, self.server_id.timeout)

    def _run(self, coro, engine):
        # Discovery is a handful of requests; bounded well above their own timeouts.
        return engine.loop.run(coro, 6 * (self.server_id.timeout or 10.0) + 5)

    def _start(self, base_url):
        """Discover, register if needed, and remember a new sign-in: the URL to send the
        administrator's browser to."""
        self.ensure_one()
        server = self.server_id
        engine, net = self._net()
        redirect_uri = base_url + CALLBACK_PATH
        discovery = self._run(oauth_client.discover(server.url.strip(), net), engine)
        client = self._client()
        # Typed by an administrator once per server, for every user's connection.
        typed_by = server._oauth_connection(shared=True) or self
        typed = typed_by.typed_client_id and oauth_client.Client(
            typed_by.typed_client_id,
            typed_by.typed_client_secret or "",
            "client_secret_post" if typed_by.typed_client_secret else "none",
            "manual",
        )
        if typed:
            client = typed
        elif client is None or self.issuer != discovery.issuer or client.registration == "manual":
            client = self._run(
                oauth_client.register(
                    discovery, redirect_uri, net, base_url + METADATA_DOCUMENT_PATH
                ),
                engine,
            )
        url, pending = oauth_client.authorization_request(discovery, client, redirect_uri)
        self.write(
            {
                "discovery": discovery.to_json(),
                "issuer": discovery.issuer,
                "client_id": client.client_id,
                "client_secret": client.client_secret or False,
                "token_endpoint_auth_method": client.token_endpoint_auth_method,
                "registration": client.registration,
                "pending_state": _digest(pending.state),
                "pending_verifier": pending.code_verifier,
                "pending_redirect_uri": pending.redirect_uri,
                "pending_expires_at": pending.expires_at,
                "pending_user_id": self.env.uid,
            }
        )
        return url

    @api.model
    def _complete(self, params):
        """The callback: check, trade the code, keep the tokens. Returns the connection."""
        state = params.get("state") or ""
        # Single use, but no log line needs them, however this answer fares.
        redaction.protect(params.get("code"))
        redaction.protect(state)
        connection = (
            self.sudo().search([("pending_state", "=", _digest(state))], limit=1) if state else None
        )
        if not connection:
            raise errors.SignInFailed("no sign-in in progress matches this answer; connect again")
        if not connection.user_id and not self.env.is_system():
            raise AccessError(_("Only system administrators connect OAuth servers."))
        if connection.pending_user_id.id != self.env.uid:
            raise errors.SignInFailed("the sign-in was started by another user")
        pending = oauth_client.Pending(
            state,
            connection.pending_verifier,
            connection.pending_redirect_uri,
            connection.pending_expires_at,
        )
        clear = {
            "pending_state": False,
            "pending_verifier": False,
            "pending_redirect_uri": False,
            "pending_expires_at": 0.0,
            "pending_user_id": False,
        }
        engine, net = connection._net()
        try:
            tokens = connection._run(
                oauth_client.complete_authorization(
                    connection._discovery(), connection._client(), pending, params, net
                ),
                engine,
            )
        except errors.McpCrewError as err:
            connection.write(dict(clear, status_reason=str(err)))
            raise
        connection.write(
            dict(
                clear,
                **connection._token_values(tokens),
                status="connected",
                status_reason=False,
                connected_by=self.env.uid,
                connected_at=fields.Datetime.now(),
            )
        )
        if not connection.user_id:
            connection.server_id._bump_config_revision()
        return connection

    def _access_token(self):
        """The access token to send now, refreshed first when it expires soon."""
        self.ensure_one()
        tokens = self._fresh_tokens().get(self.id) or self._tokens()
        if self.status != "connected" or tokens is None:
            raise self.server_id._sign_in_required(self.status_reason or _("not connected yet"))
        if tokens.due():
            try:
                tokens = self._refresh()
            except errors.OAuthUnavailable as err:
                if tokens.due(margin=0):
                    raise
                # The authorization server is down for now: the token still works.
                _logger.info(
                    "mcp_crew: OAuth refresh of %s postponed: %s", self.server_id.name, err
                )
        return tokens.access_token

    def _fresh_tokens(self):
        """Tokens this transaction refreshed, by connection id: its snapshot of the
        table predates their commit (repeatable read), so it must not re-read them."""
        return self.env.cr.cache.setdefault("mcp_crew_oauth_tokens", {})

    def _refresh(self, force=False):
        """Refresh the tokens under a row lock, in a transaction of their own."""
        self.ensure_one()
        refused = None
        with _own_transaction(self.env) as env:
            env.cr.execute("SELECT id FROM mcp_server_oauth WHERE id = %s FOR UPDATE", [self.id])
            connection = env["mcp.server.oauth"].sudo().browse(self.id)
            connection.invalidate_recordset()
            tokens = connection._tokens()
            if connection.status != "connected" or tokens is None:
                raise connection.server_id._sign_in_required(
                    connection.status_reason or "not connected"
                )
            if force or tokens.due():
                engine, net = connection._net()
                try:
                    tokens = connection._run(
                        oauth_client.refresh(
                            connection._discovery(), connection._client(), tokens, net
                        ),
                        engine,
                    )
                except errors.SignInRequired as err:
                    # Committed with the transaction: the next user sees it at once.
                    connection._needs_sign_in(err.reason)
                    refused = err
                else:
                    connection.write(connection._token_values(tokens))
            # else: another worker refreshed it while this one waited for the lock
        self.invalidate_recordset()
        if refused is not None:
            self._fresh_tokens().pop(self.id, None)
            raise self.server_id._sign_in_required(refused.reason) from refused
        self._fresh_tokens()[self.id] = tokens
        return tokens

    # -- crons ---------------------------------------------------------------------------

    @api.model
    def _cron_refresh_tokens(self):
        """Refresh the tokens that expire soon, so an idle server stays connected."""
        due = self.sudo().search(
            [
                ("status", "=", "connected"),
                ("expires_at", ">", 0),
                ("expires_at", "<", time.time() + CRON_REFRESH_HORIZON),
            ]
        )
        for connection in due:
            try:
                connection._refresh(force=True)
            except errors.McpCrewError as err:
                _logger.info("mcp_crew: OAuth refresh of %s: %s", connection.server_id.name, err)
        return len(due)


@contextlib.contextmanager
def _own_transaction(env):
    """A new cursor committed on success. In Odoo's registry test mode, a savepoint
    of the test's transaction instead: a test cursor would hold the test lock while
    the refresh waits on an HTTP answer that the test server (this Odoo's own
    ``/mcp``, in the tests that sign in to it) can only give with that lock."""
    if env.registry.in_test_mode():
        with env.cr.savepoint():
            yield env
        return
    with env.registry.cursor() as cr:
        yield env(cr=cr)


class McpServer(models.Model):
    _inherit = "mcp.server"

    oauth_sign_in = fields.Selection(
        SIGN_IN_MODES,
        "Connection",
        required=True,
        default="shared",
        help="One connection: an administrator connects the server once and every tool call "
        "uses it. Each user: for servers that act on a person's behalf; every user connects "
        "his own account, and a tool runs with the account of the user who asked.",
    )
    oauth_status = fields.Selection(
        STATUSES,
        "Sign-in",
        compute="_compute_oauth_status",
        help="With a connection per user: yours.",
    )
    oauth_status_reason = fields.Char("Sign-in problem", compute="_compute_oauth_status")
    oauth_client_id = fields.Char(
        "OAuth client ID",
        compute="_compute_oauth_admin",
        inverse="_inverse_oauth_client",
        groups="base.group_system",
        help="Only when the authorization server offers neither client ID metadata "
        "documents nor dynamic registration: the id of a client registered there by hand, "
        "with this redirect URI: <Odoo URL>/mcp_crew/oauth/callback.",
    )
    oauth_client_secret = fields.Char(
        "OAuth client secret",
        compute="_compute_oauth_admin",
        inverse="_inverse_oauth_client",
        groups="base.group_system",
    )
    oauth_issuer = fields.Char(
        "Authorization server", compute="_compute_oauth_admin", groups="base.group_system"
    )
    oauth_registration = fields.Char(
        "Client registered by", compute="_compute_oauth_admin", groups="base.group_system"
    )
    oauth_scope = fields.Char(
        "Granted scope", compute="_compute_oauth_admin", groups="base.group_system"
    )
    oauth_expires_at = fields.Datetime(
        "Token expires", compute="_compute_oauth_admin", groups="base.group_system"
    )
    oauth_connected_by = fields.Many2one(
        "res.users", "Connected by", compute="_compute_oauth_admin", groups="base.group_system"
    )

    def _oauth_per_user(self):
        return self.auth_type == "oauth" and self.oauth_sign_in == "per_user"

    def _oauth_owner(self, shared=False):
        """Whose connection serves this environment: the current user's with
        per-user sign-in, else the server's shared one (False)."""
        return self.env.uid if self._oauth_per_user() and not shared else False

    def _oauth_connection(self, create=False, shared=False):
        """The connection record (sudo) serving the current user, created when
        asked; ``shared``: the server's own (where typed client credentials live)."""
        self.ensure_one()
        owner = self._oauth_owner(shared)
        connection = (
            self.env["mcp.server.oauth"]
            .sudo()
            .search([("server_id", "=", self.id), ("user_id", "=", owner)])
        )
        if not connection and create:
            connection = connection.create({"server_id": self.id, "user_id": owner})
        return connection

    def _oauth_connect_url(self):
        return self.get_base_url() + CONNECT_PATH % self.id

    def _sign_in_required(self, reason):
        """The error of a call without a usable token, telling who can fix it."""
        if self._oauth_per_user():
            return errors.SignInRequired(
                reason,
                self.name,
                remedy=_("connect your account at %s", self._oauth_connect_url()),
            )
        return errors.SignInRequired(reason, self.name)

    def _oauth_connections_serving_user(self):
        """``{(server id, owner): connection}`` (sudo) of the connections serving the
        current user: the user's own (owner: his id) and the shared ones (owner:
        False), in one search."""
        connections = (
            self.env["mcp.server.oauth"]
            .sudo()
            .search([("server_id", "in", self.ids), ("user_id", "in", [False, self.env.uid])])
        )
        return {(c.server_id.id, c.user_id.id): c for c in connections}

    # With per-user sign-in the values are the current user's (the connections are
    # read through sudo: a sudo compute would cache them under another key).
    @api.depends_context("uid")
    def _compute_oauth_status(self):
        found = self._oauth_connections_serving_user()
        for server in self:
            connection = found.get((server.id, server._oauth_owner()))
            server.oauth_status = connection.status if connection else "not_connected"
            server.oauth_status_reason = connection.status_reason if connection else False

    @api.depends_context("uid")
    def _compute_oauth_admin(self):
        # Field groups guard read(), not every path: values only for administrators.
        allowed = self.env.is_system()
        found = self._oauth_connections_serving_user() if allowed else {}
        for server in self:
            connection = found.get((server.id, server._oauth_owner()))
            # Typed once per server: on its shared record, also with per-user sign-in.
            typed_by = found.get((server.id, False))
            registration = (
                dict(connection._fields["registration"].selection).get(connection.registration)
                if connection
                else False
            )
            server.oauth_client_id = typed_by.typed_client_id if typed_by else False
            server.oauth_client_secret = typed_by.typed_client_secret if typed_by else False
            server.oauth_issuer = connection.issuer if connection else False
            server.oauth_registration = registration
            server.oauth_scope = connection.scope if connection else False
            server.oauth_expires_at = (
                datetime.datetime.utcfromtimestamp(connection.expires_at)
                if connection and connection.expires_at
                else False
            )
            server.oauth_connected_by = connection.connected_by if connection else False

    def _inverse_oauth_client(self):
        if not self.env.is_system():
            raise AccessError(_("Only system administrators configure OAuth sign-in."))
        for server in self:
            redaction.protect(server.oauth_client_secret)
            server._oauth_connection(create=True, shared=True).write(
                {
                    "typed_client_id": server.oauth_client_id or False,
                    "typed_client_secret": server.oauth_client_secret or False,
                }
            )

    # -- who may configure it -------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.is_system() and any(
            vals.get("auth_type") == "oauth"
            or vals.get("oauth_sign_in", "shared") != "shared"
            or OAUTH_FIELDS.intersection(vals) - CHOICE_FIELDS
            for vals in vals_list
        ):
            raise AccessError(_("Only system administrators configure OAuth sign-in."))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.is_system() and any(
            field not in CHOICE_FIELDS or any(s[field] != vals[field] for s in self)
            for field in OAUTH_FIELDS.intersection(vals)
        ):
            raise AccessError(_("Only system administrators change a server's authentication."))
        if not {"url", "transport", "auth_type", "oauth_sign_in"} & set(vals):
            return super().write(vals)
        before = {s.id: (s.url, s.transport, s.oauth_sign_in) for s in self}
        result = super().write(vals)
        moved = self.filtered(
            lambda s: (
                (s.url, s.transport, s.oauth_sign_in) != before[s.id] or s.auth_type != "oauth"
            )
        )
        # Tokens and registrations were given for that destination and that choice:
        # they are never sent anywhere else.
        self.env["mcp.server.oauth"].sudo().search([("server_id", "in", moved.ids)]).unlink()
        return result

    # -- the spec -------------------------------------------------------------------------

    def _engine_spec(self):
        """The kept spec with the current access token: added on every call, never
        kept with the spec (tokens are refreshed before they expire, and when the
        server refuses them)."""
        spec = super()._engine_spec()
        if spec.transport == "stdio" or self.auth_type != "oauth":
            return spec
        connection = self._oauth_connection()
        if not connection:
            raise self._sign_in_required(_("not connected yet"))
        token = connection._access_token()
        # The token replaces any Authorization header typed among the parameters.
        kept = tuple(item for item in spec.headers if item[0].lower() != "authorization")
        return dataclasses.replace(spec, headers=kept + (("Authorization", "Bearer %s" % token),))

    def _catalog_view(self, spec=None):
        if self.auth_type != "oauth" or spec is not None:
            return super()._catalog_view(spec)
        try:
            spec = self._engine_spec()
        except errors.SignInRequired as err:
            # The last discovered catalog keeps serving, marked stale. One user
            # not signed in is no failure of the server.
            if not self._oauth_per_user():
                self._record_failure(str(err))
            return self._stored_catalog_view(str(err))
        except errors.McpCrewError:
            # Any other refusal: raised again, as the Odoo error it maps to.
            spec = self._engine_spec_or_user_error()
        view = super()._catalog_view(spec)
        if view["source"] in ("stale", "database") and UNAUTHORIZED in (view["error"] or ""):
            # The server refused a token we thought valid (revoked there): refresh it
            # once and discover again; a refused refresh means sign-in is needed.
            try:
                self._oauth_connection()._refresh(force=True)
                spec = self._engine_spec()
            except errors.SignInRequired as err:
                if not self._oauth_per_user():
                    self._record_failure(str(err))
                return dict(view, error=str(err))
            view = super()._catalog_view(spec)
        return view

    def _call_tool(self, record, arguments):
        try:
            return super()._call_tool(record, arguments)
        except errors.ServerUnavailable as err:
            if self.auth_type != "oauth" or not _unauthorized(err):
                raise
            # The server refused a token we thought valid (revoked there): refresh it
            # once and retry; a refused refresh raises SignInRequired.
            self._oauth_connection()._refresh(force=True)
            return super()._call_tool(record, arguments)

    @api.model
    def _prewarm_domain(self):
        # The cron has no user: a server signed in per user is discovered by its users.
        return expression.AND(
            [
                super()._prewarm_domain(),
                ["|", ("auth_type", "!=", "oauth"), ("oauth_sign_in", "!=", "per_user")],
            ]
        )

    # -- actions --------------------------------------------------------------------------

    def _check_oauth_admin(self):
        """Who may connect or disconnect: a system administrator; with per-user
        sign-in, any user who may read the server (for his own account)."""
        if self._oauth_per_user():
            self.check_access_rights("read")
            self.check_access_rule("read")
            return
        if not self.env.is_system():
            raise AccessError(_("Only system administrators connect OAuth servers."))
        self.check_access_rule("write")

    def action_oauth_connect(self):
        """Discover, register, and send the administrator's browser (with per-user
        sign-in, the user's) to sign in."""
        self.ensure_one()
        self._check_oauth_admin()
        if self.auth_type != "oauth" or self.transport == "stdio":
            raise UserError(_("Choose OAuth 2.1 sign-in on an HTTP server first."))
        base_url = self.get_base_url()
        with engine_errors():
            try:
                url = self._oauth_connection(create=True)._start(base_url)
            except errors.SignInFailed as err:
                raise UserError(
                    _("Sign-in to %(server)s failed: %(error)s", server=self.name, error=err)
                ) from err
        return {"type": "ir.actions.act_url", "url": url, "target": "self"}

    def action_oauth_disconnect(self):
        """Revoke the tokens at the authorization server (best effort) and forget them."""
        self.ensure_one()
        self._check_oauth_admin()
        connection = self._oauth_connection()
        tokens = connection._tokens() if connection else None
        if tokens is not None and connection._discovery():
            engine, net = connection._net()
            try:
                connection._run(
                    oauth_client.revoke(connection._discovery(), connection._client(), tokens, net),
                    engine,
                )
            except errors.McpCrewError as err:
                _logger.info("mcp_crew: revocation for %s: %s", self.name, err)
        if connection:
            connection.write(
                {
                    "status": "not_connected",
                    "status_reason": False,
                    "access_token": False,
                    "refresh_token": False,
                    "expires_at": 0.0,
                }
            )
            if not connection.user_id:
                self._bump_config_revision()
        return notification(self.name, _("Disconnected."), "info")
