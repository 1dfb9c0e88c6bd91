"""Tests for tools/check_addon.py: the real addon passes, broken fixtures fail."""

import importlib.util
import pathlib
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
ADDON = ROOT / "mcp_crew"

_spec = importlib.util.spec_from_file_location("check_addon", ROOT / "tools" / "check_addon.py")
check_addon = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_addon)


# ---------------------------------------------------------------------------
# fixture addon

MANIFEST = """\
{
    "name": "Fixture Addon",
    "version": "16.0.1.0.0",
    "author": "mcp_crew",
    "license": "LGPL-3",
    "depends": ["base", "web"],
    "data": [
        "security/ir.model.access.csv",
        "security/rules.xml",
        "views/thing_views.xml",
        "views/partner_views.xml",
    ],
    "demo": ["demo/thing_demo.xml"],
    "assets": {
        "web.assets_backend": [
            "fix_addon/static/src/**/*.js",
            ("include", "web._assets_helpers"),
            ("after", "web/static/src/x.js", "fix_addon/static/src/xml/thing.xml"),
            "web/static/src/not_ours.js",
        ],
    },
    "installable": True,
}
"""

MODELS = """\
from odoo import fields, models


class Thing(models.Model):
    _name = "fix.thing"
    _description = "Thing"

    name = fields.Char()


class ThingLine(models.Model):
    _name = "fix.thing.line"
    _inherit = ["mail.thread"]
    _description = "Thing line"


class ResPartner(models.Model):
    _inherit = "res.partner"
"""

ACL = """\
id,name,model_id:id,group_id:id,perm_read,perm_write,perm_create,perm_unlink
access_fix_thing,fix.thing,model_fix_thing,base.group_user,1,1,1,1
access_fix_thing_line,fix.thing.line,fix_addon.model_fix_thing_line,base.group_user,1,0,0,0
access_partner,res.partner,base.model_res_partner,base.group_user,1,0,0,0
"""

RULES = """\
<?xml version="1.0" encoding="utf-8"?>
<odoo>
    <record id="rule_fix_thing" model="ir.rule">
        <field name="name">Thing: own company</field>
        <field name="model_id" ref="model_fix_thing"/>
        <field name="domain_force">[(1, '=', 1)]</field>
    </record>
</odoo>
"""

VIEWS = """\
<?xml version="1.0" encoding="utf-8"?>
<odoo>
    <record id="fix_thing_view_form" model="ir.ui.view">
        <field name="name">fix.thing.form</field>
        <field name="model">fix.thing</field>
        <field name="arch" type="xml">
            <form><field name="name"/></form>
        </field>
    </record>
    <record id="fix_thing_action" model="ir.actions.act_window">
        <field name="name">Things</field>
        <field name="res_model">fix.thing</field>
        <field name="view_mode">tree,form</field>
    </record>
    <record id="fix_thing_server_action" model="ir.actions.server">
        <field name="name">Do it</field>
        <field name="model_id" ref="fix_addon.model_fix_thing_line"/>
        <field name="binding_model_id" ref="base.model_res_users"/>
        <field name="state">code</field>
        <field name="code">records.write({})</field>
    </record>
</odoo>
"""

PARTNER_VIEWS = """\
<?xml version="1.0" encoding="utf-8"?>
<odoo>
    <record id="view_partner_form" model="ir.ui.view">
        <field name="name">res.partner.form.fix</field>
        <field name="model">res.partner</field>
        <field name="inherit_id" ref="base.view_partner_form"/>
        <field name="arch" type="xml">
            <field name="name" position="after"/>
        </field>
    </record>
</odoo>
"""

DEMO = """\
<?xml version="1.0" encoding="utf-8"?>
<odoo>
    <record id="demo_thing" model="fix.thing"><field name="name">Demo</field></record>
</odoo>
"""

QWEB = """\
<?xml version="1.0" encoding="UTF-8"?>
<templates xml:space="preserve">
    <t t-name="fix_addon.Thing" owl="1"><div t-esc="props.name"/></t>
</templates>
"""


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.fixture
def addon(tmp_path):
    """A small, valid addon at ``tmp_path/fix_addon``; tests then break it."""
    root = tmp_path / "fix_addon"
    write(root / "__manifest__.py", MANIFEST)
    write(root / "__init__.py", "from . import models\n")
    write(root / "models" / "__init__.py", "from . import thing\n")
    write(root / "models" / "thing.py", MODELS)
    # models only in the engine or tests must not count
    write(root / "services" / "fake.py", 'class Fake:\n    _name = "fix.service_only"\n')
    write(root / "tests" / "test_x.py", 'class T:\n    _name = "fix.test_only"\n')
    write(root / "security" / "ir.model.access.csv", ACL)
    write(root / "security" / "rules.xml", RULES)
    write(root / "views" / "thing_views.xml", VIEWS)
    write(root / "views" / "partner_views.xml", PARTNER_VIEWS)
    write(root / "demo" / "thing_demo.xml", DEMO)
    write(root / "static" / "src" / "js" / "thing.js", "/** @odoo-module **/\n")
    write(root / "static" / "src" / "xml" / "thing.xml", QWEB)
    return root


def only(problems, needle):
    """The problems mentioning ``needle``; fails unless there is at least one."""
    hits = [p for p in problems if needle in p]
    assert hits, f"no problem mentions {needle!r}; got {problems!r}"
    return hits


# ---------------------------------------------------------------------------
# the real addon


def test_real_addon_passes_all_checks():
    assert ADDON.is_dir()
    assert check_addon.run_all_checks(str(ADDON)) == []


def test_cli_on_real_addon_exits_zero(capsys):
    assert check_addon.main([str(ADDON)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "OK" in out[0]


# ---------------------------------------------------------------------------
# the fixture is clean, so each failure below is caused by its breakage


def test_fixture_addon_is_clean(addon):
    assert check_addon.run_all_checks(str(addon)) == []
    defined, inherited = check_addon.collect_models(str(addon))
    assert defined == {"fix.thing", "fix.thing.line"}
    assert inherited == {"mail.thread", "res.partner"}


def test_cli_reports_and_exits_one(addon, capsys):
    (addon / "views" / "thing_views.xml").write_text("<odoo><record></odoo>\n")
    assert check_addon.main([str(addon)]) == 1
    out = capsys.readouterr().out
    assert "fix_addon/views/thing_views.xml:1: XML is not well-formed" in out


# ---------------------------------------------------------------------------
# broken fixtures


def test_bad_xml_is_reported_with_line(addon):
    broken = VIEWS.replace('<form><field name="name"/></form>', '<form><field name="name"></form>')
    write(addon / "views" / "thing_views.xml", broken)
    problems = check_addon.check_xml_wellformed(str(addon))
    assert len(problems) == 1
    assert problems[0].startswith(
        "fix_addon/views/thing_views.xml:7: XML is not well-formed: mismatched tag (column "
    )


def test_bad_xml_outside_data_dirs_is_reported(addon):
    write(addon / "static" / "src" / "xml" / "thing.xml", "<templates><t>\n")
    problems = check_addon.check_xml_wellformed(str(addon))
    only(problems, "fix_addon/static/src/xml/thing.xml:")
    assert len(problems) == 1


def test_missing_data_file(addon):
    (addon / "security" / "rules.xml").unlink()
    problems = check_addon.check_manifest_files(str(addon))
    assert problems == [
        "fix_addon/__manifest__.py:9: 'data' file 'security/rules.xml' does not exist"
    ]


def test_missing_demo_file(addon):
    (addon / "demo" / "thing_demo.xml").unlink()
    problems = check_addon.check_manifest_files(str(addon))
    assert problems == [
        "fix_addon/__manifest__.py:13: 'demo' file 'demo/thing_demo.xml' does not exist"
    ]


def test_asset_glob_matching_nothing(addon):
    (addon / "static" / "src" / "js" / "thing.js").unlink()
    problems = check_addon.check_manifest_files(str(addon))
    hits = only(problems, "asset 'fix_addon/static/src/**/*.js'")
    assert hits[0].startswith("fix_addon/__manifest__.py:16:")
    assert len(problems) == 1  # other addons' paths and includes are not checked


def test_asset_with_directive_missing(addon):
    (addon / "static" / "src" / "xml" / "thing.xml").unlink()
    problems = check_addon.check_manifest_files(str(addon))
    assert len(only(problems, "asset 'fix_addon/static/src/xml/thing.xml'")) == 1


def test_unlisted_data_file(addon):
    write(addon / "views" / "forgotten_views.xml", "<odoo/>\n")
    write(addon / "data" / "sub" / "cron.xml", "<odoo/>\n")
    write(addon / "wizard" / "wizard.py", "")  # python files are not data files
    problems = check_addon.check_unlisted_data_files(str(addon))
    assert sorted(problems) == [
        "fix_addon/data/sub/cron.xml:1: file is not listed in the manifest's 'data' or 'demo'"
        " (it would never be loaded)",
        "fix_addon/views/forgotten_views.xml:1: file is not listed in the manifest's 'data' or"
        " 'demo' (it would never be loaded)",
    ]


def test_acl_naming_unknown_model(addon):
    acl = ACL + "access_ghost,ghost,model_fix_ghost,base.group_user,1,0,0,0\n"
    acl += "access_svc,svc,model_fix_service_only,base.group_user,1,0,0,0\n"
    write(addon / "security" / "ir.model.access.csv", acl)
    problems = check_addon.check_access_csv(str(addon))
    assert len(problems) == 2
    assert problems[0].startswith("fix_addon/security/ir.model.access.csv:5: ")
    assert "'model_fix_ghost' names no model" in problems[0]
    # a _name found only under services/ does not make an Odoo model
    assert problems[1].startswith("fix_addon/security/ir.model.access.csv:6: ")
    assert "'model_fix_service_only'" in problems[1]


def test_acl_with_own_module_prefix_is_resolved(addon):
    acl = ACL + "access_ghost,ghost,fix_addon.model_fix_ghost,base.group_user,1,0,0,0\n"
    write(addon / "security" / "ir.model.access.csv", acl)
    assert len(only(check_addon.check_access_csv(str(addon)), "fix_addon.model_fix_ghost")) == 1


def test_acl_allow_list(addon):
    acl = ACL + "access_ghost,ghost,model_fix_ghost,base.group_user,1,0,0,0\n"
    write(addon / "security" / "ir.model.access.csv", acl)
    assert check_addon.check_access_csv(str(addon), allowed_models={"fix.ghost"}) == []


def test_view_on_unknown_model(addon):
    write(
        addon / "views" / "thing_views.xml",
        VIEWS.replace(
            '<field name="model">fix.thing</field>', '<field name="model">fix.ghost</field>'
        ),
    )
    problems = check_addon.check_xml_models(str(addon))
    assert len(problems) == 1
    assert problems[0].startswith("fix_addon/views/thing_views.xml:5: view 'fix_thing_view_form'")
    assert "'fix.ghost'" in problems[0]


def test_view_on_core_model_needs_inherit(addon):
    write(addon / "models" / "thing.py", MODELS.split("class ResPartner")[0])
    problems = check_addon.check_xml_models(str(addon))
    assert len(problems) == 1
    assert "view 'view_partner_form' is on model 'res.partner'" in problems[0]
    assert check_addon.check_xml_models(str(addon), allowed_models={"res.partner"}) == []


def test_action_on_unknown_model(addon):
    write(
        addon / "views" / "thing_views.xml",
        VIEWS.replace(
            '<field name="res_model">fix.thing</field>',
            '<field name="res_model">fix.ghost</field>',
        ),
    )
    problems = check_addon.check_xml_models(str(addon))
    assert len(problems) == 1
    assert problems[0].startswith("fix_addon/views/thing_views.xml:12: window action")
    assert "'fix.ghost'" in problems[0]


def test_rule_on_unknown_model(addon):
    write(addon / "security" / "rules.xml", RULES.replace("model_fix_thing", "model_fix_ghost"))
    problems = check_addon.check_xml_models(str(addon))
    assert len(problems) == 1
    assert problems[0].startswith("fix_addon/security/rules.xml:5: ir.rule 'rule_fix_thing'")
    assert "'model_fix_ghost' names no model" in problems[0]


def test_rule_model_ref_not_a_model_xmlid(addon):
    write(addon / "security" / "rules.xml", RULES.replace("model_fix_thing", "fix_thing_action"))
    problems = check_addon.check_xml_models(str(addon))
    assert len(only(problems, "is not an ir.model xmlid")) == 1


def test_bad_manifest_version(addon):
    manifest = addon / "__manifest__.py"
    manifest.write_text(manifest.read_text().replace("16.0.1.0.0", "1.0"))
    problems = check_addon.check_manifest(str(addon))
    assert problems == [
        "fix_addon/__manifest__.py:3: manifest version '1.0' does not match 16.0.x.y.z"
    ]


def test_wrong_series_manifest_version(addon):
    manifest = addon / "__manifest__.py"
    manifest.write_text(manifest.read_text().replace("16.0.1.0.0", "15.0.1.0.0"))
    assert len(only(check_addon.check_manifest(str(addon)), "'15.0.1.0.0' does not match")) == 1


def test_manifest_missing_keys(addon):
    manifest = addon / "__manifest__.py"
    text = manifest.read_text().replace('    "license": "LGPL-3",\n', "")
    manifest.write_text(text.replace('    "installable": True,\n', ""))
    problems = check_addon.check_manifest(str(addon))
    assert problems == [
        "fix_addon/__manifest__.py:1: manifest key 'license' is missing",
        "fix_addon/__manifest__.py:1: manifest key 'installable' is missing",
    ]


def test_manifest_not_literal(addon):
    (addon / "__manifest__.py").write_text('{"name": "x", "version": str(1)}\n')
    problems = check_addon.run_all_checks(str(addon))
    assert problems == [
        "fix_addon/__manifest__.py:1: manifest is not a literal dict (found a Call expression)"
    ]


def test_missing_manifest(addon):
    (addon / "__manifest__.py").unlink()
    problems = check_addon.run_all_checks(str(addon))
    assert "fix_addon/__manifest__.py:1: manifest file is missing" in problems
