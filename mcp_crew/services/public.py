"""The core's public engine interface: all the glue addons' engines may use.

``mcp_crew_crm`` and ``mcp_crew_sale`` keep their engines in their own
``services/`` and depend on the core only through this module (README,
*Engine interface*), so the core's other modules can change without touching
them. What is here stays, with these meanings:

* text helpers (:mod:`.text`): words, accents, pg_trgm similarity, the one
  language guess and the one e-mail address pattern;
* :class:`~.errors.InvalidRequest`, the error for bad input, which the Odoo
  side maps to a ``ValidationError`` (``error_mapping.engine_errors``);
* :class:`Message`: what an engine says to people, as a key and its values;
  the Odoo adapter owns the sentence (``_()`` and the addon's ``.po`` files).
"""

from typing import NamedTuple

from .errors import InvalidRequest
from .text import (
    EMAIL,
    LANGUAGES,
    detect_language,
    find_emails,
    is_valid_email,
    normalize_text,
    strip_accents,
    tokens,
    trigram_similarity,
    words,
)

__all__ = [
    "EMAIL",
    "LANGUAGES",
    "InvalidRequest",
    "Message",
    "detect_language",
    "find_emails",
    "is_valid_email",
    "normalize_text",
    "strip_accents",
    "tokens",
    "trigram_similarity",
    "words",
]


class Message(NamedTuple):
    """Something to tell a person: a stable ``key`` and the ``values`` its sentence needs.

    Engines return these instead of sentences; the Odoo adapter maps each key
    to a translatable sentence, so the words live in one place per addon and
    are translated by Odoo like any other.
    """

    key: str
    values: dict = {}
