"""The labelled set of user requests (routing_requests.json) and the targets it is
routed against, outside Odoo: the crews of the addon's data file, the built-in
intents and the demo MCP server's tools. Imports nothing from Odoo, so the engine
tests, the Odoo tests and ``tools/routing_report.py`` share it.

The set has a tuning half and a held-out half; the router is only tuned on the
first. ``replay`` returns the misses of one half.
"""

import json
import pathlib
import xml.etree.ElementTree as ElementTree

from ..services import router

ADDON = pathlib.Path(__file__).resolve().parent.parent
DATA = json.loads((ADDON / "tests/routing_requests.json").read_text(encoding="utf-8"))
DEMO_SERVER_ID = 7


def shipped_crews():
    """The mcp.crew records of the addon's data file, as the adapter describes them."""
    tree = ElementTree.parse(ADDON / "data/mcp_crew_data.xml")
    crews = []
    for record in tree.iter("record"):
        if record.get("model") != "mcp.crew":
            continue
        fields = {field.get("name"): field for field in record.iter("field")}

        def lines(name, fields=fields):
            text = fields[name].text if name in fields else ""
            return tuple(line.strip() for line in (text or "").splitlines() if line.strip())

        fallback = fields.get("routing_fallback")
        crews.append(
            router.Target(
                kind="crew",
                ident=fields["code"].text,
                name=fields["name"].text,
                description=fields["description"].text or "",
                keywords=lines("routing_keywords"),
                examples=lines("example_requests"),
                fallback=fallback is not None and fallback.get("eval") == "True",
            )
        )
    return crews


def as_example(message):
    """``message`` as a crew's example request: one line, single spaces."""
    return " ".join(message.split())


def unlisted_tuning_requests():
    """``{crew code: [request, ...]}`` of the tuning half's crew requests that the
    crew's example requests do not list yet, in the set's order (the semantic step
    compares requests with those examples: ``tools/routing_examples.py`` adds them)."""
    listed = {crew.ident: set(crew.examples) for crew in shipped_crews()}
    missing = {}
    for case in DATA["tuning"]:
        kind, _sep, code = case["expect"].partition(":")
        message = as_example(case["message"])
        if kind == "crew" and message not in listed[code]:
            missing.setdefault(code, []).append(message)
            listed[code].add(message)
    return missing


def demo_tools():
    return [
        router.Target(
            "tool",
            "%d:%s" % (DEMO_SERVER_ID, tool["name"]),
            tool["name"],
            tool["description"],
            keywords=(tool["name"].replace("_", " "),),
        )
        for tool in DATA["tools"]
    ]


def builtin_intents():
    return [
        router.Target("intent", name, name, description, patterns=patterns)
        for name, description, patterns in router.BUILTIN_INTENTS
    ]


def shipped_router():
    return router.Router(shipped_crews() + demo_tools() + builtin_intents())


def label(decision, crew_codes=None):
    """``decision`` in the set's notation: ``crew:<code>``, ``tool:<name>``,
    ``intent:<name>`` or ``knowledge``. ``crew_codes``: crew id -> code, for
    routers built from records."""
    if decision.kind == "knowledge":
        return "knowledge"
    if decision.kind == "tool":
        return "tool:%s" % decision.ident.split(":", 1)[1]
    ident = (crew_codes or {}).get(decision.ident, decision.ident)
    return "%s:%s" % (decision.kind, ident)


def replay(crew_router, cases, crew_codes=None, semantic=None):
    """``(message, expected, got, reason)`` of every case routed elsewhere, an LLM
    being available (and ``semantic`` the router's semantic step, if given)."""
    misses = []
    for case in cases:
        knowledge = case.get("knowledge") or {}
        decision = crew_router.route(
            case["message"],
            knowledge_score=knowledge.get("score", 0.0),
            knowledge_text=knowledge.get("text"),
            llm_available=True,
            semantic=semantic,
        )
        got = label(decision, crew_codes)
        if got != case["expect"]:
            misses.append((case["message"], case["expect"], got, decision.reason))
    return misses


def summary(name, cases, misses):
    lines = [
        "routing, %s half: %d/%d = %.1f %%"
        % (name, len(cases) - len(misses), len(cases), 100 * (1 - len(misses) / len(cases)))
    ]
    lines += ["  miss: %r expected %s, got %s (%s)" % miss for miss in misses]
    return "\n".join(lines)
