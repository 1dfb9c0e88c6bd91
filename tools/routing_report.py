#!/usr/bin/env python3
"""Routing figures on both halves of the labelled set of user requests, and the
requests still missed: `.venv/bin/python tools/routing_report.py`.

Exits 1 when the held-out half is below 95 % (the target), so it can gate a
release; it is not part of `make test`, which checks the tuning half.
"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from mcp_crew.tests import routing_set  # noqa: E402

TARGET = 0.95


def main():
    crew_router = routing_set.shipped_router()
    shares = {}
    for name in ("tuning", "held_out"):
        cases = routing_set.DATA[name]
        misses = routing_set.replay(crew_router, cases)
        print(routing_set.summary(name.replace("_", "-"), cases, misses))
        shares[name] = 1 - len(misses) / len(cases)
    return 0 if shares["held_out"] >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
