#!/usr/bin/env python3
"""Make a reduced Odoo 16 tree able to create a database.

The data files of the addons a reduced tree keeps -- like the slim 16.0
nightly these machines use for tests -- refer to things that only the addons
it left out provide:
- module categories such as `base.module_category_services_timesheets`, which
  Odoo creates from the manifests it finds (`odoo.modules.db.create_categories`);
- modules such as `base.module_payment_adyen` (a payment provider's `module_id`)
  and their files (`file="payment_adyen/static/description/icon.png"`).
Each failing reference stops the creation of a database.

This script writes into OUT_DIR one non-installable placeholder module per
missing category or module (with the referenced files); adding OUT_DIR to the
addons path lets Odoo find what the complete tree has. Placeholders are
`installable: False`, so they are never installed. On a complete tree (the
official nightly) nothing is missing and OUT_DIR stays empty.

    odoo_placeholders.py ODOO_ROOT OUT_DIR
"""
import ast
import re
import sys
from pathlib import Path

CATEGORY_REFERENCE = re.compile(r'ref="base\.module_category_([a-z0-9_]+)"')
CATEGORY_DECLARED = re.compile(r'id="module_category_([a-z0-9_]+)"')
MODULE_REFERENCE = re.compile(r'name="module_id" ref="base\.module_([a-z0-9_]+)"')
MODULE_DECLARED = re.compile(r'id="base\.module_([a-z0-9_]+)"')
FILE_REFERENCE = re.compile(r'file="([a-z0-9_]+)/([^"]+)"')
CATEGORY_PREFIX = "category_placeholder_"


def category_ids(path):
    """The xml ids (without prefix) Odoo creates for a manifest category path."""
    parts, ids = [], []
    for name in path.split("/"):
        parts.append(name)
        ids.append("_".join(p.lower() for p in parts).replace("&", "and").replace(" ", "_"))
    return ids


def addon_dirs(odoo_root):
    for addons in (odoo_root / "odoo" / "addons", odoo_root / "addons"):
        if addons.is_dir():
            yield from (d for d in addons.iterdir() if (d / "__manifest__.py").is_file())


def existing_categories(odoo_root):
    known = set()
    for addon in addon_dirs(odoo_root):
        manifest = ast.literal_eval((addon / "__manifest__.py").read_text(encoding="utf-8"))
        known.update(category_ids(manifest.get("category", "Uncategorized")))
    base_data = odoo_root / "odoo" / "addons" / "base" / "data" / "ir_module_category_data.xml"
    known.update(CATEGORY_DECLARED.findall(base_data.read_text(encoding="utf-8")))
    return known


def data_files(odoo_root):
    for addon in addon_dirs(odoo_root):
        for data in addon.rglob("*.xml"):
            yield data.read_text(encoding="utf-8", errors="replace")


def category_path(missing, known):
    """A manifest category path whose last xml id is `missing`, under the
    longest known parent (names only matter for categories created anew)."""
    parent = max((k for k in known if missing.startswith(k + "_")), key=len, default="")
    rest = missing[len(parent) + 1:] if parent else missing
    names = [parent.replace("_", " ").title()] if parent else []
    names.append(rest.replace("_", " ").title())
    path = "/".join(names)
    assert category_ids(path)[-1] == missing, (path, missing)
    return path


def write_placeholder(out_dir, name, category, files=()):
    module = out_dir / name
    module.mkdir(exist_ok=True)
    (module / "__init__.py").write_text("", encoding="utf-8")
    manifest = {
        "name": "Placeholder for %s, absent from this Odoo tree" % name,
        "category": category,
        "license": "LGPL-3",
        "installable": False,
    }
    (module / "__manifest__.py").write_text(repr(manifest) + "\n", encoding="utf-8")
    for relative, content in files:
        target = module / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def main(odoo_root, out_dir):
    odoo_root, out_dir = Path(odoo_root), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    present = {addon.name for addon in addon_dirs(odoo_root)}
    known_categories = existing_categories(odoo_root)
    categories, modules, files = set(), set(), {}
    for text in data_files(odoo_root):
        categories.update(CATEGORY_REFERENCE.findall(text))
        modules.update(MODULE_REFERENCE.findall(text))
        for module, relative in FILE_REFERENCE.findall(text):
            files.setdefault(module, set()).add(relative)
    base = odoo_root / "odoo" / "addons" / "base"
    module_data = (base / "data" / "ir_module_module.xml").read_text(encoding="utf-8")
    declared = set(MODULE_DECLARED.findall(module_data))
    missing_modules = sorted((modules | set(files)) - present - declared)
    missing_categories = sorted(categories - known_categories)
    icon = (base / "static" / "description" / "icon.png").read_bytes()
    for category in missing_categories:
        path = category_path(category, known_categories)
        write_placeholder(out_dir, CATEGORY_PREFIX + category, path)
    for module in missing_modules:
        relatives = sorted(files.get(module, ()))
        contents = [(rel, icon if rel.endswith(".png") else b"") for rel in relatives]
        write_placeholder(out_dir, module, "Hidden", contents)
    print("Odoo placeholders in %s: %d categories, %d modules"
          % (out_dir, len(missing_categories), len(missing_modules)))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
