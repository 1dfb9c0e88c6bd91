from odoo import models, tools
from odoo.exceptions import AccessDenied

from ..services import redaction


class ResUsersApikeys(models.Model):
    _inherit = "res.users.apikeys"

    @tools.ormcache("scope", "key")
    def _mcp_check_credentials(self, scope, key):
        """The user id of an API key, remembered per worker like ``res.users.check``.

        Verifying a key costs a PBKDF2 hash (milliseconds); MCP hosts send the
        key with every request. Unknown keys raise, so they are never cached,
        and removing any key clears the cache (see :meth:`unlink`).
        """
        uid = self._check_credentials(scope=scope, key=key)
        if not uid:
            raise AccessDenied()
        redaction.protect(key)  # a working key: never in a log line from now on
        return uid

    def unlink(self):
        result = super().unlink()
        # A revoked key must stop working at once, in every worker.
        self.clear_caches()
        return result
