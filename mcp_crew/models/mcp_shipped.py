"""Records the module ships in ``noupdate`` data files (the default crews, their
agents and tasks): which of them someone edited, so that an upgrade refreshes
only the others (``mcp_crew/upgrade.py``)."""

import logging

from odoo import SUPERUSER_ID, models

_logger = logging.getLogger(__name__)

# Context keys upgrade.refresh_shipped_records sets on the data-file records it
# reloads: the record's xmlid, and whether it is kept (edited: its values are
# evaluated by the loader, compared and logged, not written).
REFRESH_CONTEXT = "mcp_crew_shipped_refresh"
KEEP_CONTEXT = "mcp_crew_shipped_keep"


class McpShippedMixin(models.AbstractModel):
    _name = "mcp.shipped.mixin"
    _description = "Records shipped in noupdate data files"

    def _shipped_untouched(self):
        """The records no one edited since the module's data loaded them:
        last written by the superuser.

        Data loading writes as uid 1 (``__system__``, who cannot sign in;
        ``admin`` is uid 2), and a write through the UI or RPC stamps
        ``write_uid`` with the writing user (``sudo()`` keeps the uid). The two
        ways around that stamp are closed below: the translation dialog
        (:meth:`_update_field_translations`) and the flush of stored computes
        (:meth:`_write`). Nothing else in the addon writes these records (no
        counters, no other stored computes). Translations edited in the dialog
        before this release left no trace: they count as untouched.
        """
        return self.filtered(lambda record: record.write_uid.id == SUPERUSER_ID)

    def _write(self, vals):
        # Agents and tasks store their crew's company (a related field). When a
        # crew changes company, Odoo flushes the recomputed value without
        # write_uid and then stamps whoever flushes: any environment of the
        # transaction, the superuser's included, so an agent an administrator
        # edited could look untouched and lose the edit at the next upgrade.
        # Flushed alone, a compute leaves write_uid and write_date as they were
        # (Odoo skips falsy log-access values); a write() always carries them.
        if self._log_access and "write_uid" not in vals:
            vals = dict(vals)
            vals.setdefault("write_uid", False)
            vals.setdefault("write_date", False)
        return super()._write(vals)

    def _update_field_translations(self, field_name, translations, digest=None):
        result = super()._update_field_translations(field_name, translations, digest)
        # Odoo updates the jsonb column in SQL, leaving write_uid as it was: an
        # administrator's translation would look untouched and be refreshed away.
        self.write({})
        return result

    def _shipped_changes(self, values):
        """The loader's ``values`` that differ from the record's (English)."""
        self.ensure_one()
        return {
            name: value
            for name, value in values.items()
            if name in self._fields
            and self._fields[name].convert_to_cache(value, self, validate=False)
            != self._fields[name].convert_to_cache(self[name], self, validate=False)
        }

    def _load_records_write(self, values):
        xmlid = self.env.context.get(REFRESH_CONTEXT)
        if not xmlid:
            return super()._load_records_write(values)
        changes = self._shipped_changes(values)
        if not self.env.context.get(KEEP_CONTEXT):
            # Only what changed: the rest keeps its write_date, and the router's
            # cache is dropped only when a routing field moved.
            if changes:
                super()._load_records_write(changes)
            return None
        # Edited: one line naming what the administrator's values keep from the
        # integrator, who compares them with this release's.
        _logger.info(
            "%s: edited by %s (uid %s), kept; fields differing from this release's: %s",
            xmlid,
            self.write_uid.login,
            self.write_uid.id,
            ", ".join(sorted(changes)) or "none",
        )
        return None
