from odoo.tests import TransactionCase, tagged

from odoo.addons.mcp_crew.models.functional_settings import get_setting
from odoo.addons.mcp_crew.services.functional_settings import SETTINGS


@tagged("post_install", "-at_install")
class TestSettingsPage(TransactionCase):
    def test_the_settings_page_stores_declared_settings_with_their_defaults(self):
        Settings = self.env["res.config.settings"]
        on_page = {
            field.config_parameter: name
            for name, field in Settings._fields.items()
            if (getattr(field, "config_parameter", None) or "").startswith("mcp_crew.")
        }
        declared = {setting.param for setting in SETTINGS.values()}
        self.assertLessEqual(set(on_page), declared)  # nothing on the page is undeclared
        self.assertGreaterEqual(len(on_page), 30)
        defaults = Settings.default_get(list(on_page.values()))
        for param, name in on_page.items():
            setting = SETTINGS[param.removeprefix("mcp_crew.")]
            self.assertEqual(defaults.get(name) or setting.type(), setting.default, name)

    def test_reads_are_typed_and_fall_back_to_the_default(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("mcp_crew.approval_ttl_minutes", "15")
        self.assertEqual(get_setting(self.env, "approval_ttl_minutes"), 15)
        params.set_param("mcp_crew.trigram_threshold", "not a number")
        self.assertEqual(get_setting(self.env, "trigram_threshold"), 0.4)
