#!/usr/bin/env python3
"""Static checks for an Odoo 16 addon that need no Odoo installation.

Usage::

    python tools/check_addon.py mcp_crew [--allow-model res.partner ...]

Exits 1 and prints one ``path:line: message`` per problem, or exits 0 with a
one-line summary.  Every check is also a function returning a list of problem
strings, so tests can call them on fixture addons.

Checks:

- the manifest exists, is a literal dict and has the keys name, version
  (``16.0.x.y.z``), license, depends, data and installable;
- every ``*.xml`` file in the addon is well-formed;
- every data/demo file and every asset path/glob of the addon named in the
  manifest exists;
- every XML/CSV file under data/, views/, security/, report/ and wizard/ is
  listed in the manifest's ``data`` or ``demo``;
- every model named by ``security/ir.model.access.csv``, by a view's
  ``model`` field, by an action's ``res_model``, or by a ``model_id`` /
  ``binding_model_id`` ref (``ir.rule``, ``ir.cron``, ``ir.actions.server``...)
  is defined (``_name``) or extended (``_inherit``) by the addon's Python code,
  or is explicitly allowed.  Refs with another module's prefix
  (``base.model_res_partner``) are accepted as is.

Python models are collected with :mod:`ast` from every ``.py`` file of the
addon except those under ``services/`` and ``tests/``.
"""

import argparse
import ast
import csv
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET
from xml.parsers import expat

REQUIRED_MANIFEST_KEYS = ("name", "version", "license", "depends", "data", "installable")
VERSION_RE = re.compile(r"^16\.0\.\d+\.\d+\.\d+$")
DATA_DIRS = ("data", "views", "security", "report", "wizard")
DATA_EXTENSIONS = (".xml", ".csv")
PYTHON_EXCLUDED_DIRS = ("services", "tests")
SKIPPED_DIRS = {"__pycache__", "node_modules", ".git", ".venv"}
ASSET_DIRECTIVES = {"append", "prepend", "after", "before", "remove", "replace", "include"}
MODEL_REF_FIELDS = ("model_id", "binding_model_id")


# ---------------------------------------------------------------------------
# helpers


def _addon_name(addon_path):
    return os.path.basename(os.path.normpath(os.path.abspath(addon_path)))


def _rel(addon_path, path):
    """Path as shown in messages: relative to the addons dir (``mcp_crew/...``)."""
    addons_dir = os.path.dirname(os.path.normpath(os.path.abspath(addon_path)))
    return os.path.relpath(os.path.abspath(path), addons_dir)


def _walk_files(addon_path, extensions, exclude_top=()):
    """Sorted files under ``addon_path`` ending with one of ``extensions``."""
    found = []
    root_abs = os.path.abspath(addon_path)
    for root, dirs, files in os.walk(root_abs):
        rel_root = os.path.relpath(root, root_abs)
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in SKIPPED_DIRS
            and not d.startswith(".")
            and not (rel_root == "." and d in exclude_top)
        )
        for name in sorted(files):
            if name.endswith(extensions):
                found.append(os.path.join(root, name))
    return found


def parse_xml(path):
    """Parse ``path`` with expat; return ``(root, lines)``.

    ``lines`` maps each element to its start line (ElementTree keeps none).
    Raises :class:`xml.parsers.expat.ExpatError` on malformed XML.
    """
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate()
    parser.buffer_text = True
    lines = {}

    def start(tag, attrs):
        lines[builder.start(tag, attrs)] = parser.CurrentLineNumber

    parser.StartElementHandler = start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    with open(path, "rb") as handle:
        parser.ParseFile(handle)
    return builder.close(), lines


# ---------------------------------------------------------------------------
# manifest


def load_manifest(addon_path):
    """Return ``(manifest, string_lines, problems)``.

    ``manifest`` is the literal dict (``None`` when unusable); ``string_lines``
    maps each string literal of the manifest to its first line number.
    """
    path = os.path.join(addon_path, "__manifest__.py")
    rel = _rel(addon_path, path)
    if not os.path.isfile(path):
        return None, {}, [f"{rel}:1: manifest file is missing"]
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as err:
        return None, {}, [f"{rel}:{err.lineno or 1}: manifest is not valid Python: {err.msg}"]
    dict_nodes = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Dict)
    ]
    if len(tree.body) != 1 or len(dict_nodes) != 1:
        return None, {}, [f"{rel}:1: manifest must contain exactly one dict literal"]
    try:
        manifest = ast.literal_eval(dict_nodes[0])
    except ValueError:
        literal = (ast.Dict, ast.List, ast.Tuple, ast.Set, ast.Constant, ast.UnaryOp)
        bad = next(
            node
            for node in ast.walk(dict_nodes[0])
            if isinstance(node, ast.expr) and not isinstance(node, literal)
        )
        return (
            None,
            {},
            [
                f"{rel}:{bad.lineno}: manifest is not a literal dict "
                f"(found a {type(bad).__name__} expression)"
            ],
        )
    string_lines = {}
    for node in ast.walk(dict_nodes[0]):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            line = string_lines.get(node.value)
            if line is None or node.lineno < line:
                string_lines[node.value] = node.lineno
    return manifest, string_lines, []


def check_manifest(addon_path):
    """Required keys and a ``16.0.x.y.z`` version."""
    manifest, lines, problems = load_manifest(addon_path)
    if manifest is None:
        return problems
    rel = _rel(addon_path, os.path.join(addon_path, "__manifest__.py"))
    for key in REQUIRED_MANIFEST_KEYS:
        if key not in manifest:
            problems.append(f"{rel}:1: manifest key '{key}' is missing")
    version = manifest.get("version")
    if "version" in manifest and not (isinstance(version, str) and VERSION_RE.match(version)):
        line = lines.get(version, lines.get("version", 1)) if isinstance(version, str) else 1
        problems.append(f"{rel}:{line}: manifest version {version!r} does not match 16.0.x.y.z")
    for key in ("depends", "data", "demo"):
        if key in manifest and not isinstance(manifest[key], list):
            problems.append(f"{rel}:{lines.get(key, 1)}: manifest key '{key}' must be a list")
    if "assets" in manifest and not isinstance(manifest["assets"], dict):
        problems.append(f"{rel}:{lines.get('assets', 1)}: manifest key 'assets' must be a dict")
    return problems


def _manifest_file_list(manifest, key):
    value = manifest.get(key) or []
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str)]


def _asset_paths(bundle_items):
    """Yield the file path (glob) of each asset entry; ``include`` names a bundle."""
    for item in bundle_items:
        if isinstance(item, str):
            yield item
        elif isinstance(item, (list, tuple)) and item:
            directive = item[0]
            if directive == "include" or directive not in ASSET_DIRECTIVES:
                continue
            if len(item) >= 2 and isinstance(item[-1], str):
                yield item[-1]


def check_manifest_files(addon_path):
    """Every ``data``/``demo`` file and every asset of this addon exists."""
    manifest, lines, _unusable = load_manifest(addon_path)
    if manifest is None:
        return []  # check_manifest reports why
    problems = []
    rel_manifest = _rel(addon_path, os.path.join(addon_path, "__manifest__.py"))
    for key in ("data", "demo"):
        for entry in _manifest_file_list(manifest, key):
            if not os.path.isfile(os.path.join(addon_path, entry)):
                problems.append(
                    f"{rel_manifest}:{lines.get(entry, 1)}: '{key}' file '{entry}' does not exist"
                )
    assets = manifest.get("assets") or {}
    if not isinstance(assets, dict):
        return problems
    addon = _addon_name(addon_path)
    addons_dir = os.path.dirname(os.path.normpath(os.path.abspath(addon_path)))
    for bundle, items in assets.items():
        if not isinstance(items, list):
            problems.append(
                f"{rel_manifest}:{lines.get(bundle, 1)}: asset bundle '{bundle}' must be a list"
            )
            continue
        for path_def in _asset_paths(items):
            if re.match(r"^[a-z]+://", path_def):
                continue  # external URL
            parts = [part for part in path_def.split("/") if part]
            if not parts or parts[0] != addon:
                continue  # another addon's file: not ours to check
            matches = glob.glob(os.path.join(addons_dir, *parts), recursive=True)
            if not any(os.path.isfile(match) for match in matches):
                problems.append(
                    f"{rel_manifest}:{lines.get(path_def, 1)}: asset '{path_def}' in bundle "
                    f"'{bundle}' matches no file"
                )
    return problems


def check_unlisted_data_files(addon_path):
    """XML/CSV files under the data directories must be loaded by the manifest."""
    manifest, _lines, _unusable = load_manifest(addon_path)
    if manifest is None:
        return []  # check_manifest reports why
    problems = []
    listed = {
        os.path.normpath(entry)
        for key in ("data", "demo")
        for entry in _manifest_file_list(manifest, key)
    }
    for directory in DATA_DIRS:
        base = os.path.join(addon_path, directory)
        if not os.path.isdir(base):
            continue
        for path in _walk_files(base, DATA_EXTENSIONS):
            relative = os.path.normpath(os.path.relpath(path, addon_path))
            if relative not in listed:
                problems.append(
                    f"{_rel(addon_path, path)}:1: file is not listed in the manifest's "
                    f"'data' or 'demo' (it would never be loaded)"
                )
    return problems


# ---------------------------------------------------------------------------
# XML


def check_xml_wellformed(addon_path):
    """Every ``*.xml`` file of the addon parses."""
    problems = []
    for path in _walk_files(addon_path, (".xml",)):
        try:
            parse_xml(path)
        except expat.ExpatError as err:
            problems.append(
                f"{_rel(addon_path, path)}:{err.lineno}: XML is not well-formed: "
                f"{expat.ErrorString(err.code)} (column {err.offset + 1})"
            )
    return problems


# ---------------------------------------------------------------------------
# models


def _string_values(node):
    """Strings of a ``"x"`` / ``["x", "y"]`` / ``("x",)`` literal, else []."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [
            elt.value
            for elt in node.elts
            if isinstance(elt, ast.Constant) and isinstance(elt.value, str)
        ]
    return []


def collect_models(addon_path):
    """Return ``(defined, inherited)`` model-name sets from the addon's Python.

    ``defined`` are ``_name`` values; ``inherited`` are ``_inherit`` values
    (a class with only ``_inherit = "x"`` extends model ``x``).
    """
    defined, inherited = set(), set()
    for path in _walk_files(addon_path, (".py",), exclude_top=PYTHON_EXCLUDED_DIRS):
        with open(path, encoding="utf-8") as handle:
            try:
                tree = ast.parse(handle.read(), filename=path)
            except SyntaxError:
                continue  # pylint / ruff report those
        for cls in ast.walk(tree):
            if not isinstance(cls, ast.ClassDef):
                continue
            for stmt in cls.body:
                if isinstance(stmt, ast.Assign):
                    targets = [t.id for t in stmt.targets if isinstance(t, ast.Name)]
                    value = stmt.value
                elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    targets, value = [stmt.target.id], stmt.value
                else:
                    continue
                if value is None:
                    continue
                if "_name" in targets:
                    defined.update(_string_values(value))
                if "_inherit" in targets:
                    inherited.update(_string_values(value))
    return defined, inherited


def known_models(addon_path, allowed_models=()):
    defined, inherited = collect_models(addon_path)
    return defined | inherited | set(allowed_models)


def _model_from_xmlid(xmlid, addon, models):
    """Resolve an ir.model xmlid; return ``(ok, message_or_None)``."""
    xmlid = xmlid.strip()
    module, _dot, name = xmlid.rpartition(".")
    if module and module != addon:
        return True, None  # another module's model: its own problem
    if not name.startswith("model_"):
        return False, f"'{xmlid}' is not an ir.model xmlid (expected model_<name>)"
    if name[len("model_") :] in {model.replace(".", "_") for model in models}:
        return True, None
    return False, (
        f"'{xmlid}' names no model defined (_name) or inherited (_inherit) "
        f"in the addon's Python code"
    )


def check_access_csv(addon_path, allowed_models=()):
    """Models of ``security/ir.model.access.csv`` exist."""
    path = os.path.join(addon_path, "security", "ir.model.access.csv")
    if not os.path.isfile(path):
        return []
    rel = _rel(addon_path, path)
    addon = _addon_name(addon_path)
    models = known_models(addon_path, allowed_models)
    problems = []
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = reader.fieldnames or []
        column = next((c for c in ("model_id:id", "model_id/id") if c in fields), None)
        if column is None:
            return [f"{rel}:1: header has no 'model_id:id' column"]
        for row in reader:
            value = (row.get(column) or "").strip()
            if not value:
                problems.append(f"{rel}:{reader.line_num}: row has an empty {column}")
                continue
            ok, message = _model_from_xmlid(value, addon, models)
            if not ok:
                problems.append(f"{rel}:{reader.line_num}: access rule {message}")
    return problems


def _record_field(record, name):
    for field in record.findall("field"):
        if field.get("name") == name:
            return field
    return None


def check_xml_models(addon_path, allowed_models=()):
    """Views, window actions and model_id refs name existing models."""
    addon = _addon_name(addon_path)
    models = known_models(addon_path, allowed_models)
    problems = []
    for path in _walk_files(addon_path, (".xml",), exclude_top=("static",)):
        try:
            root, lines = parse_xml(path)
        except expat.ExpatError:
            continue  # reported by check_xml_wellformed
        rel = _rel(addon_path, path)
        for record in root.iter("record"):
            record_model = record.get("model")
            record_id = record.get("id", "?")
            checks = []
            if record_model == "ir.ui.view":
                checks.append(("view", "model"))
            elif record_model == "ir.actions.act_window":
                checks.append(("window action", "res_model"))
            for kind, field_name in checks:
                field = _record_field(record, field_name)
                if field is None or field.get("eval") or field.get("ref"):
                    continue
                model = (field.text or "").strip()
                if model and model not in models:
                    problems.append(
                        f"{rel}:{lines.get(field, 1)}: {kind} '{record_id}' is on model "
                        f"'{model}', which is neither defined (_name) nor inherited "
                        f"(_inherit) in the addon's Python code"
                    )
            for field_name in MODEL_REF_FIELDS:
                field = _record_field(record, field_name)
                if field is None or not field.get("ref"):
                    continue
                ok, message = _model_from_xmlid(field.get("ref"), addon, models)
                if not ok:
                    problems.append(
                        f"{rel}:{lines.get(field, 1)}: {record_model} '{record_id}' "
                        f"{field_name}: {message}"
                    )
    return problems


# ---------------------------------------------------------------------------
# entry points


def run_all_checks(addon_path, allowed_models=()):
    problems = []
    problems += check_manifest(addon_path)
    problems += check_xml_wellformed(addon_path)
    if os.path.isfile(os.path.join(addon_path, "__manifest__.py")):
        problems += check_manifest_files(addon_path)
        problems += check_unlisted_data_files(addon_path)
    problems += check_access_csv(addon_path, allowed_models)
    problems += check_xml_models(addon_path, allowed_models)
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("addon", help="path to the addon directory, e.g. mcp_crew")
    parser.add_argument(
        "--allow-model",
        action="append",
        default=[],
        metavar="MODEL",
        help="model from a dependency that XML may use without _inherit "
        "(repeatable, or comma-separated)",
    )
    args = parser.parse_args(argv)
    if not os.path.isdir(args.addon):
        print(f"{args.addon}: not a directory", file=sys.stderr)
        return 2
    allowed = {m.strip() for value in args.allow_model for m in value.split(",") if m.strip()}
    problems = run_all_checks(args.addon, allowed)
    for problem in problems:
        print(problem)
    name = _addon_name(args.addon)
    if problems:
        print(f"check_addon: {len(problems)} problem(s) in {name}", file=sys.stderr)
        return 1
    defined, inherited = collect_models(args.addon)
    n_xml = len(_walk_files(args.addon, (".xml",)))
    print(
        f"check_addon: {name} OK ({n_xml} XML files, {len(defined)} models defined, "
        f"{len(inherited)} inherited)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
