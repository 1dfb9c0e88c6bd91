#!/usr/bin/env python3
"""What the crews' many example requests cost the router:
`.venv/bin/python bench/bench_routing.py`.

The shipped crews list some 130 example requests each (their curated ones, then
the labelled set's tuning half). The baseline, in the same process, is the same
crews with their curated examples only. Measured: building the router (once per
catalog change) and routing each request of the labelled set (words only, as
every request is routed before any semantic step). Medians of alternating
blocks, so a noisy machine weighs on both sides alike.
"""

import dataclasses
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from mcp_crew.services import router  # noqa: E402
from mcp_crew.tests import routing_set  # noqa: E402

BLOCKS = 7


def routers():
    """``{label: targets}``: the curated examples only (baseline), and as shipped."""
    labelled = {routing_set.as_example(c["message"]) for c in routing_set.DATA["tuning"]}
    shipped = routing_set.shipped_crews()
    curated = [
        dataclasses.replace(crew, examples=tuple(e for e in crew.examples if e not in labelled))
        for crew in shipped
    ]
    others = routing_set.demo_tools() + routing_set.builtin_intents()
    return {"curated examples only (baseline)": curated + others, "as shipped": shipped + others}


def timed(call, repeat):
    started = time.perf_counter()
    for _ in range(repeat):
        call()
    return (time.perf_counter() - started) / repeat


def main():
    sides = routers()
    messages = [c["message"] for c in routing_set.DATA["tuning"] + routing_set.DATA["held_out"]]
    built = {label: router.Router(targets) for label, targets in sides.items()}
    for label, targets in sides.items():
        examples = sum(len(t.examples) for t in targets)
        print("%-34s %4d example requests" % (label, examples))
    build = {label: [] for label in sides}
    route = {label: [] for label in sides}
    for _ in range(BLOCKS):
        for label, targets in sides.items():
            build[label].append(timed(lambda targets=targets: router.Router(targets), 3))
            crew_router = built[label]
            route[label].append(
                timed(
                    lambda crew_router=crew_router: [
                        crew_router.route(m, llm_available=True) for m in messages
                    ],
                    1,
                )
                / len(messages)
            )
    for name, samples, unit, unit_name in (
        ("build the router", build, 1e3, "ms"),
        ("route one request", route, 1e6, "us"),
    ):
        baseline = None
        for label, values in samples.items():
            median = statistics.median(values)
            ratio = "" if baseline is None else "  x%.2f" % (median / baseline)
            baseline = baseline or median
            print("%-18s %-34s median %8.1f %s%s" % (name, label, median * unit, unit_name, ratio))


if __name__ == "__main__":
    main()
