"""The sentences runs answer with when no LLM writes them, in the request's language.

Worded with ``_()`` and this addon's .po files; the layout is the engine's
(:mod:`..services.answers`). The request's language need not be installed:
``_()`` reads it from the caller's ``context`` local first (odoo.tools.translate)
and code translations come from the .po files on disk.
"""

import functools

from odoo import _

# The router's language codes and the Odoo languages that word them.
LANGUAGES = {"pt": "pt_BR", "en": "en_US"}


def sentences(language):
    """Sentence key (``answers.SENTENCES``) -> text in ``language`` (``pt``, ``en``;
    English otherwise)."""
    return dict(_worded(language))


@functools.lru_cache(maxsize=16)
def _worded(language):
    # Once per language and process: code translations come from the .po files,
    # which do not change while Odoo runs, and each _() looks its module up
    # from the calling frame (a run answers with one sentence, not thirteen).
    context = {"lang": LANGUAGES.get(language, "en_US")}  # noqa: F841  pylint: disable=unused-variable
    return {
        "knowledge_intro": _("This is what the knowledge base says:"),
        "source": _("source: %(origin)s"),
        "confidence": _("confidence %(percent)s%%"),
        "tool_result": _("Result of %(tool)s:"),
        "tool_error": _("Tool %(tool)s reported an error:"),
        "tool_needs_arguments": _(
            'Tool %(tool)s needs the arguments %(missing)s. Send: /tool %(tool)s {"%(first)s": ...}'
        ),
        "approval_pending": _("Tool %(tool)s changes data and waits for an approver's approval."),
        "llm_required_crew": _(
            'Crew "%(crew)s" would answer this request, but no LLM is configured '
            "(Settings › MCP Crew)."
        ),
        "llm_required": _(
            "Neither the knowledge base nor a tool answers this request; it needs an LLM, "
            "and none is configured (Settings › MCP Crew)."
        ),
        "no_crew_matches": _(
            "No crew matches this request. Rephrase it, choose a crew (context "
            '{"crew": code}) or add routing keywords to a crew.'
        ),
        "queued": _('Crew "%(crew)s" is working on the request; the answer will arrive here.'),
        "failure": _("The request failed: %(error)s"),
        "quota": _(
            "The company's monthly token quota (%(quota)s) is used up; requests that need "
            "an LLM are refused until next month."
        ),
    }


def sayer(language):
    """``say(key, **values)`` in ``language``, for :mod:`..services.answers`."""
    worded = _worded(language)

    def say(key, **values):
        return worded[key] % values

    return say
