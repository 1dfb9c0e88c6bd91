"""Tests for mcp_crew_crm.services.contacts: the smart contact creation pipeline."""

import pytest

from mcp_crew.services.errors import InvalidRequest
from mcp_crew_crm.services import contacts
from mcp_crew_crm.services.contacts import (
    DuplicateMatch,
    LeadScore,
    LeadWeights,
    NormalizedContact,
    Transformation,
    WorkflowBands,
)

SIGNATURE = """--
Maria Silva
Diretora Comercial
Acme Tools
Av. Paulista, 1000 - CEP 01310-100
Cel: (11) 98765-4321
www.acme-tools.com.br"""


def contact(**values):
    values.setdefault("source", "web_form")
    return NormalizedContact(**values)


# ---------------------------------------------------------------------------
# normalisation: web form


def test_web_form_maps_portuguese_keys_and_records_every_change():
    result = contacts.normalize(
        {
            "full_name": "  JOSÉ   DOS SANTOS ",
            "E-mail": " Jose@Gmail.COM",
            "telefone": "(11) 98765-4321",
            "empresa": "Padaria  Pão Quente",
            "cargo": "Gerente de Compras",
            "utm_source": "ignored",
        },
        "web_form",
    )
    assert result == NormalizedContact(
        source="web_form",
        name="José dos Santos",
        email="jose@gmail.com",
        phone="+5511987654321",
        company="Padaria Pão Quente",
        job_title="Gerente de Compras",
        transformations=(
            Transformation(
                "name", "  JOSÉ   DOS SANTOS ", "JOSÉ DOS SANTOS", "collapse_whitespace"
            ),
            Transformation("name", "JOSÉ DOS SANTOS", "José dos Santos", "title_case_name"),
            Transformation("email", " Jose@Gmail.COM", "Jose@Gmail.COM", "collapse_whitespace"),
            Transformation("email", "Jose@Gmail.COM", "jose@gmail.com", "lowercase_email"),
            Transformation("phone", "(11) 98765-4321", "+5511987654321", "e164_phone"),
            Transformation(
                "company", "Padaria  Pão Quente", "Padaria Pão Quente", "collapse_whitespace"
            ),
        ),
    )


def test_clean_values_record_no_transformation():
    result = contacts.normalize(
        {"name": "Ana Costa", "email": "ana@acme.com", "phone": "+5511987654321"}, "web_form"
    )
    assert result.transformations == ()
    assert (result.name, result.email, result.phone) == (
        "Ana Costa",
        "ana@acme.com",
        "+5511987654321",
    )


def test_web_form_joins_first_and_last_name():
    result = contacts.normalize({"first_name": "maria", "sobrenome": "da silva"}, "web_form")
    assert result.name == "Maria da Silva"
    assert result.transformations[0] == Transformation(
        "name", "maria + da silva", "maria da silva", "join_first_last"
    )
    assert result.transformations[1].rule == "title_case_name"


def test_full_name_wins_over_first_and_last_name():
    result = contacts.normalize(
        {"full_name": "Ana Costa", "first_name": "Outra", "last_name": "Pessoa"}, "web_form"
    )
    assert result.name == "Ana Costa"
    assert all(t.rule != "join_first_last" for t in result.transformations)


def test_keys_match_case_insensitively_and_empty_values_are_skipped():
    result = contacts.normalize(
        {"Full_Name": "", "NAME": "Ana Costa", "Email": False, "e-mail": "ana@acme.com"},
        "web_form",
    )
    assert (result.name, result.email) == ("Ana Costa", "ana@acme.com")
    assert result.phone is None and result.company is None


def test_numbers_are_accepted_as_text():
    result = contacts.normalize({"name": "Ana", "phone": 11987654321}, "web_form")
    assert result.phone == "+5511987654321"


# ---------------------------------------------------------------------------
# normalisation: e-mail


def test_email_source_parses_from_header_and_signature():
    result = contacts.normalize(
        {"from": '"maria  SILVA" <Maria@ACME-tools.com.br>', "signature": SIGNATURE}, "email"
    )
    assert result.source == "email"
    assert result.name == "Maria Silva"
    assert result.email == "maria@acme-tools.com.br"
    assert result.job_title == "Diretora Comercial"
    assert result.company == "Acme Tools"
    # The address line (digits, CEP) is neither a company nor a phone.
    assert result.phone == "+5511987654321"
    by_rule = {(t.field, t.rule): t for t in result.transformations}
    header = by_rule[("email", "from_header")]
    assert header.before == '"maria  SILVA" <Maria@ACME-tools.com.br>'
    assert header.after == "Maria@ACME-tools.com.br"
    assert by_rule[("phone", "signature")] == Transformation(
        "phone", "Cel: (11) 98765-4321", "(11) 98765-4321", "signature"
    )
    assert by_rule[("phone", "e164_phone")].after == "+5511987654321"
    assert by_rule[("name", "title_case_name")].after == "Maria Silva"


def test_explicit_sender_fields_win_over_the_from_header():
    result = contacts.normalize(
        {
            "from": "Someone Else <other@acme.com>",
            "sender_name": "Carla Dias",
            "sender_email": "carla@acme.com",
        },
        "email",
    )
    assert (result.name, result.email) == ("Carla Dias", "carla@acme.com")
    assert all(t.rule != "from_header" for t in result.transformations)


def test_from_header_with_encoded_name_and_bare_address():
    encoded = contacts.normalize({"from": "=?utf-8?q?Jo=C3=A3o_Pereira?= <joao@x.com.br>"}, "email")
    assert (encoded.name, encoded.email) == ("João Pereira", "joao@x.com.br")
    # Some clients repeat the address as display name: not a name.
    bare = contacts.normalize({"from": '"joao@x.com.br" <joao@x.com.br>'}, "email")
    assert bare.name is None and bare.email == "joao@x.com.br"


def test_signature_title_and_company_on_one_line_and_labelled_lines():
    signature = "Pedro Alves\nHead of Sales | Beta Sistemas\nTelefone: +1 415 555 0100"
    result = contacts.normalize(
        {"from": "Pedro Alves <pedro@beta.io>", "signature": signature}, "email"
    )
    assert (result.job_title, result.company) == ("Head of Sales", "Beta Sistemas")
    assert result.phone == "+14155550100"

    labelled = contacts.normalize(
        {"from": "x@y.com", "signature": "Cargo: Analista\nEmpresa: Gama S.A."}, "email"
    )
    assert (labelled.job_title, labelled.company) == ("Analista", "Gama S.A.")


def test_signature_company_by_legal_form_and_postcode_is_no_phone():
    result = contacts.normalize(
        {"from": "a@b.com", "signature": "Rua das Flores 10, CEP 01310-100\nDelta Comércio Ltda."},
        "email",
    )
    assert result.company == "Delta Comércio Ltda."
    assert result.phone is None


def test_signature_does_not_override_explicit_values():
    result = contacts.normalize(
        {"from": "a@b.com", "signature": SIGNATURE, "signature_company": "Real Company"}, "email"
    )
    assert result.company == "Real Company"
    assert result.job_title == "Diretora Comercial"


# ---------------------------------------------------------------------------
# normalisation: manual and custom mappings


def test_manual_source_reads_odoo_function_field():
    result = contacts.normalize(
        {"name": "ana costa", "function": "CEO", "mobile": "+55 21 2222-3333"}, "manual"
    )
    assert result.source == "manual"
    assert (result.name, result.job_title, result.phone) == ("Ana Costa", "CEO", "+552122223333")


def test_custom_mapping_overrides_only_the_fields_it_names():
    raw = {"nome_cliente": "Bruno Lima", "full_name": "Ignored", "email": "bruno@acme.com"}
    result = contacts.normalize(raw, "web_form", {"name": "nome_cliente"})
    assert (result.name, result.email) == ("Bruno Lima", "bruno@acme.com")
    dropped = contacts.normalize(raw, "web_form", {"email": []})
    assert dropped.email is None and dropped.name == "Ignored"


def test_unknown_source_with_mappings_is_normalised():
    result = contacts.normalize(
        {"attendee": "CLARA NUNES", "mail": "Clara@Eventos.com"},
        "webinar",
        {"name": ["attendee"], "email": ["mail"]},
    )
    assert (result.source, result.name, result.email) == (
        "webinar",
        "Clara Nunes",
        "clara@eventos.com",
    )


@pytest.mark.parametrize(
    "raw, source, mappings, message",
    [
        (["name", "Ana"], "web_form", None, "must be a dict"),
        ("name=Ana", "web_form", None, "must be a dict"),
        ({"name": "Ana"}, "webinar", None, "Unknown contact source"),
        ({"name": "Ana"}, "", None, "non-empty string"),
        ({"name": "Ana"}, "web_form", {"nickname": "x"}, "Unknown field"),
        ({"name": "Ana"}, "web_form", {"name": 3}, "key or a list of keys"),
        ({"name": "Ana"}, "web_form", ["name"], "must be a dict"),
        ({"name": ["Ana"]}, "web_form", None, "text or a number"),
    ],
)
def test_bad_input_raises_invalid_request(raw, source, mappings, message):
    with pytest.raises(InvalidRequest, match=message):
        contacts.normalize(raw, source, mappings)


# ---------------------------------------------------------------------------
# names


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("maria da silva", "Maria da Silva"),
        ("JOÃO DOS SANTOS E SOUZA", "João dos Santos e Souza"),
        ("ANTÔNIO DE ASSIS", "Antônio de Assis"),
        ("de souza", "De Souza"),  # a particle that starts the name is capitalised
        ("ana-maria braga", "Ana-Maria Braga"),
        ("joana d'arc", "Joana d'Arc"),
        ("d'ávila costa", "D'Ávila Costa"),
        ("pedro ii de alcântara", "Pedro II de Alcântara"),
        ("Ronald McDonald", "Ronald McDonald"),  # deliberate casing is kept
        ("ludwig VAN beethoven", "Ludwig van Beethoven"),
    ],
)
def test_title_case_name(raw, expected):
    assert contacts.title_case_name(raw) == expected


# ---------------------------------------------------------------------------
# phones


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("(11) 98765-4321", "+5511987654321"),  # BR mobile
        ("11 98765 4321", "+5511987654321"),
        ("+55 11 98765-4321", "+5511987654321"),
        ("55 11 98765-4321", "+5511987654321"),  # country code without "+"
        ("0055 11 98765-4321", "+5511987654321"),
        ("+55 (011) 98765-4321", "+5511987654321"),  # habitual trunk zero
        ("011 98765-4321", "+5511987654321"),
        ("(21) 2222-3333", "+552122223333"),  # BR landline
        ("021 2222-3333", "+552122223333"),
        ("+1 (415) 555-0100", "+14155550100"),  # US
        ("001 415 555 0100", "+14155550100"),
        ("tel:+44 20 7946 0958", "+442079460958"),
        ("(11) 3333-4444 / (11) 98765-4321", "+551133334444"),  # first of several
        ("98765-4321", None),  # no area code
        ("12345", None),
        ("+1 234", None),
        ("", None),
    ],
)
def test_normalize_phone(raw, expected):
    assert contacts.normalize_phone(raw) == expected


def test_normalize_phone_with_another_default_country():
    assert contacts.normalize_phone("(415) 555-0100", "US") == "+14155550100"
    assert contacts.normalize_phone("020 7946 0958", "GB") == "+442079460958"
    result = contacts.normalize({"name": "Ann", "phone": "415 555 0100"}, "manual", region="US")
    assert result.phone == "+14155550100"


@pytest.mark.parametrize(
    "raw, region, expected",
    [
        # Typed nationally for Brazil, read in a US company: it is no US number,
        # and never becomes "+111987654321".
        ("11 98765-4321", "US", None),
        ("(11) 3333-4444", "US", None),
        # With the country code, it is Brazilian wherever it is typed.
        ("+55 11 98765-4321", "US", "+5511987654321"),
        ("55 11 98765-4321", "US", "+5511987654321"),
        ("11 98765-4321", "BR", "+5511987654321"),
        ("ligue já", "BR", None),
        ("+99 1234 5678", "BR", None),  # no such country code
    ],
)
def test_normalize_phone_never_invents_a_number(raw, region, expected):
    assert contacts.normalize_phone(raw, region) == expected


def test_national_number_of_another_country_is_kept_as_typed_and_reported():
    result = contacts.normalize({"name": "Ana", "phone": "11 98765-4321"}, "web_form", region="US")
    assert result.phone == "11 98765-4321"
    assert not [t for t in result.transformations if t.rule == "e164_phone"]
    problems = contacts.validate(result, "US")
    assert [(p.code, p.blocking) for p in problems] == [("invalid_phone", False)]
    assert "'11 98765-4321'" in problems[0].message and "US" in problems[0].message


def test_unparseable_phone_is_kept_and_reported():
    result = contacts.normalize({"name": "Ana", "phone": " 9876 "}, "web_form")
    assert result.phone == "9876"
    assert [t.rule for t in result.transformations if t.field == "phone"] == ["collapse_whitespace"]
    assert [p.code for p in contacts.validate(result)] == ["invalid_phone"]


# ---------------------------------------------------------------------------
# validation


def test_valid_contact_has_no_problems():
    assert (
        contacts.validate(contact(name="Ana", email="ana@acme.com.br", phone="+5511987654321"))
        == []
    )
    assert contacts.validate(contact(email="ana@acme.com")) == []
    assert contacts.validate(contact(name="Ana")) == []


def test_name_or_email_is_required():
    problems = contacts.validate(contact(phone="+5511987654321", company="Acme"))
    assert [(p.field, p.code) for p in problems] == [("name", "missing_identity")]


@pytest.mark.parametrize(
    "email",
    [
        "ana@localhost",  # no dot in the domain
        "ana.acme.com",
        "ana@@acme.com",
        "ana@acme..com",
        "ana@-acme.com",
        "ana@acme-.com",
        "ana silva@acme.com",
        ".ana@acme.com",
        "ana@acme.c",
        "ana@acme.123",
        "a" * 65 + "@acme.com",
    ],
)
def test_invalid_emails(email):
    assert [p.code for p in contacts.validate(contact(name="Ana", email=email))] == [
        "invalid_email"
    ]


@pytest.mark.parametrize(
    "email",
    ["ana@acme.com", "ana.silva+crm@vendas.acme.com.br", "o'neil@acme.io", "ana@ação.com.br"],
)
def test_valid_emails(email):
    assert contacts.is_valid_email(email)


@pytest.mark.parametrize(
    "phone", ["+551198765", "+1234567890123456", "5511987654321", "+55 11", "+111987654321"]
)
def test_phone_must_be_a_valid_number_in_e164_form(phone):
    problems = contacts.validate(contact(name="Ana", phone=phone))
    assert [p.code for p in problems] == ["invalid_phone"]
    assert phone in problems[0].message


def test_every_problem_is_listed():
    problems = contacts.validate(contact(email="bad", phone="123"))
    assert [(p.code, p.blocking) for p in problems] == [
        ("invalid_email", True),
        ("invalid_phone", False),
    ]


def test_validate_requires_a_normalized_contact():
    with pytest.raises(InvalidRequest):
        contacts.validate({"name": "Ana"})


# ---------------------------------------------------------------------------
# duplicates

MARIA = contact(
    name="Maria Silva",
    email="maria@acme-tools.com.br",
    phone="+5511987654321",
    company="Acme Tools",
)


def test_same_email_is_a_certain_duplicate_case_insensitively():
    [match] = contacts.find_duplicates(MARIA, [{"id": 7, "email": "MARIA@Acme-Tools.com.br"}])
    assert match == DuplicateMatch(7, 1.0, ("same e-mail maria@acme-tools.com.br",))


def test_formatted_partner_email_is_compared_by_address():
    [match] = contacts.find_duplicates(MARIA, [{"id": 7, "email": '"M" <maria@acme-tools.com.br>'}])
    assert match.score == 1.0


def test_same_phone_in_any_format_or_field():
    matches = contacts.find_duplicates(
        MARIA,
        [
            {"id": 1, "phone": "(11) 98765-4321", "mobile": False},
            {"id": 2, "phone": False, "mobile": "+55 11 98765 4321"},
            {"id": 3, "phone": "(11) 98765-0000"},
        ],
    )
    assert [(m.candidate_id, m.score) for m in matches] == [(1, 0.95), (2, 0.95)]
    assert matches[0].reasons == ("same phone +5511987654321",)


def test_similar_name_at_same_company_is_a_duplicate_but_not_elsewhere():
    same = {"id": 1, "name": "Maria da Silva", "company": "ACME TOOLS Ltda."}
    other = {"id": 2, "name": "Maria da Silva", "company": "Outra Empresa"}
    matches = contacts.find_duplicates(MARIA, [other, same])
    assert [m.candidate_id for m in matches] == [1]
    assert matches[0].score == pytest.approx(0.86)
    assert matches[0].reasons == (
        "similar name 'Maria da Silva' (0.80), same company 'ACME TOOLS Ltda.'",
    )
    # Namesakes elsewhere are only reported under a lower threshold.
    low = contacts.find_duplicates(MARIA, [other], threshold=0.5)
    assert low[0].score == pytest.approx(0.56)
    assert low[0].reasons == ("similar name 'Maria da Silva' (0.80)",)


def test_same_corporate_domain_counts_like_same_company():
    [match] = contacts.find_duplicates(
        MARIA, [{"id": 3, "name": "Maria Silva", "email": "m.silva@acme-tools.com.br"}]
    )
    assert match.score == pytest.approx(0.95)
    assert "same e-mail domain acme-tools.com.br" in match.reasons[0]


def test_shared_free_mail_domain_is_no_evidence():
    gmail = contact(name="Maria Silva", email="maria@gmail.com")
    assert (
        contacts.find_duplicates(gmail, [{"id": 3, "name": "Maria Silva", "email": "x@gmail.com"}])
        == []
    )


def test_name_comparison_ignores_accents_and_dissimilar_names_are_dropped():
    joao = contact(name="João Pereira", company="Acme")
    matches = contacts.find_duplicates(
        joao,
        [
            {"id": 1, "name": "Joao Pereira", "company": "acme"},
            {"id": 2, "name": "Carlos Souza", "company": "Acme"},
        ],
        threshold=0.0,
    )
    assert [(m.candidate_id, m.score) for m in matches] == [(1, 0.95)]


def test_duplicates_are_ranked_and_cut_at_the_threshold():
    candidates = [
        {"id": "namesake", "name": "Maria Silva", "company": "Outra"},
        {"id": "colleague", "name": "Maria da Silva", "company": "Acme Tools"},
        {"id": "phone", "phone": "11 98765-4321"},
        {"id": "email+name", "name": "Maria Silva", "email": "maria@acme-tools.com.br"},
        {"id": "email", "email": "maria@acme-tools.com.br"},
        {"id": "stranger", "name": "Pedro Alves", "email": "pedro@x.com"},
    ]
    ranked = contacts.find_duplicates(MARIA, candidates, threshold=0.5)
    assert [m.candidate_id for m in ranked] == [
        "email+name",
        "email",
        "phone",
        "colleague",
        "namesake",
    ]
    scores = [m.score for m in ranked]
    assert scores == sorted(scores, reverse=True)
    default = contacts.find_duplicates(MARIA, candidates)
    assert [m.candidate_id for m in default] == ["email+name", "email", "phone", "colleague"]
    assert contacts.find_duplicates(MARIA, candidates, threshold=1.0)[-1].candidate_id == "email"


def test_phone_and_name_together_score_higher_than_phone_alone():
    matches = contacts.find_duplicates(
        MARIA,
        [
            {"id": 1, "phone": "11987654321"},
            {"id": 2, "phone": "11987654321", "name": "Maria Silva"},
        ],
    )
    assert [m.candidate_id for m in matches] == [2, 1]
    assert matches[0].score > 0.95 and len(matches[0].reasons) == 2


@pytest.mark.parametrize(
    "candidates, threshold",
    [
        ({"id": 1}, 0.85),
        ([{"name": "Maria"}], 0.85),
        ([{"id": False}], 0.85),
        (["Maria"], 0.85),
        ([], 1.5),
        ([], -0.1),
        ([], "high"),
    ],
)
def test_bad_duplicate_input_raises(candidates, threshold):
    with pytest.raises(InvalidRequest):
        contacts.find_duplicates(MARIA, candidates, threshold)


# ---------------------------------------------------------------------------
# enrichment


@pytest.mark.parametrize(
    "email, domain, company",
    [
        ("maria@acme-tools.com.br", "acme-tools.com.br", "Acme Tools"),
        ("ana@vendas.acme-tools.com.br", "acme-tools.com.br", "Acme Tools"),
        ("bob@mail.globex.com", "globex.com", "Globex"),
        ("x@ibm.com", "ibm.com", "IBM"),
        ("y@north_wind.co.uk", "north_wind.co.uk", "North Wind"),
        ("Acme-Tools.COM.BR", "acme-tools.com.br", "Acme Tools"),
    ],
)
def test_enrich_corporate_domain(email, domain, company):
    assert contacts.enrich_from_domain(email) == {
        "domain": domain,
        "company_name": company,
        "website": "https://" + domain,
    }


@pytest.mark.parametrize(
    "email",
    [
        "a@gmail.com",
        "a@hotmail.com.br",
        "a@outlook.com",
        "a@yahoo.com.br",
        "a@uol.com.br",
        "a@bol.com.br",
        "a@icloud.com",
        "a@proton.me",
        "a@protonmail.com",
        "a@live.co.uk",
    ],
)
def test_free_mail_is_not_enriched(email):
    assert contacts.enrich_from_domain(email) is None
    assert contacts.is_free_mail(email)


def test_enrich_without_usable_domain():
    assert contacts.enrich_from_domain(None) is None
    assert contacts.enrich_from_domain("maria@localhost") is None
    assert contacts.enrich_from_domain("") is None
    with pytest.raises(InvalidRequest):
        contacts.enrich_from_domain(42)


# ---------------------------------------------------------------------------
# lead scoring

DIRECTOR = contact(
    name="Maria Silva",
    email="maria@acme-tools.com.br",
    phone="+5511987654321",
    company="Acme Tools",
    job_title="Diretora Comercial",
)


def test_full_corporate_director_from_web_form():
    result = contacts.score_lead(DIRECTOR)
    assert result == LeadScore(
        score=94,
        components={
            "corporate_email": 20.0,
            "seniority": 24.0,
            "company_known": 15.0,
            "phone_present": 10.0,
            "source": 15.0,
            "completeness": 10.0,
        },
    )


def test_free_mail_lead_without_title_from_manual_entry():
    lead = contact(source="manual", name="Zé", email="ze@gmail.com")
    result = contacts.score_lead(lead)
    # source 15 * 0.3 = 4.5, completeness 2/5 * 10 = 4 → 8.5, rounded half up
    assert result.components["corporate_email"] == 0.0
    assert result.components["source"] == 4.5
    assert result.components["completeness"] == 4.0
    assert result.score == 9


def test_invalid_contact_data_earns_nothing():
    lead = contact(source="other", email="not-an-email", phone="123")
    result = contacts.score_lead(lead)
    assert result.components["corporate_email"] == 0
    assert result.components["phone_present"] == 0
    assert result.components["source"] == 0


@pytest.mark.parametrize(
    "title, factor",
    [
        ("CEO", 1.0),
        ("Sócio-fundador", 1.0),
        ("Co-founder & CTO", 1.0),
        ("Vice-Presidente de Vendas", 1.0),
        ("Diretor de TI", 0.8),
        ("Head of Marketing", 0.8),
        ("Gerente de Compras", 0.6),
        ("Sales Manager", 0.6),
        ("Coordenadora de RH", 0.6),
        ("Analista de Sistemas", 0.2),
        ("Lead Generation Analyst", 0.2),
        ("Assistente da Diretoria", 0.2),
        ("Estagiário de Gerência", 0.2),
        (None, 0.0),
        ("", 0.0),
    ],
)
def test_seniority_factor(title, factor):
    assert contacts.seniority_factor(title) == factor


def test_weights_change_the_score():
    manager = contact(
        source="email",
        name="Ana",
        email="ana@acme.com",
        company="Acme",
        job_title="Gerente",
    )
    default = contacts.score_lead(manager)
    assert default.score == 70  # 20 + 18 + 15 + 0 + 9 + 8
    heavy_title = contacts.score_lead(manager, LeadWeights(seniority=60, corporate_email=0))
    assert heavy_title.components["seniority"] == 36.0
    assert heavy_title.score == 68
    trusted_email = contacts.score_lead(manager, LeadWeights(source_quality={"email": 1.0}))
    assert trusted_email.components["source"] == 15.0
    assert trusted_email.score == 76


def test_score_is_clamped_to_100():
    huge = LeadWeights(corporate_email=100, seniority=100)
    assert contacts.score_lead(DIRECTOR, huge).score == 100
    assert contacts.score_lead(contact(name="x"), LeadWeights(*(0,) * 6)).score == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"seniority": -5},
        {"corporate_email": "20"},
        {"phone_present": True},
        {"source_quality": {"web_form": 1.5}},
        {"source_quality": {"web_form": -0.1}},
        {"source_quality": 3},
        {"source_quality": [("web_form",)]},
    ],
)
def test_bad_weights_raise(kwargs):
    with pytest.raises(InvalidRequest):
        LeadWeights(**kwargs)


def test_weights_are_immutable_and_hashable():
    weights = LeadWeights(source_quality={"manual": 0.5, "web_form": 1})
    assert weights.source_quality == (("manual", 0.5), ("web_form", 1))
    assert hash(weights) == hash(LeadWeights(source_quality=[("web_form", 1), ("manual", 0.5)]))
    with pytest.raises(AttributeError):
        weights.seniority = 1


def test_score_lead_rejects_bad_arguments():
    with pytest.raises(InvalidRequest):
        contacts.score_lead({"name": "Ana"})
    with pytest.raises(InvalidRequest):
        contacts.score_lead(DIRECTOR, {"seniority": 10})


# ---------------------------------------------------------------------------
# workflows


@pytest.mark.parametrize(
    "score, code",
    [
        (0, "nurture"),
        (59, "nurture"),
        (59.9, "nurture"),
        (60, "discovery_call"),
        (79, "discovery_call"),
        (80, "immediate_contact"),
        (100, "immediate_contact"),
    ],
)
def test_workflow_bands(score, code):
    assert contacts.workflow_for(score).code == code


def test_workflow_actions():
    immediate = contacts.workflow_for(80)
    assert (immediate.action, immediate.deadline_days) == ("activity", 0)
    discovery = contacts.workflow_for(60)
    assert discovery.action == "activity" and discovery.deadline_days > 0
    nurture = contacts.workflow_for(10)
    assert (nurture.action, nurture.tag) == ("tag", "nurture")


def test_workflow_accepts_a_lead_score_and_custom_bands():
    assert contacts.workflow_for(contacts.score_lead(DIRECTOR)).code == "immediate_contact"
    bands = WorkflowBands(immediate_contact=90, discovery_call=50)
    assert contacts.workflow_for(89, bands).code == "discovery_call"
    assert contacts.workflow_for(50, bands).code == "discovery_call"
    assert contacts.workflow_for(49, bands).code == "nurture"
    assert contacts.workflow_for(90, bands).code == "immediate_contact"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"immediate_contact": 50, "discovery_call": 60},
        {"immediate_contact": 120},
        {"discovery_call": -1},
    ],
)
def test_bad_bands_raise(kwargs):
    with pytest.raises(InvalidRequest):
        WorkflowBands(**kwargs)


@pytest.mark.parametrize("score", ["80", None, True])
def test_workflow_rejects_non_numbers(score):
    with pytest.raises(InvalidRequest):
        contacts.workflow_for(score)


# ---------------------------------------------------------------------------
# the pipeline end to end


def test_pipeline_from_an_email_to_a_workflow():
    lead = contacts.normalize(
        {"from": "Maria Silva <maria@acme-tools.com.br>", "signature": SIGNATURE}, "email"
    )
    assert contacts.validate(lead) == []
    existing = [{"id": 41, "name": "Maria da Silva", "company": "Acme Tools Ltda"}]
    assert [m.candidate_id for m in contacts.find_duplicates(lead, existing)] == [41]
    assert contacts.enrich_from_domain(lead.email)["company_name"] == "Acme Tools"
    score = contacts.score_lead(lead)
    assert score.score == 88  # e-mail source: 15 * 0.6 = 9 instead of 15
    assert contacts.workflow_for(score).code == "immediate_contact"


def test_half_points_round_up_into_the_next_band():
    weights = LeadWeights(0, 0, 0, 0, source=79.5, completeness=0)
    result = contacts.score_lead(contact(name="Ana"), weights)
    assert result.score == 80
    assert contacts.workflow_for(result).code == "immediate_contact"
