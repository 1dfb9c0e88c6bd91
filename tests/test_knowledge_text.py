"""Knowledge text helpers and identifier masking, with pg_trgm as the reference."""

import random

import psycopg2
import pytest

from conftest import PG_DSN, throwaway_database
from mcp_crew.services.knowledge import privacy, text


@pytest.fixture(scope="module")
def trgm_cursor():
    """A cursor on a throw-away database with pg_trgm, dropped afterwards."""
    with throwaway_database() as name:
        conn = psycopg2.connect(PG_DSN, dbname=name)
        try:
            with conn.cursor() as cr:
                cr.execute("CREATE EXTENSION pg_trgm")
                yield cr
        finally:
            conn.close()


# ---------------------------------------------------------------------------
# content_hash and detect_language


def test_content_hash_ignores_case_accents_punctuation_and_whitespace():
    base = text.content_hash("Informação do Produto", "Preço: R$ 10,00 por unidade.")
    variants = [
        ("informacao do produto", "preco r 10 00 por unidade"),
        ("  INFORMAÇÃO   do\tProduto!!", "Preço —  R$10,00\npor unidade"),
        ("Informação, do: Produto", "(Preço) R$ 10.00 ... por unidade?"),
    ]
    for parts in variants:
        assert text.content_hash(*parts) == base, parts


def test_content_hash_differs_for_different_text():
    base = text.content_hash("Parafuso sextavado", "Aço inox 304")
    assert text.content_hash("Parafuso sextavado", "Aço inox 316") != base
    assert text.content_hash("Parafuso", "sextavado Aço inox 304") != base, "parts stay apart"
    assert text.content_hash("Porca sextavada", "Aço inox 304") != base
    assert len(base) == 64 and int(base, 16) >= 0


def test_detect_language():
    pt = "O prazo de entrega para os pedidos da região Sul é de cinco dias úteis."
    en = "The delivery time for the orders in the southern region is five working days."
    assert text.detect_language(pt) == "pt"
    assert text.detect_language(en) == "en"
    assert text.detect_language("Parafuso sextavado M8") == "simple"
    assert text.detect_language("") == "simple"
    assert text.detect_language(None, default="pt") == "pt"


# ---------------------------------------------------------------------------
# trigram_similarity == pg_trgm similarity()

TRIGRAM_PAIRS = [
    ("parafuso", "parafuzo"),
    ("Parafuso sextavado", "parafuso sextavado inox"),
    ("informação", "informacao"),
    ("INFORMAÇÃO", "informação"),
    ("word", "two words"),
    ("abc123", "abc124"),
    ("", "abc"),
    ("foo_bar", "foo bar"),
    ("hello, world!", "world hello"),
    ("co-op e-mail", "coop email"),
    ("ab", "abc"),
    ("Ñandú über straße", "nandu uber strasse"),
]


@pytest.mark.parametrize("left,right", TRIGRAM_PAIRS)
def test_trigram_similarity_matches_pg_trgm(trgm_cursor, left, right):
    trgm_cursor.execute("SELECT similarity(%s, %s)", (left, right))
    expected = trgm_cursor.fetchone()[0]
    # PostgreSQL answers a float4.
    assert text.trigram_similarity(left, right) == pytest.approx(expected, abs=1e-6)


def test_trigram_similarity_matches_pg_trgm_on_dotted_capital_i(trgm_cursor):
    trgm_cursor.execute("SELECT similarity(%s, %s)", ("İstanbul", "istanbul"))
    expected = trgm_cursor.fetchone()[0]
    assert text.trigram_similarity("İstanbul", "istanbul") == pytest.approx(expected, abs=1e-6)


# ---------------------------------------------------------------------------
# minhash_bands

PARAGRAPH = (
    "Os pedidos de venda aprovados até as quinze horas são separados no mesmo dia "
    "e enviados pela transportadora contratada para a região do cliente. Quando o "
    "estoque do armazém principal não cobre todos os itens, o sistema divide a "
    "entrega e avisa o vendedor responsável por e-mail. Devoluções precisam de "
    "autorização prévia do setor comercial e devem seguir na embalagem original."
)
VOCABULARY = (
    "cliente fornecedor pedido fatura estoque armazém entrega prazo desconto margem "
    "produto serviço contrato garantia suporte chamado técnico visita orçamento proposta "
    "pagamento boleto cartão crédito débito parcela juros multa cobrança recibo nota "
    "imposto frete seguro transporte rota veículo motorista carga volume peso medida "
    "caixa palete etiqueta código lote validade fabricação qualidade inspeção laudo "
    "relatório reunião agenda projeto tarefa prazo equipe gerente diretor analista "
    "sistema módulo tela campo botão filtro busca lista painel gráfico indicador meta"
).split()


def _unrelated_paragraphs(count, seed=20240312):
    rng = random.Random(seed)
    return [" ".join(rng.choice(VOCABULARY) for _ in range(60)) for _ in range(count)]


def test_minhash_bands_identical_text_identical_bands():
    bands = text.minhash_bands(PARAGRAPH)
    assert len(bands) == 5
    assert all(-(2**31) <= band < 2**31 for band in bands)
    assert text.minhash_bands(PARAGRAPH) == bands
    # Normalisation first: case, accents and punctuation do not matter.
    assert text.minhash_bands(PARAGRAPH.upper().replace(",", "")) == bands
    assert text.dedupe_signature(PARAGRAPH) == " ".join(map(str, bands))


def test_minhash_bands_near_duplicate_shares_a_band():
    assert 55 <= len(PARAGRAPH.split()) <= 65
    near = PARAGRAPH.replace("transportadora", "empresa", 1)
    assert near != PARAGRAPH
    assert set(text.minhash_bands(near)) & set(text.minhash_bands(PARAGRAPH))


def test_minhash_bands_unrelated_texts_almost_never_share_a_band():
    bands = set(text.minhash_bands(PARAGRAPH))
    others = _unrelated_paragraphs(200)
    assert len(set(others)) == 200
    colliding = sum(bool(bands & set(text.minhash_bands(other))) for other in others)
    assert colliding / len(others) < 0.02
    # Nor do the generated paragraphs among themselves (19,900 pairs).
    signatures = [set(text.minhash_bands(other)) for other in others]
    pairs = [(i, j) for i in range(len(others)) for j in range(i)]
    shared = sum(bool(signatures[i] & signatures[j]) for i, j in pairs)
    assert shared / len(pairs) < 0.02


def test_minhash_bands_of_empty_text():
    assert text.minhash_bands("") == []
    assert text.minhash_bands(None) == []
    assert text.minhash_bands("  ... !!! ") == []
    assert text.dedupe_signature("") == ""


# ---------------------------------------------------------------------------
# privacy.mask_identifiers

VALID_CPF = "52998224725"
VALID_CNPJ = "11222333000181"


def test_mask_formatted_cpf_and_cnpj_keeps_last_two_digits():
    masked = privacy.mask_identifiers("CPF 529.982.247-25 e CNPJ 11.222.333/0001-81.")
    assert masked == "CPF ***.***.***-25 e CNPJ **.***.***/****-81."


def test_mask_bare_valid_cpf_and_cnpj():
    assert privacy.mask_identifiers("cpf %s" % VALID_CPF) == "cpf *********25"
    assert privacy.mask_identifiers("cnpj %s" % VALID_CNPJ) == "cnpj ************81"
    assert privacy.mask_identifiers(VALID_CPF) == "*********25"
    assert privacy.mask_identifiers("(%s)" % VALID_CPF) == "(*********25)"


def test_mask_bare_cpf_followed_by_punctuation():
    assert privacy.mask_identifiers("CPF: %s." % VALID_CPF) == "CPF: *********25."
    assert privacy.mask_identifiers("%s, %s" % (VALID_CPF, VALID_CNPJ)) == (
        "*********25, ************81"
    )


def test_invalid_bare_eleven_digits_untouched():
    for value in ("52998224724", "12345678901", "11111111111", "11222333000182"):
        assert privacy.mask_identifiers("pedido %s" % value) == "pedido %s" % value


def test_mask_luhn_card_numbers_keeps_last_four():
    assert privacy.mask_identifiers("cartão 4111 1111 1111 1111") == "cartão **** **** **** 1111"
    assert privacy.mask_identifiers("4111-1111-1111-1111") == "****-****-****-1111"
    assert privacy.mask_identifiers("card 4111111111111111.") == "card ************1111."
    assert privacy.mask_identifiers("amex 378282246310005") == "amex ***********0005"


def test_non_luhn_sixteen_digits_untouched():
    for value in ("4111111111111112", "4111 1111 1111 1112", "1234567812345678"):
        assert privacy.mask_identifiers("ref %s" % value) == "ref %s" % value


def test_mask_emails_keeps_first_letter_and_domain():
    masked = privacy.mask_identifiers("Contato: joao.silva+vendas@example.com.br ou a@b.io")
    assert masked == "Contato: j***@example.com.br ou a***@b.io"


@pytest.mark.parametrize(
    "phone,masked",
    [
        ("+55 (11) 91234-5678", "+** (**) *****-5678"),
        ("(11) 1234-5678", "(**) ****-5678"),
        ("11 91234 5678", "** ***** 5678"),
        ("+5511912345678", "+*********5678"),
        ("+1 415 555 0100", "+* *** *** 0100"),
        ("(415) 555-0100", "(***) ***-0100"),
        ("415-555-0100", "***-***-0100"),
        ("415.555.0100", "***.***.0100"),
    ],
)
def test_mask_br_and_us_phones(phone, masked):
    assert privacy.mask_identifiers("ligue %s hoje" % phone) == "ligue %s hoje" % masked


def test_phones_are_found_by_libphonenumber():
    # A valid Brazilian mobile needs no separators to be a phone; any country's
    # number written with its "+" is one.
    assert privacy.mask_identifiers("ligue 11912345678 hoje") == "ligue *******5678 hoje"
    assert privacy.mask_identifiers("call +44 20 7946 0958 now") == "call +** ** **** 0958 now"


def test_business_text_untouched():
    business = (
        "Pedido SO-00042 de 12/03/2024 (2024-03-12, 12.03.2024 às 14:30): 150 un a "
        "R$ 1.234,56 cada, total R$ 185.184,00; US$ 1,299.99; 2.5 kg; 3 x 12 caixas; "
        "fatura INV/2024/0001; compra PO00123; CEP 01310-100; NCM 8471.30.12; "
        "EAN 7891000315507; lote 20240312; versão 16.0.1.2.0; pedido 12345678901."
    )
    assert privacy.mask_identifiers(business) == business


def test_mask_passes_empty_values_through():
    assert privacy.mask_identifiers(None) is None
    assert privacy.mask_identifiers("") == ""
