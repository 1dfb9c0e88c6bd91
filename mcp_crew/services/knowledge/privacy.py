"""Masking of personal identifiers in text shown to people without clearance.

Masks Brazilian CPF and CNPJ numbers, payment card numbers, e-mail addresses
and phone numbers, keeping just enough (last digits, the e-mail domain) for a
person to tell two values apart. Formatted identifiers are masked on their
shape alone; a bare run of digits only when its check digits are right
(python-stdnum's CPF, CNPJ and Luhn checks), so order numbers and quantities
survive. E-mails are the core's one pattern (:mod:`..text`); phone numbers are
found by libphonenumber's matcher.
"""

import functools
import re

import phonenumbers
from stdnum import luhn
from stdnum.br import cnpj, cpf

from ..text import find_emails

_CPF_FORMATTED = re.compile(r"(?<!\d)\d{3}\.\d{3}\.\d{3}-\d{2}(?!\d)")
_CNPJ_FORMATTED = re.compile(r"(?<!\d)\d{2}\.\d{3}\.\d{3}/\d{4}-\d{2}(?!\d)")
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
# Not part of a longer number: no digit, and no separator joined to one, either side
# (a CPF ending a sentence, "52998224725.", is still masked; "1.52998224725" is not).
_BARE_DIGITS = re.compile(r"(?<![\d])(?<![\d][.,/-])\d{11}(?:\d{3})?(?![\d])(?![.,/-]\d)")
# Phone numbers are found by libphonenumber (as Odoo's phone_validation) as
# numbers of this country when written without a country code; numbers of
# other countries need their "+" (US numbers are also valid Brazilian ones).
PHONE_REGION = "BR"
# How only phones are written: a country code, or an area code in parentheses.
_PHONE_NOTATION = ("+", "(")
# Masking is a pure function of the text, and its phone matcher is most of a
# knowledge answer's Python time: the same items answer request after request.
# Only texts up to this length are remembered, so the memo stays small.
_MEMO_TEXT = 4096
_MEMO_SIZE = 2048


def _digits(text):
    return re.sub(r"\D", "", text)


def _is_placeholder(digits):
    # 111.111.111-11 passes CPF's check digits but is nobody's number.
    return len(set(digits)) == 1


def _keep_last(match_text, keep):
    """Replace every digit but the last ``keep`` with ``*``, keeping the layout."""
    remaining = sum(char.isdigit() for char in match_text)
    out = []
    for char in match_text:
        if char.isdigit():
            remaining -= 1
            out.append(char if remaining < keep else "*")
        else:
            out.append(char)
    return "".join(out)


def _mask_card(match):
    text = match.group(0)
    digits = _digits(text)
    if 13 <= len(digits) <= 19 and luhn.is_valid(digits):
        return _keep_last(text, 4)
    return text


def _mask_bare(match):
    digits = match.group(0)
    if not _is_placeholder(digits) and (cpf.is_valid(digits) or cnpj.is_valid(digits)):
        return _keep_last(digits, 2)
    return digits


def _mask_emails(text):
    for found in reversed(find_emails(text)):
        local, _at, domain = found.group().rpartition("@")
        masked = "%s***@%s" % (local[0], domain)
        text = text[: found.start()] + masked + text[found.end() :]
    return text


def _mask_phones(text):
    """Valid numbers, and any possible one written as only phones are ("+55 …",
    "(11) …"); dates, postcodes and bare order numbers stay."""
    matches = phonenumbers.PhoneNumberMatcher(text, PHONE_REGION, phonenumbers.Leniency.POSSIBLE)
    found = [
        match
        for match in matches
        if phonenumbers.is_valid_number(match.number)
        or match.raw_string.startswith(_PHONE_NOTATION)
    ]
    for match in reversed(found):
        text = text[: match.start] + _keep_last(match.raw_string, 4) + text[match.end :]
    return text


def mask_identifiers(text):
    """``text`` with personal identifiers masked; ``None`` and ``""`` pass through."""
    if not text:
        return text
    if len(text) <= _MEMO_TEXT:
        return _remembered_mask(text)
    return _mask(text)


@functools.lru_cache(maxsize=_MEMO_SIZE, typed=True)
def _remembered_mask(text):
    return _mask(text)


def _mask(text):
    text = _CNPJ_FORMATTED.sub(lambda m: _keep_last(m.group(0), 2), text)
    text = _CPF_FORMATTED.sub(lambda m: _keep_last(m.group(0), 2), text)
    text = _CARD.sub(_mask_card, text)
    text = _BARE_DIGITS.sub(_mask_bare, text)
    return _mask_phones(_mask_emails(text))
