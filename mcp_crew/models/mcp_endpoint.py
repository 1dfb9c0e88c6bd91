"""Odoo as an MCP server: the tools, run as the authenticated user.

``mcp.endpoint`` holds the tool catalog (``_mcp_tools``, which other modules
extend) and the handlers. Everything runs in the caller's environment — their
access rights, record rules and companies — never with sudo on user data.
Domains, field names and arguments are checked first, with errors that name
the problem; what Odoo refuses comes back as a tool error the model can read.
"""

import json
from urllib.parse import urlsplit

from odoo import _, api, models
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools import misc

from ..services import mcp_endpoint
from ..services.errors import InvalidArguments
from ..services.mcp_endpoint import ToolFailure
from ..services.validation import validate_arguments
from .functional_settings import get_setting
from .mcp_crew import split_items

MAX_LIMIT = 500
# Terms (leaves and operators) a domain may have.
MAX_DOMAIN_TERMS = 200
# Read-group granularities of date and datetime fields.
GRANULARITIES = ("hour", "day", "week", "month", "quarter", "year")
DEFAULT_LIMIT = 80
# Methods callable through odoo_call_method unless the setting lists others.
DEFAULT_ALLOWED_METHODS = (
    "sale.order.action_confirm",
    "sale.order.action_cancel",
    "account.move.action_post",
    "crm.lead.action_set_won",
    "crm.lead.action_set_lost",
    "res.partner.toggle_active",
)
READ_ONLY = {
    "readOnlyHint": True,
    "destructiveHint": False,
    "idempotentHint": True,
    "openWorldHint": False,
}
# Adds records without touching existing ones; glue modules' write tools too.
WRITES = {
    "readOnlyHint": False,
    "destructiveHint": False,
    "idempotentHint": False,
    "openWorldHint": False,
}


def tool_schema(properties, required=()):
    """A closed input schema (unknown arguments are refused); for glue modules too."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


_MODEL = {"type": "string", "description": "Technical model name, e.g. res.partner"}
_DOMAIN = {
    "type": "array",
    "description": 'Odoo domain, e.g. [["is_company", "=", true]]',
    "default": [],
}
_FIELDS = {
    "type": "array",
    "items": {"type": "string"},
    "description": "Field names; empty for a sensible default set",
}
_IDS = {"type": "array", "items": {"type": "integer"}, "minItems": 1}


class McpEndpoint(models.AbstractModel):
    _name = "mcp.endpoint"
    _description = "MCP endpoint (Odoo as an MCP server)"

    # -- the catalog ------------------------------------------------------------

    @api.model
    def _mcp_tools(self):
        """Tool definitions: MCP tool dicts plus ``handler`` (a method name).

        Modules add theirs by extending this list (see mcp_crew_sale)."""
        return [
            {
                "name": "odoo_list_models",
                "description": "List the Odoo models you may read, with their labels.",
                "inputSchema": tool_schema(
                    {"search": {"type": "string", "description": "Filter on model name or label"}}
                ),
                "annotations": READ_ONLY,
                "handler": "_tool_list_models",
            },
            {
                "name": "odoo_describe_model",
                "description": "Describe a model's fields: label, type, relation, "
                "required, readonly, selection values.",
                "inputSchema": tool_schema({"model": _MODEL}, ["model"]),
                "annotations": READ_ONLY,
                "handler": "_tool_describe_model",
            },
            {
                "name": "odoo_search_read",
                "description": "Search records with a domain and read fields.",
                "inputSchema": tool_schema(
                    {
                        "model": _MODEL,
                        "domain": _DOMAIN,
                        "fields": _FIELDS,
                        "limit": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": MAX_LIMIT,
                            "default": DEFAULT_LIMIT,
                        },
                        "offset": {"type": "integer", "minimum": 0, "default": 0},
                        "order": {"type": "string", "description": "e.g. 'name asc, id desc'"},
                    },
                    ["model"],
                ),
                "annotations": READ_ONLY,
                "handler": "_tool_search_read",
            },
            {
                "name": "odoo_count",
                "description": "Count the records matching a domain.",
                "inputSchema": tool_schema({"model": _MODEL, "domain": _DOMAIN}, ["model"]),
                "annotations": READ_ONLY,
                "handler": "_tool_count",
            },
            {
                "name": "odoo_read_group",
                "description": "Group records and aggregate fields (sums, counts) per group.",
                "inputSchema": tool_schema(
                    {
                        "model": _MODEL,
                        "domain": _DOMAIN,
                        "fields": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "Aggregates, e.g. ['amount_total:sum']",
                        },
                        "groupby": {
                            "type": "array",
                            "items": {"type": "string"},
                            "minItems": 1,
                            "description": "e.g. ['partner_id', 'date_order:month']",
                        },
                        "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                        "orderby": {"type": "string"},
                    },
                    ["model", "groupby"],
                ),
                "annotations": READ_ONLY,
                "handler": "_tool_read_group",
            },
            {
                "name": "odoo_create",
                "description": "Create a record; returns its id and display name.",
                "inputSchema": tool_schema(
                    {"model": _MODEL, "values": {"type": "object"}}, ["model", "values"]
                ),
                "annotations": WRITES,
                "handler": "_tool_create",
            },
            {
                "name": "odoo_write",
                "description": "Update records: the given fields are overwritten.",
                "inputSchema": tool_schema(
                    {"model": _MODEL, "ids": _IDS, "values": {"type": "object"}},
                    ["model", "ids", "values"],
                ),
                "annotations": dict(WRITES, destructiveHint=True, idempotentHint=True),
                "handler": "_tool_write",
            },
            {
                "name": "odoo_call_method",
                "description": "Call an allow-listed business method on records "
                "(e.g. sale.order action_confirm).",
                "inputSchema": tool_schema(
                    {"model": _MODEL, "method": {"type": "string"}, "ids": _IDS},
                    ["model", "method", "ids"],
                ),
                "annotations": dict(WRITES, destructiveHint=True),
                "handler": "_tool_call_method",
            },
        ]

    @api.model
    def _mcp_catalog(self):
        """The tools as MCP dicts (without handlers)."""
        return [
            {key: value for key, value in tool.items() if key != "handler"}
            for tool in self._mcp_tools()
        ]

    @api.model
    def _mcp_call(self, name, arguments):
        """Run tool ``name``: its result, or :class:`ToolFailure` with Odoo's reason."""
        tool = next((t for t in self._mcp_tools() if t["name"] == name), None)
        if tool is None:
            raise mcp_endpoint.ProtocolError(mcp_endpoint.INVALID_PARAMS, "Unknown tool: %s" % name)
        try:
            validate_arguments(name, tool["inputSchema"], arguments)
        except InvalidArguments as err:
            raise ToolFailure(str(err)) from err
        try:
            with self.env.cr.savepoint():
                result = getattr(self, tool["handler"])(**arguments)
                self.env.flush_all()  # constraint errors belong to this call
        except (AccessError, MissingError, UserError, ValidationError, ValueError) as err:
            raise ToolFailure(_error_text(err)) from err
        return {
            "content": [
                {"type": "text", "text": json.dumps(result, ensure_ascii=False, default=str)}
            ],
            "structuredContent": result if isinstance(result, dict) else {"result": result},
        }

    # -- validation helpers --------------------------------------------------------

    @api.model
    def _model(self, model):
        if model not in self.env or self.env[model]._abstract or self.env[model]._transient:
            raise ValueError(_("Unknown model %(model)s.", model=model))
        records = self.env[model]
        records.check_access_rights("read")
        return records

    @api.model
    def _check_fields(self, records, names):
        unknown = [name for name in names if name.split(":")[0] not in records._fields]
        if unknown:
            raise ValueError(
                _(
                    "Unknown fields on %(model)s: %(fields)s.",
                    model=records._name,
                    fields=", ".join(unknown),
                )
            )

    @api.model
    def _check_domain(self, records, domain):
        if not isinstance(domain, list):
            raise ValueError(_("The domain must be a list."))
        if len(domain) > MAX_DOMAIN_TERMS:
            raise ValueError(
                _(
                    "The domain has %(count)s terms; at most %(limit)s are accepted.",
                    count=len(domain),
                    limit=MAX_DOMAIN_TERMS,
                )
            )
        try:
            records._where_calc(expression.normalize_domain(domain) if domain else [])
        except (ValueError, TypeError, AssertionError, IndexError) as err:
            raise ValueError(
                _("Invalid domain %(domain)s: %(error)s", domain=json.dumps(domain), error=err)
            ) from err
        return domain

    @api.model
    def _check_groupby(self, records, groupby):
        """``field`` or ``field:granularity`` (dates only), on stored fields."""
        for spec in groupby:
            name, _sep, granularity = spec.partition(":")
            field = records._fields[name]
            if not field.store or field.type in ("binary", "one2many"):
                raise ValueError(
                    _(
                        "Records cannot be grouped by %(field)s: it is not a stored field.",
                        field=name,
                    )
                )
            if granularity and (
                field.type not in ("date", "datetime") or granularity not in GRANULARITIES
            ):
                raise ValueError(
                    _(
                        "Invalid group-by %(spec)s: only date and datetime fields take a "
                        "granularity, one of %(allowed)s.",
                        spec=spec,
                        allowed=", ".join(GRANULARITIES),
                    )
                )

    # -- the generic tools ------------------------------------------------------------

    def _tool_list_models(self, search=""):
        result = []
        domain = [("transient", "=", False)]
        if search:
            domain += ["|", ("model", "ilike", search), ("name", "ilike", search)]
        for model in self.env["ir.model"].sudo().search(domain, order="model"):
            records = self.env.get(model.model)
            if records is None or records._abstract:
                continue
            if records.check_access_rights("read", raise_exception=False):
                result.append({"model": model.model, "name": model.name})
        return {"models": result}

    def _tool_describe_model(self, model):
        records = self._model(model)
        attributes = ["string", "type", "required", "readonly", "relation", "selection", "help"]
        described = records.fields_get(attributes=attributes)
        return {"model": model, "fields": described}

    def _tool_search_read(
        self, model, domain=(), fields=(), limit=DEFAULT_LIMIT, offset=0, order=None
    ):
        records = self._model(model)
        domain = self._check_domain(records, list(domain))
        fields = list(fields) or _default_fields(records)
        self._check_fields(records, fields)
        rows = records.search_read(domain, fields, offset=offset, limit=limit, order=order)
        return {"records": rows, "count": len(rows)}

    def _tool_count(self, model, domain=()):
        records = self._model(model)
        return {"count": records.search_count(self._check_domain(records, list(domain)))}

    def _tool_read_group(self, model, groupby, domain=(), fields=(), limit=None, orderby=False):
        records = self._model(model)
        domain = self._check_domain(records, list(domain))
        self._check_fields(records, list(fields) + list(groupby))
        self._check_groupby(records, groupby)
        groups = records.read_group(
            domain,
            list(fields) or ["__count"],
            list(groupby),
            limit=limit,
            orderby=orderby,
            lazy=False,
        )
        for group in groups:
            group.pop("__domain", None)
        return {"groups": groups}

    def _tool_create(self, model, values):
        records = self._model(model)
        self._check_fields(records, list(values))
        record = records.create(values)
        return {"id": record.id, "display_name": record.display_name}

    def _tool_write(self, model, ids, values):
        records = self._model(model)
        self._check_fields(records, list(values))
        targets = records.browse(ids).exists()
        missing = sorted(set(ids) - set(targets.ids))
        if missing:
            raise MissingError(
                _("Records %(ids)s of %(model)s do not exist.", ids=missing, model=model)
            )
        targets.write(values)
        return {"ids": targets.ids, "updated": sorted(values)}

    def _tool_call_method(self, model, method, ids):
        records = self._model(model)
        allowed = self._allowed_methods()
        if "%s.%s" % (model, method) not in allowed or method.startswith("_"):
            raise AccessError(
                _(
                    "Method %(method)s of %(model)s is not allowed through MCP "
                    "(allowed: %(allowed)s).",
                    method=method,
                    model=model,
                    allowed=", ".join(sorted(allowed)),
                )
            )
        targets = records.browse(ids).exists()
        if len(targets) != len(set(ids)):
            raise MissingError(_("Some records of %(model)s do not exist.", model=model))
        result = getattr(targets, method)()
        # Actions (dicts for the web client) mean nothing to an MCP client.
        return {
            "ids": targets.ids,
            "result": result if isinstance(result, (bool, int, str)) else None,
        }

    @api.model
    def _allowed_methods(self):
        configured = get_setting(self.env, "mcp_allowed_methods")
        if not configured:
            return set(DEFAULT_ALLOWED_METHODS)
        return set(split_items(configured))


def _default_fields(records):
    """Stored, non-binary, non-x2many fields: what a list view would show."""
    names = ["id", "display_name"]
    for name, field in records._fields.items():
        if (
            field.store
            and field.type not in ("binary", "one2many", "many2many", "html")
            and name not in names
            and not name.startswith("__")
            and name not in ("create_uid", "write_uid", "message_main_attachment_id")
        ):
            names.append(name)
    return names[:40]


def _error_text(err):
    message = err.args[0] if getattr(err, "args", None) else str(err)
    return "%s: %s" % (type(err).__name__, message)


class OdooBackend(mcp_endpoint.Backend):
    """The MCP backend of one authenticated caller (``env`` is their user's).

    ``principal`` names the credential (API key or token) and ``writes`` is
    what it grants tools that change data (``mcp_endpoint.WRITES_*``).
    """

    def __init__(self, env, principal, writes):
        self.env = env
        self._principal = principal
        self.writes = writes

    def server_info(self):
        return {"name": "odoo-mcp_crew", "title": self.env.company.name, "version": "16.0"}

    def instructions(self):
        return (
            "Odoo ERP of %s, acting as user %s with their access rights. "
            "Use odoo_describe_model before writing." % (self.env.company.name, self.env.user.name)
        )

    def freshness(self, method):
        """Lists change only when modules are installed: they stay fresh as long
        as this addon keeps an ERP server's catalog, and are the same for every
        user (calls are checked per user). Discovery names the user and company;
        what a resource holds is theirs and live."""
        if method == "resources/read":
            return 0, "private"
        ttl_ms = self.env["mcp.server"]._kind_ttl("erp") * 1000
        return ttl_ms, "private" if method == "server/discover" else "public"

    def allowed_origins(self):
        """This database's public origin and those of ``mcp_crew.mcp_allowed_origins``."""
        base = urlsplit(self.env["ir.config_parameter"].sudo().get_param("web.base.url") or "")
        listed = split_items(get_setting(self.env, "mcp_allowed_origins"))
        return {"%s://%s" % (base.scheme, base.netloc)} | {item.rstrip("/") for item in listed}

    def write_access(self):
        return self.writes

    def principal(self):
        return "%s/uid:%d" % (self._principal, self.env.uid)

    def sign(self, message):
        return misc.hmac(self.env(su=True), "mcp_crew.request_state", message.decode())

    def consume_confirmation(self, nonce, expires_at):
        return self.env["mcp.endpoint.confirmation"]._consume(nonce, expires_at)

    def list_tools(self):
        return self.env["mcp.endpoint"]._mcp_catalog()

    def call_tool(self, name, arguments):
        return self.env["mcp.endpoint"]._mcp_call(name, arguments)
