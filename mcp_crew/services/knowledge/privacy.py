"""Masking of personal identifiers in text shown to people without clearance.

Masks Brazilian CPF and CNPJ numbers, payment card numbers, e-mail addresses
and phone numbers, keeping just enough (last digits, the e-mail domain) for a
person to tell two values apart. Formatted identifiers are masked on their
shape alone; a bare run of digits only when its check digits are right, so
order numbers and quantities survive.
"""

import re

_CPF_FORMATTED = re.compile(r"(?<!\d)\d{3}\.\d{3}\.\d{3}-\d{2}(?!\d)")
_CNPJ_FORMATTED = re.compile(r"(?<!\d)\d{2}\.\d{3}\.\d{3}/\d{4}-\d{2}(?!\d)")
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
# Not part of a longer number: no digit, and no separator joined to one, either side
# (a CPF ending a sentence, "52998224725.", is still masked; "1.52998224725" is not).
_BARE_DIGITS = re.compile(r"(?<![\d])(?<![\d][.,/-])\d{11}(?:\d{3})?(?![\d])(?![.,/-]\d)")
_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-])[\w.+-]*@([\w-]+(?:\.[\w-]+)+)", re.UNICODE)
# +55 (11) 91234-5678, (11) 1234-5678, +1 415 555 0100, 11 91234 5678, +5511912345678.
# Separators are required, so bare order numbers are left alone.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{10,14}|(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,3}\)[ .-]?|\d{2,3}[ .-])"
    r"\d{3,5}[ .-]\d{4})(?!\w)"
)


def _digits(text):
    return re.sub(r"\D", "", text)


def _cpf_valid(digits):
    if len(digits) != 11 or digits == digits[0] * 11:
        return False
    for size in (9, 10):
        total = sum(int(d) * w for d, w in zip(digits[:size], range(size + 1, 1, -1), strict=True))
        if (total * 10 % 11) % 10 != int(digits[size]):
            return False
    return True


def _cnpj_valid(digits):
    if len(digits) != 14 or digits == digits[0] * 14:
        return False
    weights = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
    for size in (12, 13):
        used = weights if size == 12 else [6] + weights
        total = sum(int(d) * w for d, w in zip(digits[:size], used, strict=True))
        check = 11 - total % 11
        if (0 if check >= 10 else check) != int(digits[size]):
            return False
    return True


def _luhn_valid(digits):
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


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
    if 13 <= len(digits) <= 19 and _luhn_valid(digits):
        return _keep_last(text, 4)
    return text


def _mask_bare(match):
    digits = match.group(0)
    if _cpf_valid(digits) or _cnpj_valid(digits):
        return _keep_last(digits, 2)
    return digits


def mask_identifiers(text):
    """``text`` with personal identifiers masked; ``None`` and ``""`` pass through."""
    if not text:
        return text
    text = _CNPJ_FORMATTED.sub(lambda m: _keep_last(m.group(0), 2), text)
    text = _CPF_FORMATTED.sub(lambda m: _keep_last(m.group(0), 2), text)
    text = _CARD.sub(_mask_card, text)
    text = _BARE_DIGITS.sub(_mask_bare, text)
    text = _EMAIL.sub(lambda m: "%s***@%s" % (m.group(1), m.group(2)), text)
    return _PHONE.sub(lambda m: _keep_last(m.group(0), 4), text)
