from odoo import fields, models, tools


class ResUsers(models.Model):
    _inherit = "res.users"

    mcp_oauth_token_ids = fields.One2many(
        "mcp.oauth.token",
        "user_id",
        "MCP accesses",
        domain=[("revoked", "=", False)],
        readonly=True,
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + ["mcp_oauth_token_ids"]

    @tools.ormcache("self.id")
    def _mcp_company_ids(self):
        """The user's companies, default first: what a call without
        ``allowed_company_ids`` in its context (``/jsonrpc``, ``/xmlrpc``) works in,
        and those an API key opens on ``/mcp``.

        Remembered per worker, as Odoo's ``_get_company_ids``, because
        ``env.company`` would otherwise read the user's whole row on every such
        request. Writing a user's companies clears Odoo's caches, this one too
        (``res.users.write``)."""
        self.ensure_one()
        return tuple((self.company_id | self.company_ids).ids)


def in_user_companies(records):
    """``records`` working in the companies of their user, spelt out in the
    context when the caller did not choose them: the same ``env.company`` and
    ``env.companies`` as without, but not read from the user's row."""
    if records.env.context.get("allowed_company_ids"):
        return records
    return records.with_context(allowed_company_ids=list(records.env.user._mcp_company_ids()))
