#!/usr/bin/env python3
"""Routing figures on both halves of the labelled set of user requests, and the
requests still missed: `.venv/bin/python tools/routing_report.py`.

Without options the router's semantic step (asked only when words are not
enough) weighs the crews' example requests alone, as in an Odoo with no
embeddings endpoint; it weighs the opinion of a model too with `--embeddings URL
[--model NAME]` (an embeddings endpoint, e.g. the one `../shared/tools/local-llm.sh
start` serves on :18081: the default `routing_semantic_step`) or with `--llm URL
--llm-model NAME` (an OpenAI-compatible chat endpoint, e.g. :18080: the LLM
classification), as in an Odoo with that setting.

Exits 1 when the held-out half is below 95 % (the target), so it can gate a
release; it is not part of `make test`, which checks the tuning half.
"""

import argparse
import functools
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from mcp_crew.services import crew_runner, semantic_routing  # noqa: E402
from mcp_crew.services.knowledge.embeddings import EmbeddingClient  # noqa: E402
from mcp_crew.tests import routing_set  # noqa: E402

TARGET = 0.95


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embeddings", help="embeddings base URL for the semantic step")
    parser.add_argument("--model", default="multilingual-e5-small-q4")
    parser.add_argument("--llm", help="chat completions base URL for the LLM classification")
    parser.add_argument("--llm-model", default="qwen2.5-coder-1.5b-instruct")
    options = parser.parse_args(argv)
    semantic = None
    if options.llm:
        settings = crew_runner.LlmSettings(
            model=options.llm_model, base_url=options.llm, timeout=120
        )
        semantic = semantic_routing.LlmClassifier(
            functools.partial(crew_runner.complete, settings)
        )
        print("semantic step: LLM classification by %s at %s" % (options.llm_model, options.llm))
    elif options.embeddings:
        client = EmbeddingClient(options.embeddings, options.model, timeout=60)
        semantic = semantic_routing.EmbeddingScorer(client)
        print("semantic step: %s at %s" % (options.model, options.embeddings))
    crew_router = routing_set.shipped_router()
    shares = {}
    for name in ("tuning", "held_out"):
        cases = routing_set.DATA[name]
        misses = routing_set.replay(crew_router, cases, semantic=semantic)
        print(routing_set.summary(name.replace("_", "-"), cases, misses))
        shares[name] = 1 - len(misses) / len(cases)
    return 0 if shares["held_out"] >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
