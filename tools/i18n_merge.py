"""Write the templates Odoo exported into the addons and merge their .po files with them.

Usage: i18n_merge.py EXPORT_DIR REPO_ROOT ADDON...  (EXPORT_DIR/<addon>.pot from
`odoo-bin --i18n-export`; run by tools/i18n-export.sh, i.e. `make i18n`).

For each addon, <addon>/i18n/<addon>.pot becomes the export and each <addon>/i18n/*.po
(pt_BR.po at least) its entries, in the export's order, each with the translation the
file had for that msgid (exact matches only, as `msgmerge --no-fuzzy-matching`), else
an empty one; entries no longer exported are dropped. Files are written by polib, as
Odoo's exporter writes them, so their wrapping is Odoo's. Each file keeps its own header
(the export's dates change on every run and would make every file differ), and is
left untouched when nothing else changed.
"""

import sys
from pathlib import Path

import polib

# Every addon ships this one (TestTranslations checks it translates every string).
LANGUAGES = ("pt_BR",)
STATES = {True: "updated", False: "unchanged"}


def split_header(text):
    # polib writes the header entry, then a blank line, then the entries.
    header, _, body = text.partition("\n\n")
    return header, body


def write(path, text):
    """Write text with the header path already has, if any; True when the file changed."""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        text = split_header(old)[0] + "\n\n" + split_header(text)[1]
        if text == old:
            return False
    path.write_text(text, encoding="utf-8")
    return True


def merge(template, po_path, language):
    """The template's entries with po_path's translations; and the msgids left untranslated."""
    merged = polib.pofile(template)
    translations = {}
    if po_path.exists():
        translations = {
            entry.msgid: entry.msgstr for entry in polib.pofile(str(po_path)) if not entry.obsolete
        }
    else:
        merged.metadata["Language"] = language
    for entry in merged:
        entry.msgstr = translations.get(entry.msgid, "")
    return str(merged), [entry.msgid for entry in merged if not entry.msgstr]


def main(export_dir, root, addons):
    for addon in addons:
        i18n = Path(root, addon, "i18n")
        i18n.mkdir(exist_ok=True)
        template = (Path(export_dir) / (addon + ".pot")).read_text(encoding="utf-8")
        pot_path = i18n / (addon + ".pot")
        print("%s: %s" % (pot_path.relative_to(root), STATES[write(pot_path, template)]))
        languages = sorted(set(LANGUAGES) | {path.stem for path in i18n.glob("*.po")})
        for language in languages:
            po_path = i18n / (language + ".po")
            text, untranslated = merge(template, po_path, language)
            state = STATES[write(po_path, text)]
            print("%s: %s, %d to translate" % (po_path.relative_to(root), state, len(untranslated)))
            for msgid in untranslated:
                print("    %r" % msgid)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
