"""Smart contact creation: the pure steps between raw lead data and a partner.

The pipeline, one function per step (the Odoo adapters fetch existing partners,
create the records and the activities; nothing here touches a database):

1. :func:`normalize` maps the keys of one source (web form, e-mail, manual entry)
   to canonical fields, cleans every value and records each change as a
   :class:`Transformation` so the created partner can show where its data came from;
2. :func:`validate` lists what is wrong with the result;
3. :func:`find_duplicates` ranks existing partners that are probably the same person;
4. :func:`enrich_from_domain` guesses the company behind a corporate e-mail domain;
5. :func:`score_lead` rates the lead 0–100 with configurable :class:`LeadWeights`;
6. :func:`workflow_for` turns the score into the follow-up to trigger.

Every function is deterministic and side-effect free. Bad input (a payload that
is not a dict, an unknown source without mappings, nonsensical weights) raises
:class:`~mcp_crew.services.errors.InvalidRequest` (``core.InvalidRequest``); a
contact that is merely incomplete or malformed is reported by :func:`validate`, not raised.
"""

import dataclasses
import math
import re
from email.header import decode_header, make_header
from email.utils import parseaddr
from typing import NamedTuple

import phonenumbers

from . import core

# ---------------------------------------------------------------------------
# vocabulary

SOURCES = ("web_form", "email", "manual")

# Canonical fields a mapping may fill. ``first_name``/``last_name`` are joined into
# ``name``; ``from_header`` and ``signature`` are parsed into name/e-mail and
# phone/company/job title respectively, only for fields still empty.
CONTACT_FIELDS = ("name", "email", "phone", "company", "job_title")
MAPPABLE_FIELDS = CONTACT_FIELDS + ("first_name", "last_name", "from_header", "signature")

# Raw keys per source and canonical field, in priority order. Keys are matched
# case-insensitively after trimming, so "E-mail" and "e-mail" are the same key.
DEFAULT_MAPPINGS = {
    "web_form": {
        "name": ("full_name", "name", "nome", "nome_completo"),
        "first_name": ("first_name", "fname", "primeiro_nome"),
        "last_name": ("last_name", "lname", "surname", "sobrenome"),
        "email": ("email", "e-mail", "email_address"),
        "phone": ("phone", "telefone", "celular", "mobile", "whatsapp"),
        "company": ("company", "empresa", "organization", "company_name"),
        "job_title": ("job_title", "cargo", "title", "position"),
    },
    "email": {
        "from_header": ("from",),
        "name": ("sender_name", "from_name"),
        "email": ("sender_email", "from_email"),
        "signature": ("signature",),
        "phone": ("signature_phone",),
        "company": ("signature_company",),
        "job_title": ("signature_title",),
    },
    "manual": {
        "name": ("name", "nome"),
        "email": ("email", "e-mail"),
        "phone": ("phone", "telefone", "mobile", "celular"),
        "company": ("company", "empresa", "company_name"),
        # "function" is res.partner's job position field.
        "job_title": ("job_title", "function", "cargo"),
    },
}

# National phone numbers are read as numbers of this country (ISO 3166 code)
# when the caller names none; the Odoo side passes the company's country.
DEFAULT_REGION = "BR"
# Longest E.164 number (ITU-T E.164: country code and national number).
E164_MAX_DIGITS = 15

# Name particles kept lower-case inside a name ("Maria da Silva", "Ludwig van Beethoven").
NAME_PARTICLES = frozenset("da das de del della di do dos du e van von der den y".split())
_ROMAN_NUMERAL = re.compile(r"^(?:i{1,3}|iv|vi{0,3}|ix|x)$")
_NAME_PIECE_SPLIT = re.compile(r"([-'’])")

# Job-title vocabulary, accent-free, by seniority level (checked from the top).
SENIORITY_LEVELS = (
    (
        "executive",
        1.0,
        frozenset(
            "ceo cto cfo coo cmo cio cro cpo chief founder cofounder fundador fundadora "
            "cofundador cofundadora socio socia partner owner proprietario proprietaria "
            "dono dona presidente president presidenta vp vice".split()
        ),
    ),
    ("director", 0.8, frozenset("diretor diretora director head superintendente".split())),
    (
        "manager",
        0.6,
        frozenset(
            # Not "lead": in a CRM it is as likely a noun ("Lead Analyst") as a rank.
            "gerente manager coordenador coordenadora coordinator supervisor supervisora "
            "lider".split()
        ),
    ),
)
# Any other job title is worth this fraction of the seniority weight.
OTHER_TITLE_FACTOR = 0.2
# Words that make a title junior whatever else it says ("Assistente da Diretoria").
JUNIOR_WORDS = frozenset(
    "assistente assistant auxiliar estagiario estagiaria intern trainee secretaria "
    "secretario aprendiz".split()
)
# Words that mark a signature line as a job title even without seniority.
JOB_WORDS = frozenset(
    "analista analyst consultor consultora engenheiro engenheira engineer especialista "
    "specialist executivo executiva vendedor vendedora comprador compradora buyer "
    "desenvolvedor desenvolvedora developer representante representative advogado "
    "advogada contador contadora".split()
).union(JUNIOR_WORDS, *(keywords for _level, _factor, keywords in SENIORITY_LEVELS))

# Legal-form words ignored when comparing company names ("ACME Ltda." == "Acme").
LEGAL_FORM_WORDS = frozenset(
    "ltda ltd sa s a me epp eireli inc llc gmbh corp corporation co cia companhia plc".split()
)

# Free-mail providers: a mailbox there says nothing about an employer. Families
# present under many country suffixes are matched by their registrable label.
FREE_MAIL_LABELS = frozenset(
    "gmail googlemail hotmail outlook live msn yahoo ymail icloud proton protonmail "
    "yandex gmx aol zoho tutanota".split()
)
FREE_MAIL_DOMAINS = frozenset(
    "uol.com.br bol.com.br terra.com.br ig.com.br r7.com globo.com globomail.com "
    "me.com mac.com pm.me mail.com".split()
)
# Second-level suffixes under which the registrable name is the third label.
MULTI_PART_SUFFIXES = frozenset(
    "com.br net.br org.br gov.br edu.br ind.br art.br adv.br eng.br med.br inf.br emp.br "
    "tur.br srv.br co.uk org.uk ac.uk gov.uk com.au net.au org.au co.nz com.ar com.mx "
    "com.pt com.co com.pe com.uy com.py co.jp co.in co.za com.cn".split()
)


# Several numbers in one field ("(11) 3333-4444 / (11) 98765-4321"): keep the first.
_PHONE_SEPARATOR = re.compile(r"\s*(?:/|;|,|\bou\b|\bor\b)\s*", re.IGNORECASE)
# Signature lines shaped "Label: value".
_LABELED_LINE = re.compile(r"^\s*([^\W\d_][^\W\d_ .]*(?: [^\W\d_]+)?)\.?\s*:\s*(.+?)\s*$")
_SIGNATURE_LABELS = {
    "phone": frozenset("tel telefone fone phone cel celular mobile whatsapp whats wpp".split()),
    "company": frozenset("empresa company organizacao organization".split()),
    "job_title": frozenset("cargo title funcao position".split()) | {"job title"},
}
# "Title | Company" on one signature line.
_SIGNATURE_SPLIT = re.compile(r"\s+(?:\||-|–|—|@|at)\s+")
# Web and e-mail lines carry nothing we parse; "Diretora @ Acme" (spaced) is a title line.
_URL_OR_EMAIL = re.compile(r"https?://|www\.|\S@\S", re.IGNORECASE)
# A signature line ending in a legal form is a company ("Acme Tools Ltda.", "Cia X S.A.").
_LEGAL_FORM_ENDING = re.compile(
    r"\b(?:ltda|ltd|s\.?\s?a|eireli|epp|inc|llc|gmbh|corp|plc)\.?$", re.IGNORECASE
)
# Unlabelled digits need a full number (area code included) to be a phone,
# so a postcode (CEP, 8 digits) is not taken for one.
_UNLABELED_PHONE_DIGITS = 10
_LABELED_PHONE_DIGITS = 8


# ---------------------------------------------------------------------------
# results


def _require_non_negative_number(value, name):
    # Defined before the dataclasses below: their __post_init__ runs at import time.
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise core.InvalidRequest("%s must be a non-negative number" % name)


class Transformation(NamedTuple):
    """One change to one field: ``before`` became ``after`` by ``rule``.

    Values taken out of a composite input (``from_header``, ``signature``,
    ``join_first_last``) are recorded too, with the whole input as ``before``,
    so every value can be traced back to what the source sent.
    """

    field: str
    before: str | None
    after: str | None
    rule: str


@dataclasses.dataclass(frozen=True)
class NormalizedContact:
    """A contact in canonical form; empty fields are ``None``."""

    source: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    job_title: str | None = None
    transformations: tuple = ()

    @property
    def email_domain(self):
        """The part after the last ``@`` of the e-mail, or ``None``."""
        return _domain_of(self.email)


@dataclasses.dataclass(frozen=True)
class Problem:
    """What :func:`validate` found wrong; ``code`` is stable, ``message`` is for people.

    A blocking problem refuses the contact; the others are reported with it (a
    phone that is no valid number is kept as typed: the person is still worth
    a lead, and a salesperson can fix the number).
    """

    field: str
    code: str
    message: str
    blocking: bool = True


class DuplicateMatch(NamedTuple):
    """An existing partner that is probably the same person, and why."""

    candidate_id: object
    score: float
    reasons: tuple


@dataclasses.dataclass(frozen=True)
class LeadWeights:
    """Points each factor of :func:`score_lead` is worth at its best.

    The defaults add up to 100. ``source_quality`` gives each source a factor in
    [0, 1] (a dict or ``(source, factor)`` pairs; stored as sorted pairs so the
    weights stay hashable); a source it does not name scores 0.
    """

    corporate_email: float = 20
    seniority: float = 30
    company_known: float = 15
    phone_present: float = 10
    source: float = 15
    completeness: float = 10
    source_quality: tuple = (("web_form", 1.0), ("email", 0.6), ("manual", 0.3))

    def __post_init__(self):
        for field in dataclasses.fields(self):
            if field.name != "source_quality":
                _require_non_negative_number(getattr(self, field.name), field.name)
        quality = self.source_quality
        pairs = quality.items() if isinstance(quality, dict) else quality
        try:
            pairs = tuple(sorted((str(source), factor) for source, factor in pairs))
        except (TypeError, ValueError) as exc:
            raise core.InvalidRequest(
                "source_quality must map sources to factors between 0 and 1"
            ) from exc
        for source, factor in pairs:
            _require_non_negative_number(factor, "source_quality[%s]" % source)
            if factor > 1:
                raise core.InvalidRequest("source_quality[%s] must be between 0 and 1" % source)
        object.__setattr__(self, "source_quality", pairs)

    def quality_of(self, source):
        return dict(self.source_quality).get(source, 0.0)


DEFAULT_LEAD_WEIGHTS = LeadWeights()


@dataclasses.dataclass(frozen=True)
class LeadScore:
    """``score`` is 0–100; ``components`` holds the points each factor earned."""

    score: int
    components: dict


@dataclasses.dataclass(frozen=True)
class WorkflowBands:
    """Lowest score of each band; anything below ``discovery_call`` is nurtured."""

    immediate_contact: float = 80
    discovery_call: float = 60

    def __post_init__(self):
        _require_non_negative_number(self.immediate_contact, "immediate_contact")
        _require_non_negative_number(self.discovery_call, "discovery_call")
        if not self.discovery_call <= self.immediate_contact <= 100:
            raise core.InvalidRequest(
                "Workflow bands must satisfy 0 <= discovery_call <= immediate_contact <= 100"
            )


DEFAULT_BANDS = WorkflowBands()


@dataclasses.dataclass(frozen=True)
class Workflow:
    """The follow-up for a lead: an activity to schedule or a tag to add.

    ``deadline_days`` is the activity's due date from today; ``tag`` is the tag
    name for ``action == "tag"``.
    """

    code: str
    action: str
    summary: str
    deadline_days: int | None = None
    tag: str | None = None


WORKFLOWS = {
    "immediate_contact": Workflow(
        "immediate_contact", "activity", "Contact this lead now (sales)", deadline_days=0
    ),
    "discovery_call": Workflow(
        "discovery_call", "activity", "Schedule a discovery call", deadline_days=3
    ),
    "nurture": Workflow("nurture", "tag", "Add to the nurture sequence", tag="nurture"),
}


# ---------------------------------------------------------------------------
# 1. normalisation


def normalize(raw, source, mappings=None, *, region=DEFAULT_REGION):
    """Canonical contact from one raw payload of ``source``.

    ``mappings`` maps canonical fields (:data:`MAPPABLE_FIELDS`) to a raw key or
    a list of raw keys tried in order; the fields it names replace the source's
    defaults, the others keep them (map a field to ``[]`` to ignore it). A source
    without defaults needs ``mappings``. National phone numbers are read as
    numbers of ``region`` (ISO 3166 country code).
    """
    if not isinstance(raw, dict):
        raise core.InvalidRequest("Contact data must be a dict, not %s" % type(raw).__name__)
    if not isinstance(source, str) or not source.strip():
        raise core.InvalidRequest("The contact source must be a non-empty string")
    mapping = _mapping_for(source, mappings)
    found = _extract(raw, mapping)
    log = []
    _fill_name_from_parts(found, log)
    _fill_from_header(found, log)
    _fill_from_signature(found, log, region)
    cleaners = _cleaners(region)
    values = {
        field: _clean(field, found.get(field), cleaners[field], log) for field in CONTACT_FIELDS
    }
    return NormalizedContact(source=source, transformations=tuple(log), **values)


def title_case_name(name):
    """``"MARIA DA SILVA"`` → ``"Maria da Silva"``; deliberate casing is kept.

    Only words written all lower- or all upper-case are re-cased, so "McDonald"
    or "DiCaprio" survive; particles stay lower-case except as the first word.
    """
    parts = name.split(" ")
    return " ".join(_title_word(word, first=index == 0) for index, word in enumerate(parts))


def normalize_phone(text, region=DEFAULT_REGION):
    """E.164 form of ``text`` (``"+5511987654321"``), or ``None`` unless it is a
    valid number (Google's libphonenumber, as Odoo's ``phone_validation``).

    ``+`` or ``00`` starts an international number. Any other number is read as
    a national number of ``region`` (ISO 3166 code; a trunk ``0`` is allowed),
    then, failing that, as an international number whose ``+`` was left out
    ("55 11 98765-4321"). Of several numbers ("a / b") the first is taken. A
    number valid in neither reading is never rewritten into another one.
    """
    if not text:
        return None
    first = _PHONE_SEPARATOR.split(str(text).strip())[0]
    first = re.sub(r"^tel:", "", first, flags=re.IGNORECASE).strip()
    digits = re.sub(r"\D", "", first)
    if not digits or len(digits) > E164_MAX_DIGITS + 2:
        return None
    if first.startswith("+"):
        readings = ["+" + digits]
    elif digits.startswith("00"):
        readings = ["+" + digits[2:]]
    else:
        readings = [first, "+" + digits]
    for reading in readings:
        number = _valid_number(reading, region)
        if number:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def is_valid_phone(phone):
    """Whether ``phone`` is a valid number written in E.164 form."""
    return bool(
        isinstance(phone, str)
        and re.fullmatch(r"\+\d{2,%d}" % E164_MAX_DIGITS, phone)
        and _valid_number(phone, None)
    )


def _valid_number(text, region):
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _mapping_for(source, mappings):
    base = DEFAULT_MAPPINGS.get(source)
    if base is None and mappings is None:
        raise core.InvalidRequest(
            "Unknown contact source %r: pass mappings for it (known sources: %s)"
            % (source, ", ".join(SOURCES))
        )
    merged = dict(base or {})
    if mappings is not None:
        if not isinstance(mappings, dict):
            raise core.InvalidRequest("Field mappings must be a dict")
        for field, keys in mappings.items():
            merged[field] = _mapping_keys(field, keys)
    return merged


def _mapping_keys(field, keys):
    if field not in MAPPABLE_FIELDS:
        raise core.InvalidRequest(
            "Unknown field %r in mappings (expected one of %s)"
            % (field, ", ".join(MAPPABLE_FIELDS))
        )
    if isinstance(keys, str):
        keys = (keys,)
    if not isinstance(keys, list | tuple) or not all(isinstance(key, str) for key in keys):
        raise core.InvalidRequest("Mapping for %r must be a key or a list of keys" % field)
    return tuple(keys)


def _extract(raw, mapping):
    """Canonical field → first non-empty raw value among its keys, as text."""
    by_key = {key.strip().lower(): value for key, value in raw.items() if isinstance(key, str)}
    found = {}
    for field, keys in mapping.items():
        for key in keys:
            value = _as_text(key, by_key.get(key.strip().lower()))
            if value:
                found[field] = value
                break
    return found


def _as_text(key, value):
    # Odoo sends False for empty fields; bool is never real contact data.
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | str):
        text = str(value)
        return text if text.strip() else None
    raise core.InvalidRequest("Value of %r must be text or a number" % key)


def _fill_name_from_parts(found, log):
    if found.get("name"):
        return
    parts = [found[part] for part in ("first_name", "last_name") if found.get(part)]
    if parts:
        found["name"] = " ".join(part.strip() for part in parts)
        log.append(Transformation("name", " + ".join(parts), found["name"], "join_first_last"))


def _fill_from_header(found, log):
    header = found.get("from_header")
    if not header:
        return
    display, address = parseaddr(header)
    display = _decode_words(display)
    # Some clients repeat the address as the display name: that is no name.
    if "@" not in display:
        _fill(found, "name", header, display, "from_header", log)
    _fill(found, "email", header, address, "from_header", log)


def _decode_words(text):
    # RFC 2047 display names ("=?utf-8?q?Jo=C3=A3o?=") arrive encoded.
    try:
        return str(make_header(decode_header(text)))
    except (UnicodeError, LookupError, ValueError):
        return text


def _fill(found, field, before, value, rule, log):
    """Set ``field`` from a parsed value unless an explicit key already gave it."""
    if not found.get(field) and value:
        found[field] = value
        log.append(Transformation(field, before, value, rule))


def _fill_from_signature(found, log, region):
    signature = found.get("signature")
    if not signature:
        return
    for field, line, value in _parse_signature(signature, found.get("name"), region):
        _fill(found, field, line, value, "signature", log)


def _parse_signature(text, name, region):
    """(field, line, value) for phone/company/job title found in a signature block.

    Labelled lines ("Cargo: ...") are trusted; otherwise a line with a full
    phone number is a phone, one with job words is a title ("Title | Company"
    splits in two), one ending in a legal form is a company, and the first
    unclassified line right after a title is taken for the company.
    """
    name_key = core.normalize_text(name) if name else None
    after_title = False
    for line in (line.strip() for line in text.splitlines()):
        if not line or line.strip("-_ ") == "" or _URL_OR_EMAIL.search(line):
            continue
        if name_key and core.normalize_text(line) == name_key:
            continue
        found = _labeled(line, region) or _unlabeled(line, region)
        # Digits make an address line ("Av. Paulista, 1000"), not a company.
        if not found and after_title and not re.search(r"\d", line):
            found = [("company", line)]
        after_title = any(field == "job_title" for field, _value in found)
        for field, value in found:
            yield field, line, value


def _labeled(line, region):
    match = _LABELED_LINE.match(line)
    if not match:
        return []
    label = core.strip_accents(match.group(1)).lower().rstrip(".")
    value = match.group(2)
    for field, labels in _SIGNATURE_LABELS.items():
        if label in labels:
            if field == "phone":
                phone = _phone_in(value, _LABELED_PHONE_DIGITS, region)
                return [("phone", phone)] if phone else []
            return [(field, value)]
    return []


def _unlabeled(line, region):
    phone = _phone_in(line, _UNLABELED_PHONE_DIGITS, region)
    if phone:
        return [("phone", phone)]
    parts = _SIGNATURE_SPLIT.split(line)
    if len(parts) == 2:
        titles = [part for part in parts if _is_job_title(part)]
        if len(titles) == 1:
            company = parts[1] if titles[0] == parts[0] else parts[0]
            return [("job_title", titles[0]), ("company", company)]
    if _is_job_title(line):
        return [("job_title", line)]
    if _LEGAL_FORM_ENDING.search(line):
        return [("company", line)]
    return []


def _phone_in(text, min_digits, region):
    """The first phone number in ``text`` as written, found by libphonenumber's
    matcher (numbers of ``region`` unless they carry a country code).

    Any possible number counts (``normalize`` then checks it and keeps an
    invalid one as typed, for :func:`validate` to report); ``min_digits`` keeps
    a postcode from being taken for a phone.
    """
    for match in phonenumbers.PhoneNumberMatcher(text, region, phonenumbers.Leniency.POSSIBLE):
        if min_digits <= len(re.sub(r"\D", "", match.raw_string)) <= E164_MAX_DIGITS:
            return match.raw_string.strip()
    return None


def _is_job_title(text):
    return any(word in JOB_WORDS for word in core.words(text))


def _collapse_whitespace(text):
    return " ".join(text.split())


def _cleaners(region):
    """Field → ordered (rule, function) pairs; every field is trimmed first."""

    def e164(phone):
        # An invalid number is kept as written: validate() reports it.
        return normalize_phone(phone, region) or phone

    trim = ("collapse_whitespace", _collapse_whitespace)
    return {
        "name": (trim, ("title_case_name", title_case_name)),
        "email": (trim, ("lowercase_email", str.lower)),
        "phone": (trim, ("e164_phone", e164)),
        "company": (trim,),
        "job_title": (trim,),
    }


def _clean(field, value, rules, log):
    """Run the field's cleaning rules, logging each one that changed the value."""
    if value is None:
        return None
    for rule, function in rules:
        after = function(value)
        if after != value:
            log.append(Transformation(field, value, after, rule))
            value = after
    return value or None


def _title_word(word, first):
    if not (word.islower() or word.isupper()):
        return word
    lower = word.lower()
    if not first and (lower in NAME_PARTICLES):
        return lower
    if not first and _ROMAN_NUMERAL.match(lower):
        return lower.upper()
    pieces = _NAME_PIECE_SPLIT.split(lower)
    out = []
    for index, piece in enumerate(pieces):
        # "d'" before an apostrophe is the elided "de": "Joana d'Arc".
        elided_particle = (
            piece == "d" and not first and pieces[index + 1 : index + 2] in (["'"], ["’"])
        )
        out.append(piece if elided_particle else piece[:1].upper() + piece[1:])
    return "".join(out)


# ---------------------------------------------------------------------------
# 2. validation


def validate(contact, region=DEFAULT_REGION):
    """Problems of ``contact``; an empty list means it can be created.

    ``region`` is the country national phone numbers were read for (named in
    the problem, so the user knows how to write the number).
    """
    _require_contact(contact)
    problems = []
    if not contact.name and not contact.email:
        problems.append(Problem("name", "missing_identity", "A name or an e-mail is required"))
    if contact.email and not is_valid_email(contact.email):
        problems.append(
            Problem("email", "invalid_email", "%r is not a valid e-mail address" % contact.email)
        )
    if contact.phone and not is_valid_phone(contact.phone):
        problems.append(
            Problem(
                "phone",
                "invalid_phone",
                "%r is not a valid phone number, neither international (+ and the "
                "country code) nor national for %s" % (contact.phone, region),
                blocking=False,
            )
        )
    return problems


# Syntax check: the core's one e-mail pattern (a dot-atom local part and a
# domain with at least one dot), within RFC 5321's lengths.
is_valid_email = core.is_valid_email


def _require_contact(contact):
    if not isinstance(contact, NormalizedContact):
        raise core.InvalidRequest("Expected a NormalizedContact, not %s" % type(contact).__name__)


# ---------------------------------------------------------------------------
# 3. duplicates

# Signal strengths, read as the probability that a signal alone means "same person".
# They are combined as independent evidence: 1 - prod(1 - s).
SAME_EMAIL_SCORE = 1.0
SAME_PHONE_SCORE = 0.95
# A similar name counts only from this trigram similarity on.
NAME_MIN_SIMILARITY = 0.5
# A similar name alone stays below the default threshold: namesakes exist.
NAME_ALONE_FACTOR = 0.7
# With the same company or corporate domain: base + span × similarity, so
# "Maria Silva" / "Maria da Silva" (0.8) at the same company scores 0.86.
NAME_IN_CONTEXT_BASE, NAME_IN_CONTEXT_SPAN = 0.5, 0.45


def find_duplicates(contact, candidates, threshold=0.85, *, region=DEFAULT_REGION):
    """Candidates scoring at least ``threshold``, best first, with their reasons.

    ``candidates`` are dicts with ``id`` and any of ``name``, ``email``,
    ``phone``, ``mobile`` and ``company`` (empty, ``None`` or ``False`` values are
    ignored; phones may be written freely). Signals: same e-mail (1.0), same
    phone (0.95), similar accent-insensitive name (stronger at the same company
    or the same corporate e-mail domain); see the module constants.
    """
    _require_contact(contact)
    if not isinstance(candidates, list | tuple):
        raise core.InvalidRequest("Duplicate candidates must be a list of dicts")
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise core.InvalidRequest("The duplicate threshold must be a number between 0 and 1")
    if not 0 <= threshold <= 1:
        raise core.InvalidRequest("The duplicate threshold must be between 0 and 1")
    matches = []
    for candidate in candidates:
        match = _compare(contact, candidate, region)
        if match.score > 0 and match.score >= threshold:
            matches.append(match)
    # Stable sort: equal scores keep more reasons first, then the caller's order.
    matches.sort(key=lambda match: (-match.score, -len(match.reasons)))
    return matches


def _compare(contact, candidate, region):
    if not isinstance(candidate, dict) or _candidate_text(candidate, "id") is None:
        raise core.InvalidRequest("Each duplicate candidate must be a dict with an id")
    signals = []
    # Partner e-mails may be stored formatted: "Maria <maria@acme.com>".
    email = parseaddr(_candidate_text(candidate, "email") or "")[1] or None
    if contact.email and email and email.lower() == contact.email.lower():
        signals.append((SAME_EMAIL_SCORE, "same e-mail %s" % contact.email))
    phones = {
        normalize_phone(_candidate_text(candidate, key), region) for key in ("phone", "mobile")
    }
    if contact.phone and contact.phone in phones:
        signals.append((SAME_PHONE_SCORE, "same phone %s" % contact.phone))
    signals.extend(_name_signal(contact, candidate, email))
    remaining = 1.0
    for strength, _reason in signals:
        remaining *= 1.0 - strength
    score = round(1.0 - remaining, 4)
    return DuplicateMatch(candidate["id"], score, tuple(reason for _s, reason in signals))


def _name_signal(contact, candidate, candidate_email):
    name = _candidate_text(candidate, "name")
    if not contact.name or not name:
        return []
    similarity = core.trigram_similarity(core.strip_accents(contact.name), core.strip_accents(name))
    if similarity < NAME_MIN_SIMILARITY:
        return []
    reasons = ["similar name %r (%.2f)" % (name, similarity)]
    company = _candidate_text(candidate, "company")
    if contact.company and company and _company_key(contact.company) == _company_key(company):
        reasons.append("same company %r" % company)
    domain = _domain_of(candidate_email)
    if domain and _domain_of(contact.email) == domain and not is_free_mail(domain):
        reasons.append("same e-mail domain %s" % domain)
    if len(reasons) > 1:
        strength = NAME_IN_CONTEXT_BASE + NAME_IN_CONTEXT_SPAN * similarity
    else:
        strength = NAME_ALONE_FACTOR * similarity
    return [(strength, ", ".join(reasons))]


def _candidate_text(candidate, key):
    value = candidate.get(key)
    if value is None or isinstance(value, bool):
        return None
    return " ".join(str(value).split()) or None


def _company_key(company):
    return " ".join(word for word in core.words(company) if word not in LEGAL_FORM_WORDS)


# ---------------------------------------------------------------------------
# 4. enrichment


def enrich_from_domain(email):
    """Company guessed from a corporate e-mail's domain, or ``None``.

    ``"ana@vendas.acme-tools.com.br"`` → ``{"domain": "acme-tools.com.br",
    "company_name": "Acme Tools", "website": "https://acme-tools.com.br"}``.
    Free-mail addresses give ``None`` (the domain says nothing about an
    employer), and so does text without a dotted domain.
    """
    if email is None:
        return None
    if not isinstance(email, str):
        raise core.InvalidRequest("The e-mail to enrich from must be text")
    # A bare domain is accepted as well as an address.
    domain = registrable_domain(email.strip().rpartition("@")[2])
    if not domain or is_free_mail(domain):
        return None
    return {
        "domain": domain,
        "company_name": _company_from_label(domain.split(".")[0]),
        "website": "https://%s" % domain,
    }


def registrable_domain(domain):
    """``"mail.acme.com.br"`` → ``"acme.com.br"``; ``None`` without a dot."""
    labels = [label for label in (domain or "").strip(".").lower().split(".") if label]
    if len(labels) < 2:
        return None
    size = 3 if ".".join(labels[-2:]) in MULTI_PART_SUFFIXES and len(labels) >= 3 else 2
    return ".".join(labels[-size:])


def is_free_mail(domain):
    """Whether ``domain`` (or an address) belongs to a free-mail provider."""
    registrable = registrable_domain((domain or "").rpartition("@")[2])
    if not registrable:
        return False
    return registrable in FREE_MAIL_DOMAINS or registrable.split(".")[0] in FREE_MAIL_LABELS


def _company_from_label(label):
    parts = [part for part in re.split(r"[-_]+", label) if part]
    # A lone short label is most likely an acronym: ibm.com → "IBM".
    if len(parts) == 1 and len(parts[0]) <= 3:
        return parts[0].upper()
    return " ".join(part[:1].upper() + part[1:] for part in parts)


def _domain_of(email):
    if not email or "@" not in email:
        return None
    return email.rpartition("@")[2] or None


# ---------------------------------------------------------------------------
# 5. lead scoring


def score_lead(contact, weights=DEFAULT_LEAD_WEIGHTS):
    """Score 0–100: ``Σ weightᵢ × factorᵢ`` rounded half up, clamped to [0, 100].

    Factors, each in [0, 1]:

    * ``corporate_email``: 1 for a valid e-mail outside free-mail providers;
    * ``seniority``: job title level, executive (CEO, founder, sócio…) 1.0,
      director/head 0.8, manager/gerente 0.6, any other title 0.2, junior
      words (assistente, estagiário…) force 0.2;
    * ``company_known``: 1 when the company name is known;
    * ``phone_present``: 1 for a valid E.164 phone;
    * ``source``: ``weights.quality_of(contact.source)``;
    * ``completeness``: share of name, e-mail, phone, company, job title filled.

    ``components`` holds each factor's points (weight × factor).
    """
    _require_contact(contact)
    if not isinstance(weights, LeadWeights):
        raise core.InvalidRequest("Lead weights must be a LeadWeights")
    factors = {
        "corporate_email": float(
            bool(contact.email)
            and is_valid_email(contact.email)
            and not is_free_mail(contact.email_domain)
        ),
        "seniority": seniority_factor(contact.job_title),
        "company_known": float(bool(contact.company)),
        "phone_present": float(is_valid_phone(contact.phone)),
        "source": weights.quality_of(contact.source),
        "completeness": sum(bool(getattr(contact, f)) for f in CONTACT_FIELDS)
        / len(CONTACT_FIELDS),
    }
    components = {
        name: round(getattr(weights, name) * factor, 2) for name, factor in factors.items()
    }
    # Half up, not Python's half-to-even: 79.5 points should reach the 80 band.
    score = max(0, min(100, math.floor(sum(components.values()) + 0.5)))
    return LeadScore(score=score, components=components)


def seniority_factor(job_title):
    """Fraction of the seniority weight a job title earns (0 without a title)."""
    title_words = set(core.words(job_title or ""))
    if not title_words:
        return 0.0
    if title_words & JUNIOR_WORDS:
        return OTHER_TITLE_FACTOR
    # "co-founder" splits into "co" + "founder"; "cofounder" is listed as well.
    for _level, factor, keywords in SENIORITY_LEVELS:
        if title_words & keywords:
            return factor
    return OTHER_TITLE_FACTOR


# ---------------------------------------------------------------------------
# 6. workflows


def workflow_for(score, bands=DEFAULT_BANDS):
    """The follow-up for a score (a number or a :class:`LeadScore`).

    At least ``bands.immediate_contact`` → immediate sales contact, at least
    ``bands.discovery_call`` → a discovery call, otherwise the nurture tag.
    """
    if isinstance(score, LeadScore):
        score = score.score
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise core.InvalidRequest("A lead score must be a number")
    if not isinstance(bands, WorkflowBands):
        raise core.InvalidRequest("Workflow bands must be a WorkflowBands")
    if score >= bands.immediate_contact:
        return WORKFLOWS["immediate_contact"]
    if score >= bands.discovery_call:
        return WORKFLOWS["discovery_call"]
    return WORKFLOWS["nurture"]
