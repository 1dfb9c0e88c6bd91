#!/usr/bin/env python3
"""Adds each crew request of the routing set's tuning half to the example requests
of the crew it is labelled for, in the addon's data file:
`.venv/bin/python tools/routing_examples.py` (`--check`: only say what is missing).

The router's semantic step compares a request with each crew's example requests:
the more real requests a crew lists, the better it places the ones no word list
foresees. The held-out half is never added (a test checks it), or its figure
would measure nothing. Run this after a held-out half joins the tuning half.
"""

import argparse
import html
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from mcp_crew.tests import routing_set  # noqa: E402

DATA_FILE = routing_set.ADDON / "data/mcp_crew_data.xml"
_EXAMPLES_END = re.compile(
    r'(<field name="code">(?P<code>\w+)</field>.*?<field name="example_requests">.*?)(</field>)',
    re.S,
)


def with_examples(source, missing):
    """``source`` (the data file's text) with ``missing`` appended to each crew's list."""

    def append(match):
        added = missing.get(match["code"], ())
        return (
            match[1] + "".join("\n" + html.escape(line, quote=False) for line in added) + match[3]
        )

    return _EXAMPLES_END.sub(append, source)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if any is missing")
    options = parser.parse_args(argv)
    missing = routing_set.unlisted_tuning_requests()
    for code, requests in missing.items():
        print("%s: %d request(s) to add" % (code, len(requests)))
    if options.check:
        return 1 if missing else 0
    if missing:
        source = DATA_FILE.read_text(encoding="utf-8")
        DATA_FILE.write_text(with_examples(source, missing), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
