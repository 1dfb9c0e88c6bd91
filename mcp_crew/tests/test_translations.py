"""Brazilian Portuguese is complete: each addon's i18n/<addon>.pot holds exactly the
strings Odoo's exporter finds in it, its pt_BR.po translates every one, and the
translations reach users through the running code once pt_BR is loaded as Odoo loads
a language."""

from odoo.exceptions import UserError
from odoo.modules.module import get_module_resource
from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import PoFileReader, TranslationModuleReader


@tagged("post_install", "-at_install", "mcp_crew")
class TestTranslations(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # mcp_crew and the glue addons installed with it (auto_install when their
        # Odoo dependencies are there): each ships its own i18n folder.
        modules = cls.env["ir.module.module"].search(
            [("name", "=like", "mcp_crew%"), ("state", "=", "installed")]
        )
        cls.addons = sorted(modules.mapped("name"))

    def po_strings(self, addon, filename, translated_only=False):
        path = get_module_resource(addon, "i18n", filename)
        self.assertTrue(path, "%s has no i18n/%s" % (addon, filename))
        return {row["src"] for row in PoFileReader(path) if row["value"] or not translated_only}

    def test_templates_hold_what_odoo_exports(self):
        # A string added to the code but not to the .pot never reaches translators.
        stale = {}
        for addon in self.addons:
            exported = {row[4] for row in TranslationModuleReader(self.env.cr, modules=[addon])}
            template = self.po_strings(addon, addon + ".pot")
            if exported != template:
                stale[addon] = {
                    "not in the template": sorted(exported - template),
                    "no longer exported": sorted(template - exported),
                }
        self.assertIn("mcp_crew", self.addons)
        self.assertEqual(
            stale,
            {},
            "run `make i18n` (re-exports the templates, merges pt_BR.po), then translate"
            " the msgstr it leaves empty in pt_BR.po",
        )

    def test_pt_br_translates_every_string_of_the_templates(self):
        # PoFileReader merges the .pot into pt_BR.po, as Odoo does when it loads
        # the file: a string the .po lacks comes back with an empty value.
        untranslated = {}
        for addon in self.addons:
            template = self.po_strings(addon, addon + ".pot")
            translated = self.po_strings(addon, "pt_BR.po", translated_only=True)
            if template - translated:
                untranslated[addon] = sorted(template - translated)
        self.assertEqual(
            untranslated,
            {},
            "translate these in <addon>/i18n/pt_BR.po (`make i18n` gives each an empty msgstr)",
        )

    def test_translations_reach_the_user(self):
        # What installing pt_BR does (base.language.install), for mcp_crew only.
        self.env["res.lang"]._activate_lang("pt_BR")
        self.env["ir.module.module"]._load_module_terms(["mcp_crew"], ["pt_BR"])
        # Cached field labels of pt_BR must not outlive this test's rollback.
        self.addCleanup(self.registry.clear_caches)
        env = self.env(context=dict(self.env.context, lang="pt_BR"))
        field = env["mcp.server"].fields_get(["start_timeout"], ["string"])["start_timeout"]
        self.assertEqual(field["string"], "Tempo limite de inicialização (s)")
        self.assertEqual(env.ref("mcp_crew.crew_general").name, "Assistente geral")
        with self.assertRaises(UserError) as raised:
            env["mcp.register.odoo"].create({}).action_register()
        self.assertEqual(raised.exception.args[0], "Informe uma chave de API.")
