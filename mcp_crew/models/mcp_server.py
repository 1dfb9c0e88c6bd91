import datetime
import logging
import time
from urllib.parse import urlsplit

from odoo import SUPERUSER_ID, Command, _, api, fields, models, tools
from odoo.exceptions import AccessError, UserError
from odoo.modules.registry import Registry

from .. import after_commit
from ..error_mapping import engine_errors
from ..runtime import get_engine
from ..services import errors, redaction, stdio_policy
from ..services.functional_settings import SETTINGS
from ..services.spec import DEFAULT_START_TIMEOUT, CacheScope, ServerSpec
from ..services.validation import validate_arguments
from .functional_settings import get_setting
from .notifications import notification

_logger = logging.getLogger(__name__)

# The shipped "Odoo operations" crew's agent, which updates and confirms records.
ERP_OPERATOR = "mcp_crew.agent_odoo_operations_operator"
KINDS = [
    ("database", "Database"),
    ("cache", "Cache"),
    ("crm_helpdesk", "CRM / Helpdesk"),
    ("vector_search", "Vector search"),
    ("erp", "ERP"),
    ("external_api", "External API"),
    ("other", "Other"),
]
STATES = [
    ("never", "Never connected"),
    ("ok", "OK"),
    ("degraded", "Degraded"),
    ("down", "Down"),
]
AUTH_TYPES = [
    ("none", "None"),
    ("headers", "Static headers"),
    ("oauth", "OAuth 2.1 sign-in"),
]
# Editing any of these changes how the server is reached: new revision, new cache.
CONFIG_FIELDS = {"transport", "command", "args_text", "url", "company_id", "active", "auth_type"}
# Where requests and secrets go and, for stdio, what runs on the host: only system
# administrators choose them (managers: stdio commands of [mcp_crew] stdio_commands).
DESTINATION_FIELDS = {"transport", "command", "args_text", "url"}
# Editing these keeps the connection but changes how long a catalog stays fresh.
CACHE_FIELDS = {"kind", "cache_ttl_override", "timeout", "start_timeout"}
# What discovery and failures write (each live discovery does): the cached state
# of a server (its spec, its tools) reads none of them, so they keep it.
STATUS_FIELDS = {
    "state",
    "last_error",
    "last_discovery_at",
    "catalog_hash",
    "server_info_name",
    "server_info_version",
    "protocol_version",
    "instructions",
}
DEFAULT_TIMEOUT = SETTINGS["default_timeout"].default
# (database, server id) -> (catalog hash, switched-off names, stale, tools): what
# get_tools() answered last, served again while the catalog's content, the
# switched-off tools and the staleness are the same.
_TOOLS_SERVED = {}


def _argument_lines(args_text):
    """The command-line arguments of ``args_text``: one per non-blank line."""
    return tuple(line.strip() for line in (args_text or "").splitlines() if line.strip())


class McpServer(models.Model):
    _name = "mcp.server"
    _inherit = ["mcp.company.guard"]
    _description = "MCP Server"
    _order = "sequence, name, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    kind = fields.Selection(
        KINDS,
        required=True,
        default="other",
        help="Sets the default cache TTL: hours for stable kinds, minutes for volatile ones.",
    )
    transport = fields.Selection(
        [("stdio", "stdio"), ("streamable_http", "Streamable HTTP"), ("sse", "SSE (legacy)")],
        required=True,
        default="streamable_http",
    )
    command = fields.Char(help="Executable started for the stdio transport.")
    args_text = fields.Text("Arguments", help="One command-line argument per line.")
    url = fields.Char("URL")
    auth_type = fields.Selection(
        AUTH_TYPES,
        "Authentication",
        required=True,
        default="headers",
        help="HTTP servers: None sends no secret header; Static headers sends the headers "
        "below, secret ones included; OAuth 2.1 sign-in sends the token a system "
        "administrator obtained with Connect (see models/mcp_server_oauth.py).",
    )
    stdio_approved = fields.Boolean(
        "Command set by an administrator",
        groups="base.group_system",
        readonly=True,
        copy=False,
        help="The command and arguments were last chosen by a system administrator. Otherwise "
        "the server only starts while its command is in [mcp_crew] stdio_commands.",
    )
    param_ids = fields.One2many("mcp.server.param", "server_id", "Headers and environment")
    timeout = fields.Float(
        "Timeout (s)",
        default=lambda self: self._default_timeout(),
        help="Upper bound for each request to this server (a tool call, a listing).",
    )
    start_timeout = fields.Float(
        "Start-up timeout (s)",
        default=DEFAULT_START_TIMEOUT,
        help="Upper bound for starting a session: spawning the stdio process (npx and "
        "uvx servers take seconds) or connecting, and the MCP initialize handshake.",
    )
    cache_ttl_override = fields.Integer(
        "Cache TTL override (s)", help="Leave 0 to use the default TTL of the server's kind."
    )
    cache_ttl = fields.Integer("Cache TTL (s)", compute="_compute_cache_ttl")
    config_revision = fields.Integer(readonly=True, copy=False, default=0)

    state = fields.Selection(
        STATES,
        default="never",
        required=True,
        readonly=True,
        copy=False,
        group_expand="_group_expand_state",
    )
    last_error = fields.Text(readonly=True, copy=False)
    last_discovery_at = fields.Datetime("Last successful discovery", readonly=True, copy=False)
    server_info_name = fields.Char("Server name", readonly=True, copy=False)
    server_info_version = fields.Char("Server version", readonly=True, copy=False)
    protocol_version = fields.Char(readonly=True, copy=False)
    instructions = fields.Text(readonly=True, copy=False)
    catalog_hash = fields.Char(readonly=True, copy=False)
    circuit_state = fields.Char(compute="_compute_circuit_state")

    tool_ids = fields.One2many("mcp.tool", "server_id", "Tools")
    resource_ids = fields.One2many("mcp.resource", "server_id", "Resources")
    prompt_ids = fields.One2many("mcp.prompt", "server_id", "Prompts")
    tool_count = fields.Integer(compute="_compute_counts")

    _sql_constraints = [
        ("company_name_unique", "unique(company_id, name)", "Server names are unique per company."),
        ("timeout_positive", "CHECK(timeout > 0)", "The timeout must be positive."),
        (
            "start_timeout_positive",
            "CHECK(start_timeout > 0)",
            "The start-up timeout must be positive.",
        ),
        ("ttl_not_negative", "CHECK(cache_ttl_override >= 0)", "The TTL cannot be negative."),
    ]

    @api.model
    def _default_timeout(self):
        return get_setting(self.env, "default_timeout")

    @api.model
    def _group_expand_state(self, states, domain, order):
        return [key for key, _label in STATES]

    @api.depends("kind", "cache_ttl_override")
    def _compute_cache_ttl(self):
        for server in self:
            server.cache_ttl = server.cache_ttl_override or self._kind_ttl(server.kind)

    @api.model
    def _kind_ttl(self, kind):
        """The catalog TTL (seconds) of a kind: its setting, else the default."""
        return get_setting(self.env, "ttl_%s" % kind)

    def _compute_counts(self):
        for server in self:
            server.tool_count = len(server.tool_ids)

    def _compute_circuit_state(self):
        engine = get_engine()
        for server in self:
            scope = server._cache_scope()
            breaker = engine.breakers.peek(scope, server.id) if server.id else None
            server.circuit_state = breaker.state if breaker else "closed"

    # -- CRUD ---------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.is_system():
            for vals in vals_list:
                if vals.get("transport") == "stdio" or vals.get("command") or vals.get("args_text"):
                    self._check_launch_allowed(vals.get("command"), vals.get("args_text"))
        servers = super().create(vals_list)
        servers.sudo().stdio_approved = self.env.is_system()
        self._invalidate_cached_state()
        return servers

    def write(self, vals):
        destination_changed = bool(DESTINATION_FIELDS & set(vals))
        if destination_changed:
            if not self.env.is_system():
                self._check_destination_edit(vals)
            destinations = {server.id: server._destination() for server in self}
            secrets = self.sudo().param_ids._secrets()
        reach_changed = bool(CONFIG_FIELDS & set(vals))
        cache_changed = reach_changed or bool(CACHE_FIELDS & set(vals))
        before = self._cache_addresses() if cache_changed else []
        result = super().write(vals)
        if destination_changed:
            moved = self.filtered(lambda server: server._destination() != destinations[server.id])
            # Secrets entered for the old destination never go to the new one; a
            # value given again in this same write is a new record and stays.
            (secrets & moved.sudo().param_ids._secrets()).unlink()
            self.sudo().stdio_approved = self.env.is_system()
        if reach_changed:
            self._bump_config_revision()
        if cache_changed:
            self._forget_after_commit(before + self._cache_addresses())
        if set(vals) - STATUS_FIELDS:
            self._invalidate_cached_state()
        return result

    def _destination(self):
        self.ensure_one()
        if self.transport == "stdio":
            return ("stdio", (self.command or "").strip(), self._args())
        parts = urlsplit((self.url or "").strip())
        try:
            port = parts.port
        except ValueError:
            port = "invalid"
        return (self.transport, parts.scheme, (parts.hostname or "").lower(), port)

    def _args(self):
        return _argument_lines(self.args_text)

    def _check_destination_edit(self, vals):
        """A non-administrator's edit: the transport and the URL's host stay,
        a command is one of ``[mcp_crew] stdio_commands``."""
        for server in self:
            if "transport" in vals and vals["transport"] != server.transport:
                raise AccessError(_("Only system administrators change a server's transport."))
            if "url" in vals:
                new = server.new({"transport": server.transport, "url": vals["url"]})
                if new._destination() != server._destination():
                    raise AccessError(
                        _("Only system administrators change the host of a server's URL.")
                    )
            if "command" in vals or "args_text" in vals:
                self._check_launch_allowed(
                    vals.get("command", server.command), vals.get("args_text", server.args_text)
                )

    @api.model
    def _check_launch_allowed(self, command, args_text):
        """Raise AccessError unless a non-administrator may have this command run."""
        patterns = get_engine().settings.stdio_commands_allowed
        if not stdio_policy.command_allowed((command or "").strip(), patterns):
            raise AccessError(
                _(
                    "Only system administrators choose the command a stdio server runs "
                    "(commands open to managers: %s).",
                    ", ".join(patterns) or _("none"),
                )
            )
        try:
            stdio_policy.check_arguments(_argument_lines(args_text))
        except errors.ConfigurationError as err:
            raise AccessError(str(err)) from err

    def unlink(self):
        addresses = self._cache_addresses()
        result = super().unlink()
        self._forget_after_commit(addresses)
        self._invalidate_cached_state()
        return result

    def _bump_config_revision(self):
        if not self:
            return
        # SQL, not write(): a revision bump must not recurse into write(), and
        # concurrent edits must each count.
        self.flush_recordset(["config_revision"])
        self.env.cr.execute(
            "UPDATE mcp_server SET config_revision = COALESCE(config_revision, 0) + 1 "
            "WHERE id IN %s",
            (tuple(self.ids),),
        )
        self.invalidate_recordset(["config_revision"])
        self._forget_after_commit(self._cache_addresses())
        self._invalidate_cached_state()

    def _cache_addresses(self):
        return [(server._cache_scope(), server.id) for server in self.sudo()]

    @api.model
    def _invalidate_cached_state(self):
        """Drop what the hot methods keep between calls: specs, tool lookups,
        switched-off tools (the ``ormcache`` methods below).

        Odoo's registry cache signalling carries it to the other workers: the
        registry is marked invalidated, the request end bumps
        ``base_cache_signaling`` and every worker clears its caches at its next
        request. Cleared again after the commit: a thread of this process that
        refilled them from the not-yet-committed state in between would
        otherwise keep it (the signal does not reach the process that sent it).
        """
        self.clear_caches()
        after_commit.collect(
            self.env.cr, "mcp_crew.clear_caches", _clear_registry_caches, [self.env.cr.dbname]
        )

    def _forget_after_commit(self, addresses):
        # A rolled-back edit must not evict a still-valid catalog, and other
        # workers must not re-cache the old one before the edit is visible.
        if addresses:
            after_commit.collect(self.env.cr, "mcp_crew.forget", _forget, addresses)

    # -- actions ------------------------------------------------------------

    def action_test_connection(self):
        self.ensure_one()
        # It starts the process and sends the secrets: the same right as discovery.
        self.check_access_rights("write")
        self.check_access_rule("write")
        try:
            with engine_errors():
                info = get_engine().test_connection(self._engine_spec())
        except UserError as err:
            return notification(_("Connection failed"), str(err), "danger")
        message = _(
            "%(name)s %(version)s answered (protocol %(protocol)s): connected in "
            "%(connect)s ms, ping %(ping)s ms.",
            name=info["name"],
            version=info["version"],
            protocol=info["protocol_version"],
            connect=info["connect_ms"],
            ping=info["ping_ms"],
        )
        return notification(self.name, message, "success")

    def action_discover(self):
        self.ensure_one()
        self.check_access_rights("write")
        self.check_access_rule("write")
        try:
            with engine_errors():
                view = get_engine().get_catalog(self._engine_spec(), force=True)
        except UserError as err:
            self._record_failure(str(err))
            return notification(_("Discovery failed"), str(err), "danger")
        counts = self._apply_discovery(view)
        message = _(
            "%(tools)s tools, %(resources)s resources, %(prompts)s prompts "
            "(%(created)s new, %(archived)s archived).",
            tools=len(view["catalog"]["tools"]),
            resources=len(view["catalog"]["resources"]),
            prompts=len(view["catalog"]["prompts"]),
            created=counts["created"],
            archived=counts["archived"],
        )
        return notification(self.name, message, "success")

    def action_clear_cache(self):
        self.check_access_rights("write")
        self.check_access_rule("write")
        for server in self:
            get_engine().forget(server._cache_scope(), server.id)
        return notification(_("Cache cleared"), ", ".join(self.mapped("name")), "info")

    # -- business methods -----------------------------------------------------

    def get_tools(self):
        """The server's enabled tools as dicts, from L1/L2 while fresh.

        Falls back to a live discovery, then to the last catalog stored in the
        database (each tool then carries ``stale=True``). The dicts are shared
        with later calls while the catalog and the switched-off tools stay the
        same (as the catalog's own nested values always were): read them, do
        not change them.
        """
        self.ensure_one()
        self._check_read_granted()
        view = self._catalog_view()
        switched_off = self._tool_index(self.id)["switched_off"]
        stale = view["source"] in ("stale", "database")
        server_id = self.id
        key = (self.env.cr.dbname, server_id)
        # The content hash, not the object: a catalog read again from L2 is a
        # new object with the same content. The database's copy has none.
        content = view["catalog"].get("hash")
        served = _TOOLS_SERVED.get(key)
        if served is None or content is None or served[:3] != (content, switched_off, stale):
            tools = tuple(
                dict(tool, server_id=server_id, stale=stale)
                for tool in view["catalog"]["tools"]
                if tool["name"] not in switched_off
            )
            served = _TOOLS_SERVED[key] = (content, switched_off, stale, tools)
        return list(served[3])

    def _check_read_granted(self):
        """``check_access_rights`` + ``check_access_rule("read")``, remembered
        per user, companies and server: the hot methods run on every call and the
        rule check alone costs more than serving a catalog from memory. Rule,
        group and server edits clear the ormcache (as they clear Odoo's own
        access caches); a refusal raises and is never remembered."""
        self.ensure_one()
        self._read_granted(self.env.uid, self.env.su, tuple(self.env.companies.ids), self.id)

    @tools.ormcache("uid", "su", "company_ids", "server_id")
    def _read_granted(self, uid, su, company_ids, server_id):
        server = self.browse(server_id)
        server.check_access_rights("read")
        server.check_access_rule("read")
        return True

    def call_tool(self, name, arguments):
        """Call tool ``name`` through the run gate, as :meth:`mcp.run.ask` does.

        The call is recorded as a run of the caller (channel ``jsonrpc``) with
        its audit step; a destructive tool (or one an admin flagged) only
        leaves a step waiting for an approver, who is not the caller.

        Returns the engine's result (content, structured_content, is_error,
        text, latency_ms) plus ``run_id``, ``status`` (ok, error,
        pending_approval) and ``error``. Unknown or switched-off tools and
        arguments that do not fit the schema are refused before anything runs.
        """
        self.ensure_one()
        self._check_read_granted()
        with engine_errors():
            tool = self._tool_record(name)
            validate_arguments(name, tool._schema(), arguments)
        run, outcome = self.env["mcp.run"]._run_tool_call(tool, arguments)
        return dict(outcome.call_result(), run_id=run.id)

    def _tool_record(self, name):
        """The caller's enabled ``mcp.tool`` named ``name`` (a live catalog is synced first)."""
        self._catalog_view()
        tool_id = self._tool_index(self.id)["ids"].get(name)
        if not tool_id:
            raise self._tool_not_found(name)
        record = self.env["mcp.tool"].browse(tool_id)
        self._check_tool_active(record)
        return record

    @tools.ormcache("server_id")
    def _tool_index(self, server_id):
        """``{"ids": {name: tool id}, "switched_off": frozenset of names}`` of a
        server's tools, archived ones included; kept between calls until
        :meth:`_invalidate_cached_state` (any tool or server edit)."""
        records = (
            self.env["mcp.tool"]
            .sudo()
            .with_context(active_test=False)
            .search_read([("server_id", "=", server_id)], ["name", "active"])
        )
        return {
            "ids": {record["name"]: record["id"] for record in records},
            "switched_off": frozenset(r["name"] for r in records if not r["active"]),
        }

    def _check_tool_active(self, record):
        if not record.active:
            raise errors.ToolDisabled(
                _(
                    "Tool %(tool)s of %(server)s is switched off.",
                    tool=record.name,
                    server=self.name,
                )
            )

    def _call_tool(self, record, arguments):
        """Call the ``mcp.tool`` ``record`` of this server, raising the engine's
        errors: only the run gate (:meth:`mcp.run._gate_tool_call`) calls it."""
        self.ensure_one()
        self._check_read_granted()
        self._check_tool_active(record)
        spec = self._engine_spec()
        name = record.name
        return get_engine().call_tool(spec, name, arguments, tool=self._find_tool(spec, name))

    def _find_tool(self, spec, name):
        for tool in self._catalog_view(spec)["catalog"]["tools"]:
            if tool["name"] == name:
                return tool
        raise self._tool_not_found(name)

    def _tool_not_found(self, name):
        return errors.ToolNotFound(
            _("MCP server %(server)s has no tool named %(tool)s.", server=self.name, tool=name)
        )

    def _catalog_view(self, spec=None):
        spec = spec or self._engine_spec_or_user_error()
        try:
            view = get_engine().get_catalog(spec)
        except errors.ServerUnavailable as err:
            self._record_failure(str(err))
            return self._stored_catalog_view(str(err))
        if view["source"] == "live":
            self._apply_discovery(view)
        elif view["source"] == "stale":
            self._record_failure(view["error"], degraded=True)
        return view

    def _stored_catalog_view(self, error):
        tools = self.env["mcp.tool"].sudo().search([("server_id", "=", self.id)])
        return {
            "catalog": {"tools": [tool._to_catalog_item() for tool in tools]},
            "source": "database",
            "error": error,
        }

    def _engine_spec_or_user_error(self):
        with engine_errors():
            return self._engine_spec()

    def _engine_spec(self):
        self.ensure_one()
        return self._cached_engine_spec(self.id)

    @tools.ormcache("server_id")
    def _cached_engine_spec(self, server_id):
        """The spec of server ``server_id``, kept between calls until
        :meth:`_invalidate_cached_state` (an edit of the server, its
        parameters or secrets, or of a setting)."""
        return self.browse(server_id)._build_engine_spec()

    def _build_engine_spec(self):
        self.ensure_one()
        server = self.sudo()
        params = server.param_ids
        self.env["mcp.server.secret"]._protect_all()
        if server.transport == "stdio" and not server.stdio_approved:
            # Defence in depth: whatever wrote the record, a command a
            # non-administrator chose runs only while it is allow-listed.
            try:
                server._check_launch_allowed(server.command, server.args_text)
            except AccessError as err:
                raise errors.ConfigurationError(
                    "MCP server %s: %s An administrator must confirm its command."
                    % (server.name, err)
                ) from err
        return ServerSpec(
            scope=server._cache_scope(),
            server_id=server.id,
            name=server.name,
            transport=server.transport,
            command=(server.command or "").strip(),
            args=server._args(),
            env=tuple((p.name, p._effective_value()) for p in params if p.param_type == "env"),
            url=(server.url or "").strip(),
            headers=server._auth_headers(params),
            timeout=server.timeout or DEFAULT_TIMEOUT,
            start_timeout=server.start_timeout or DEFAULT_START_TIMEOUT,
            cache_ttl=server.cache_ttl,
            # The creation time keeps a recreated database (same ids) from
            # reusing the cached catalogs of the old one.
            revision="%s.%s" % (server.create_date.timestamp(), server.config_revision),
        )

    def _auth_headers(self, params):
        """The HTTP headers sent to the server (on a sudo() record): secret ones
        only with static-header authentication (OAuth adds its token: see
        ``mcp_server_oauth``)."""
        return tuple(
            (p.name, p._effective_value())
            for p in params
            if p.param_type == "header" and (self.auth_type == "headers" or not p.is_secret)
        )

    def _cache_scope(self):
        return CacheScope(self.env.cr.dbname, self.company_id.id)

    def _apply_discovery(self, view):
        """Persist a freshly discovered catalog and mark the server OK; an ERP
        server's new tools that need approval are granted to the ERP operator."""
        self.ensure_one()
        server = self.sudo()
        catalog = view["catalog"]
        counts = {"created": 0, "updated": 0, "archived": 0}
        if server.catalog_hash != catalog["hash"]:
            erp = server.kind == "erp"
            known = server.with_context(active_test=False).tool_ids if erp else None
            for model, items in (
                ("mcp.tool", catalog["tools"]),
                ("mcp.resource", catalog["resources"]),
                ("mcp.prompt", catalog["prompts"]),
            ):
                synced = self.env[model].sudo()._sync_catalog(server, items)
                for key, value in synced.items():
                    counts[key] += value
            if erp:
                server._grant_erp_operator(server.tool_ids - known)
        info = catalog["server"]
        server.write(
            {
                "state": "ok",
                "last_error": False,
                "last_discovery_at": datetime.datetime.utcfromtimestamp(view["fetched_at"]),
                "catalog_hash": catalog["hash"],
                "server_info_name": info["name"],
                "server_info_version": info["version"],
                "protocol_version": info["protocol_version"],
                "instructions": info["instructions"],
            }
        )
        return counts

    def _grant_erp_operator(self, candidates):
        """List in the shipped ERP operator's Tools those of ``candidates`` that need
        approval (``odoo_write``, ``odoo_call_method``, glue modules'
        confirmations); returns them, listed already or not. "Use all tools"
        offers none of those (least privilege), and they are discovered per
        company, so no data file can list them. Discovery grants an ERP server's
        new ones only: a tool an admin took off the agent stays off.

        Listing a tool does not bypass the gate: each call still waits for an
        approver. The agent is shared by every company, but a run is offered only
        its own company's tools, so no other company is handed these. Written in
        the name of whoever last wrote the agent: the grant is the module's
        bookkeeping, not an edit. An untouched shipped agent (last written by the
        superuser) keeps receiving each release's texts on upgrade, and one an
        admin edited stays edited (``mcp.shipped.mixin`` tells them apart by
        ``write_uid``).
        """
        agent = self.env.ref(ERP_OPERATOR, raise_if_not_found=False)
        granted = candidates.filtered(lambda tool: tool._needs_approval())
        if not agent or not granted:
            return self.env["mcp.tool"]
        new = granted - agent.sudo().tool_ids
        if new:
            as_last_writer = agent.with_user(agent.write_uid.id or SUPERUSER_ID).sudo()
            as_last_writer.write({"tool_ids": [Command.link(tool.id) for tool in new]})
            _logger.info(
                "MCP server %s: the ERP operator is granted %s",
                self.name,
                ", ".join(new.mapped("name")),
            )
        return granted

    def _record_failure(self, message, degraded=None):
        """Show the failure on the server; degraded while a catalog is still served."""
        self.ensure_one()
        server = self.sudo()
        if degraded is None:
            degraded = bool(server.catalog_hash)
        state = "degraded" if degraded else "down"
        message = redaction.REDACTOR.redact(message or "")
        breaker = get_engine().breakers.peek(self._cache_scope(), self.id)
        if breaker is not None and breaker.state == "open":
            state = "down"
        if server.state != state or server.last_error != message:
            server.write({"state": state, "last_error": message})

    # -- crons ----------------------------------------------------------------

    @api.model
    def _prewarm_domain(self):
        """The servers the pre-warm cron discovers ahead of their users."""
        return []

    @api.model
    def _cron_refresh_discovery(self, batch_size=None):
        """Re-discover servers whose cached catalog expires soon (pre-warm), in batches."""
        margin = get_setting(self.env, "prewarm_margin")
        batch_size = batch_size or get_setting(self.env, "discovery_batch_size")
        engine = get_engine()
        due = []
        for server in self.sudo().search(self._prewarm_domain(), order="id"):
            try:
                spec = server._engine_spec()
            except (errors.ConfigurationError, errors.SignInRequired) as err:
                server._record_failure(str(err), degraded=False)
                continue
            except errors.OAuthUnavailable as err:
                server._record_failure(str(err))
                continue
            entry = engine.cached_entry(spec)
            if entry is None or entry["fresh_until"] - time.time() < margin:
                due.append((server, spec))
        batch, rest = due[:batch_size], due[batch_size:]
        results = engine.refresh_many([spec for _server, spec in batch]) if batch else {}
        for server, _spec in batch:
            entry, error = results[server.id]
            if error is None:
                server._apply_discovery(dict(entry, source="live"))
            else:
                server._record_failure(str(error))
        if rest:
            self.env.ref("mcp_crew.ir_cron_mcp_refresh_discovery")._trigger()
        _logger.info(
            "mcp_crew: pre-warm refreshed %d server(s), %d left for the next run",
            len(batch),
            len(rest),
        )
        return len(batch)


def _clear_registry_caches(databases):
    for db in databases:
        registry = Registry.registries.get(db)
        if registry is not None:
            registry.clear_caches()


def _forget(addresses):
    engine = get_engine()
    for scope, server_id in addresses:
        engine.forget(scope, server_id)
