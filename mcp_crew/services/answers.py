"""How the answers written without an LLM are laid out.

Which sentence says what, with which values, is decided here; the words are the
adapter's: Odoo writes each sentence with ``_()`` in the request's language, from
its .po files (``mcp.run._sentences``), so a Portuguese request never gets an
English reply. ``say(key, **values)`` is that adapter's function; the keys are
:data:`SENTENCES`.
"""

EXCERPT = 400
# Every sentence an adapter must word, and the values each one takes.
SENTENCES = {
    "knowledge_intro": (),
    "source": ("origin",),
    "confidence": ("percent",),
    "tool_result": ("tool",),
    "tool_error": ("tool",),
    "tool_needs_arguments": ("tool", "missing", "first"),
    "approval_pending": ("tool",),
    "llm_required_crew": ("crew",),
    "llm_required": (),
    "no_crew_matches": (),
    "queued": ("crew",),
    "failure": ("error",),
    "quota": ("quota",),
}


def knowledge(results, say):
    """The top knowledge items with their sources, as a numbered list."""
    lines = [say("knowledge_intro")]
    for position, item in enumerate(results, 1):
        body = " ".join((item.get("content") or item.get("snippet") or "").split())
        if len(body) > EXCERPT:
            body = body[:EXCERPT].rsplit(" ", 1)[0] + " …"
        source = item.get("source") or {}
        origin = source.get("label") or source.get("kind") or ""
        meta = [say("confidence", percent=round(item.get("confidence", 0) * 100))]
        if origin:
            meta.insert(0, say("source", origin=origin))
        lines.append("%d. %s — %s (%s)" % (position, item["title"], body, ", ".join(meta)))
    return "\n".join(lines)


def tool_result(tool_name, body, is_error, say):
    return "%s\n%s" % (say("tool_error" if is_error else "tool_result", tool=tool_name), body)


def tool_needs_arguments(tool_name, missing, say):
    return say("tool_needs_arguments", tool=tool_name, missing=", ".join(missing), first=missing[0])
