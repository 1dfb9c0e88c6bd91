from odoo import api, fields, models, tools
from odoo.exceptions import AccessDenied

from odoo.addons.base.models.res_users import INDEX_SIZE, KEY_CRYPT_CONTEXT, check_identity

from ..services import redaction
from ..services.mcp_endpoint import WRITES_ALLOW, WRITES_CONFIRM, WRITES_READ_ONLY

# What tools that change data may do with a key: the user chooses when creating it.
MCP_WRITES = [
    (WRITES_CONFIRM, "Only when I confirm them"),
    (WRITES_ALLOW, "Allowed (confirmed where the host can ask)"),
    (WRITES_READ_ONLY, "Read only"),
]


class ResUsersApikeys(models.Model):
    _inherit = "res.users.apikeys"

    mcp_writes = fields.Selection(
        MCP_WRITES,
        "MCP changes",
        compute="_compute_mcp_writes",
        help="What Odoo's MCP server lets tools that change data do with this key.",
    )

    def _compute_mcp_writes(self):
        grants = self.env["mcp.apikey.grant"].sudo().search([("key_id", "in", self.ids)])
        writes = {grant.key_id.id: grant.writes for grant in grants}
        for key in self:
            key.mcp_writes = writes.get(key.id, WRITES_CONFIRM)

    @tools.ormcache("scope", "key")
    def _mcp_check_credentials(self, scope, key):
        """``(user id, key id, writes)`` of an API key, remembered per worker like
        ``res.users.check``.

        Odoo's ``_check_credentials`` query, also returning the key's id (its
        grant and the principal a confirmation is bound to). Verifying a key
        costs a PBKDF2 hash (milliseconds); MCP hosts send the key with every
        request. Unknown keys raise, so they are never cached, and removing any
        key or changing a grant clears the cache.
        """
        self.env.cr.execute(
            """
            SELECT k.id, k.user_id, k.key
              FROM res_users_apikeys k
              JOIN res_users u ON u.id = k.user_id
             WHERE u.active AND k.index = %s AND (k.scope IS NULL OR k.scope = %s)
            """,
            [key[:INDEX_SIZE], scope],
        )
        for key_id, uid, hashed in self.env.cr.fetchall():
            if KEY_CRYPT_CONTEXT.verify(key, hashed):
                redaction.protect(key)  # a working key: never in a log line from now on
                grant = self.env["mcp.apikey.grant"].sudo().search([("key_id", "=", key_id)])
                return uid, key_id, grant.writes or WRITES_CONFIRM
        raise AccessDenied()

    @api.model
    def _generate(self, scope, name):
        """A new key; with ``mcp_writes`` in the context, its MCP grant too."""
        key = super()._generate(scope, name)
        writes = self.env.context.get("mcp_writes")
        if writes:
            self.env.cr.execute(
                "SELECT id FROM res_users_apikeys WHERE user_id = %s AND index = %s "
                "ORDER BY id DESC LIMIT 1",
                [self.env.uid, key[:INDEX_SIZE]],
            )
            self.env["mcp.apikey.grant"].sudo().create(
                {"key_id": self.env.cr.fetchone()[0], "writes": writes}
            )
        return key

    def unlink(self):
        result = super().unlink()
        # A revoked key must stop working at once, in every worker.
        self.clear_caches()
        return result


class McpApikeyGrant(models.Model):
    _name = "mcp.apikey.grant"
    _description = "MCP grant of an API key"
    _rec_name = "key_id"

    key_id = fields.Many2one(
        "res.users.apikeys", required=True, ondelete="cascade", index=True, readonly=True
    )
    user_id = fields.Many2one(related="key_id.user_id")
    writes = fields.Selection(MCP_WRITES, required=True, default=WRITES_CONFIRM)

    _sql_constraints = [("key_unique", "UNIQUE(key_id)", "An API key has one MCP grant.")]

    def write(self, vals):
        result = super().write(vals)
        self.env["res.users.apikeys"].clear_caches()  # cached with the key
        return result

    def unlink(self):
        result = super().unlink()
        self.env["res.users.apikeys"].clear_caches()  # the key falls back to confirm
        return result


class ApikeyDescription(models.TransientModel):
    _inherit = "res.users.apikeys.description"

    mcp_writes = fields.Selection(
        MCP_WRITES,
        "MCP changes",
        default=WRITES_CONFIRM,
        required=True,
        help="When an MCP host (Claude, VS Code, Cursor…) uses this key on Odoo's MCP "
        "server, tools that create or change records ask you to confirm each call in hosts "
        "that can ask. Hosts that cannot (most today, and the crews of this addon) may "
        "change data only with 'Allowed'; 'Read only' refuses every change.",
    )

    @check_identity
    def make_key(self):
        # The key is made by _generate after the wizard is gone: pass the choice on.
        return super(ApikeyDescription, self.with_context(mcp_writes=self.mcp_writes)).make_key()
