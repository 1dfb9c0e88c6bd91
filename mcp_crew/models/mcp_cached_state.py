from odoo import api, models


class McpCachedStateMixin(models.AbstractModel):
    """Records the hot methods' cached state is built from (catalog, tool
    lookups, the router): creating or deleting one, or changing one of its
    ``_cached_state_fields`` (or its translation), drops that state
    (``mcp.server._invalidate_cached_state``)."""

    _name = "mcp.cached.state.mixin"
    _description = "Records cached state is built from"
    _cached_state_fields = frozenset()

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env["mcp.server"]._invalidate_cached_state()
        return records

    def write(self, vals):
        result = super().write(vals)
        if self._cached_state_fields & set(vals):
            self.env["mcp.server"]._invalidate_cached_state()
        return result

    def _update_field_translations(self, field_name, translations, digest=None):
        # The translation dialog updates the column in SQL, without write().
        result = super()._update_field_translations(field_name, translations, digest)
        if field_name in self._cached_state_fields:
            self.env["mcp.server"]._invalidate_cached_state()
        return result

    def unlink(self):
        result = super().unlink()
        self.env["mcp.server"]._invalidate_cached_state()
        return result
