from odoo import api, fields, models


class McpEndpointConfirmation(models.Model):
    """The confirmations of tool calls already used on Odoo's MCP server: a user's
    yes runs the call it was given for once, however often it is replayed."""

    _name = "mcp.endpoint.confirmation"
    _description = "Used MCP confirmation"

    nonce = fields.Char(required=True, readonly=True)
    expires = fields.Datetime(required=True, readonly=True)

    _sql_constraints = [("nonce_unique", "UNIQUE(nonce)", "A confirmation is used once.")]

    @api.model
    def _consume(self, nonce, expires_at):
        """Mark ``nonce`` used; False when it already was (concurrent retries
        included: the second waits for the first and inserts nothing)."""
        self.env.cr.execute(
            """
            INSERT INTO mcp_endpoint_confirmation
                   (nonce, expires, create_uid, write_uid, create_date, write_date)
            VALUES (%s, to_timestamp(%s) AT TIME ZONE 'UTC', %s, %s,
                    now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
            ON CONFLICT (nonce) DO NOTHING
            RETURNING id
            """,
            [nonce, expires_at, self.env.uid, self.env.uid],
        )
        return bool(self.env.cr.fetchone())

    @api.autovacuum
    def _gc_expired(self):
        """Expired confirmations are refused anyway: forget them."""
        self.sudo().search([("expires", "<", fields.Datetime.now())]).unlink()
