"""Shipped records follow the module's releases unless an administrator edited them.

The default crews, agents and tasks are loaded ``noupdate`` so that an
administrator's edits survive upgrades; but then ``-u mcp_crew`` never brings
a release's better descriptions, routing keywords or task texts to databases
installed earlier. :func:`refresh_shipped_records` reloads such a file with
Odoo's own loader, writing the records no one edited
(``mcp.shipped.mixin._shipped_untouched``) and logging the others.

Why the loader runs in ``init`` mode, one record at a time: in ``update`` mode
(what ``-u`` does) ``xml_import._tag_record`` skips every existing record of a
section declared ``noupdate="1"`` before looking at its ``ir.model.data`` row,
so flipping the rows' ``noupdate`` flags changes nothing; in ``init`` mode
``_load_records`` writes every existing record of the file, whatever its flag.
Every record goes through the loader with ``REFRESH_CONTEXT``, and
``mcp.shipped.mixin._load_records_write`` writes what changed of the untouched
ones and logs what differs of the edited ones (``KEEP_CONTEXT``). Each
record loads in its own savepoint: one that no longer fits (e.g. its agent was
moved to another crew) is logged and kept, the upgrade goes on.

Deleted records are left to Odoo: ``-u`` recreates a deleted ``noupdate``
record unless the file says ``forcecreate="0"`` (the default is to recreate),
before the post-migration scripts run; this function only rewrites existing
records.
"""

import copy
import logging

from lxml import etree

from odoo import SUPERUSER_ID, api
from odoo.modules.module import get_resource_path
from odoo.tools.convert import nodeattr2bool, xml_import

from .models.mcp_shipped import KEEP_CONTEXT, REFRESH_CONTEXT

_logger = logging.getLogger(__name__)


def refresh_shipped_records(env, module, filename):
    """Rewrite the untouched ``noupdate`` records of ``module``'s data file
    ``filename`` (e.g. ``data/mcp_crew_data.xml``) with its values, their
    translations voided for the module's ``.po`` terms, which Odoo loads after
    the post-migration scripts; keep the edited ones,
    one INFO line each. Only records of models inheriting ``mcp.shipped.mixin``
    are considered. Returns ``(refreshed, kept)``, lists of xmlids."""
    # As module data loading: the refreshed records stay untouched (write_uid 1).
    env = api.Environment(env.cr, SUPERUSER_ID, {})
    shipped = env.registry["mcp.shipped.mixin"]
    root = etree.parse(get_resource_path(module, *filename.split("/"))).getroot()
    # Who edited what is decided before anything is written.
    todo = []
    for node in _noupdate_records(root):
        rec_id = node.get("id")
        xmlid = rec_id if "." in rec_id else "%s.%s" % (module, rec_id)
        record = env.ref(xmlid, raise_if_not_found=False)
        if isinstance(record, shipped):
            todo.append((xmlid, record, node, bool(record._shipped_untouched())))
    refreshed, kept, translated = [], [], []
    for xmlid, record, node, untouched in todo:
        node = copy.deepcopy(node)
        flags = "%s=%r, %s=%r" % (REFRESH_CONTEXT, xmlid, KEEP_CONTEXT, not untouched)
        node.set("context", "dict(%s, %s)" % (node.get("context") or "{}", flags))
        wrapper = etree.Element("odoo", noupdate="1")
        wrapper.append(node)
        try:
            with env.cr.savepoint():
                xml_import(env.cr, module, {}, "init", xml_filename=filename).parse(wrapper)
        except Exception:  # noqa: BLE001 - one record that no longer loads must not stop the upgrade
            _logger.warning("%s: could not be refreshed, kept as it is", xmlid, exc_info=True)
            kept.append(xmlid)
            continue
        if not untouched:
            kept.append(xmlid)
            continue
        refreshed.append(xmlid)
        translated += [
            (record, field.get("name"))
            for field in node.iterfind("field")
            if getattr(record._fields.get(field.get("name")), "translate", None) is True
        ]
    _void_translations(env, translated)
    _logger.info(
        "%s: %d shipped records of %s refreshed, %d edited ones kept",
        module,
        len(refreshed),
        filename,
        len(kept),
    )
    return refreshed, kept


def _noupdate_records(element, noupdate=False):
    """The ``<record>`` nodes of the file's ``noupdate`` sections, in order (the
    others are Odoo's to update)."""
    noupdate = nodeattr2bool(element, "noupdate", noupdate)
    for child in element:
        if child.tag in xml_import.DATA_ROOTS:
            yield from _noupdate_records(child, noupdate)
        elif child.tag == "record" and noupdate and child.get("id"):
            yield child


def _void_translations(env, translated):
    """Void the refreshed fields' translations, so that they become the module's
    ``.po`` terms, as on a fresh install: Odoo loads the terms right after the
    post-migration scripts, filling only what is missing (falling back to
    English where the ``.po`` has no term for the new text). Translations
    imported for these records (not through the dialog, which counts as an
    edit) are replaced too."""
    langs = [code for code, _name in env["res.lang"].get_installed() if code != "en_US"]
    for record, name in translated if langs else ():
        record.update_field_translations(name, dict.fromkeys(langs, False))
