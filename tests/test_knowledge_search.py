"""Ranked knowledge search against a real PostgreSQL (throw-away database)."""

import datetime

import psycopg2
import pytest

from conftest import PG_DSN, throwaway_database
from mcp_crew.services.knowledge import search, text

WEIGHTS = search.RankingWeights()
COMPONENTS = ("text", "trigram", "confidence", "recency")

TABLE = """
CREATE TABLE mcp_knowledge (
    id serial PRIMARY KEY,
    name varchar,
    content text,
    topic varchar,
    keywords varchar,
    language varchar,
    confidence float8,
    company_id int,
    active bool DEFAULT true,
    write_date timestamp DEFAULT (now() AT TIME ZONE 'UTC'),
    dedupe_signature varchar
);
CREATE TABLE mcp_knowledge_word (
    company_id int,
    word varchar,
    PRIMARY KEY (company_id, word)
)
"""


@pytest.fixture(scope="module")
def knowledge_db():
    """A database with the knowledge table and its search schema; dropped afterwards."""
    with throwaway_database() as name:
        conn = psycopg2.connect(PG_DSN, dbname=name)
        with conn, conn.cursor() as cr:
            cr.execute(TABLE)
            capabilities = search.ensure_search_schema(cr)
            assert search.ensure_vocabulary_schema(cr)
        conn.close()
        yield name, capabilities


@pytest.fixture
def cr(knowledge_db):
    """A cursor whose transaction is rolled back after the test: tests never share rows."""
    conn = psycopg2.connect(PG_DSN, dbname=knowledge_db[0])
    cursor = conn.cursor()
    yield cursor
    conn.rollback()
    conn.close()


def add(
    cr,
    name,
    content="",
    topic="",
    keywords="",
    language="pt",
    confidence=0.5,
    company_id=1,
    age_days=None,
):
    """Insert one item; ``age_days`` sets write_date that long before now (UTC)."""
    cr.execute(
        "INSERT INTO mcp_knowledge (name, content, topic, keywords, language, confidence, "
        "company_id) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (name, content, topic, keywords, language, confidence, company_id),
    )
    item_id = cr.fetchone()[0]
    search.learn_words(cr, company_id, text.vocabulary(name, content, topic, keywords))
    if age_days is not None:
        cr.execute(
            "UPDATE mcp_knowledge SET write_date = (now() AT TIME ZONE 'UTC') - %s WHERE id = %s",
            (datetime.timedelta(days=age_days), item_id),
        )
    return item_id


def relation(company_id=1):
    return search.Relation('"mcp_knowledge"', '"mcp_knowledge".company_id = %s', (company_id,))


def run(cr, query, company_id=1, **options):
    options.setdefault("vocabulary", search.Vocabulary((company_id,)))
    return search.search(cr, relation(company_id), query, **options)


def ids(results):
    return [result["id"] for result in results]


def weighted(scores):
    return sum(getattr(WEIGHTS, name) * scores[name] for name in COMPONENTS)


# ---------------------------------------------------------------------------
# schema


def test_schema_has_extensions_and_is_idempotent(knowledge_db, cr):
    assert knowledge_db[1] == {"trigram": True, "unaccent": True}
    assert search.ensure_search_schema(cr) == {"trigram": True, "unaccent": True}
    assert search.ensure_search_schema(cr) == {"trigram": True, "unaccent": True}
    assert search.has_trigram(cr)
    cr.execute(
        "SELECT count(*) FROM information_schema.columns "
        "WHERE table_name = 'mcp_knowledge' AND column_name = 'search_vector'"
    )
    assert cr.fetchone()[0] == 1
    cr.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'mcp_knowledge'")
    assert sorted(row[0] for row in cr.fetchall()) == [
        "mcp_knowledge_company_recent_idx",
        "mcp_knowledge_dedupe_bands_idx",
        "mcp_knowledge_pkey",
        "mcp_knowledge_search_vector_idx",
    ]
    cr.execute("SELECT cfgname FROM pg_ts_config WHERE cfgname LIKE 'mcp_crew_%' ORDER BY 1")
    assert [row[0] for row in cr.fetchall()] == sorted(search.TEXT_CONFIGS.values())


# ---------------------------------------------------------------------------
# matching


def test_portuguese_stemming(cr):
    # "produto" only in the content, so the trigram (title + topic) cannot help.
    wanted = add(cr, "Catálogo", "Cada produto tem ficha técnica.", language="pt")
    add(cr, "Catálogo", "Cada serviço tem contrato.", language="pt")
    results = run(cr, "produtos")
    assert ids(results) == [wanted]
    assert results[0]["scores"]["text"] > 0
    assert results[0]["scores"]["trigram"] == 0


def test_english_stemming(cr):
    wanted = add(cr, "Backups", "The backup job runs every night.", language="en")
    add(cr, "Backups", "The backup job is manual.", language="en")
    results = run(cr, "running")
    assert ids(results) == [wanted]
    assert results[0]["scores"]["text"] > 0
    # The same word, unstemmed, does not match an item in the simple configuration.
    add(cr, "Backups", "The backup job runs every night.", language="simple")
    assert ids(run(cr, "running")) == [wanted]


def test_accent_folding(cr):
    accented = add(cr, "Prazos", "A informação de prazo está no contrato.", language="pt")
    plain = add(cr, "Prazos", "A informacao de prazo esta no contrato.", language="simple")
    assert set(ids(run(cr, "informacao"))) == {accented, plain}
    assert set(ids(run(cr, "INFORMAÇÃO"))) == {accented, plain}


def test_typo_corrected_from_the_company_vocabulary(cr):
    wanted = add(cr, "Parafuso sextavado", "Rosca métrica, aço inox.", topic="ferragens")
    zinc = add(cr, "Porca borboleta", "Rosca métrica, aço zincado.", topic="ferragens")
    add(cr, "Parafuso", "Palavra de outra empresa.", company_id=2)
    results = run(cr, "parafuzo")
    assert ids(results) == [wanted]
    assert results[0]["scores"]["trigram"] > 0.5
    assert results[0]["scores"]["text"] > 0, "full text ran again with the corrected word"
    # A typo in the content is corrected too.
    assert ids(run(cr, "zincdo")) == [zinc]
    assert run(cr, "parafuzo", vocabulary=None) == []


def test_correction_floor_decides_when_typos_are_corrected(cr):
    exact = add(cr, "Parafuso sextavado", "Rosca métrica.")
    near = add(cr, "Parafuzo", "Grafia antiga, com z.")  # makes "parafuzo" a known word
    both = ids(run(cr, "parafuso parafuxo"))  # fewer than limit: corrected, both found
    assert set(both) == {exact, near}
    # One full-text match is enough when the caller says so: no correction.
    assert ids(run(cr, "parafuso parafuxo", correct_below=1)) == [exact]


def test_known_words_are_not_corrected(cr):
    add(cr, "Arruela lisa", "Arruela de pressão.")
    cr.execute("SELECT count(*) FROM mcp_knowledge_word WHERE word = 'arruela'")
    assert cr.fetchone()[0] == 1
    assert run(cr, "arruela lisa")[0]["scores"]["text"] > 0
    assert (
        search._corrections(cr, search.Vocabulary((1,)), ["arruela"], search.RankingWeights()) == []
    )


def test_rebuilt_vocabulary_holds_folded_words(cr):
    add(cr, "Informação", "Ação rápida.", company_id=3)
    cr.execute("DELETE FROM mcp_knowledge_word")
    search.rebuild_vocabulary(cr)
    cr.execute("SELECT word FROM mcp_knowledge_word WHERE company_id = 3 ORDER BY word")
    assert [row[0] for row in cr.fetchall()] == ["acao", "informacao", "rapida"]


# ---------------------------------------------------------------------------
# ranking


def test_more_matching_words_rank_higher(cr):
    fewer = add(cr, "Item", "Parafuso comum para madeira.")
    more = add(cr, "Item", "Parafuso sextavado de aço inox para estruturas.")
    add(cr, "Item", "Arruela lisa.")
    results = run(cr, "parafuso inox sextavado")
    assert ids(results) == [more, fewer]
    assert results[0]["scores"]["text"] > results[1]["scores"]["text"]


def test_equal_text_higher_confidence_first(cr):
    # Inserted first: a lower id, so the id tie-break alone would put it last.
    confident = add(cr, "Frete", "Frete grátis acima de mil reais.", confidence=0.9)
    doubtful = add(cr, "Frete", "Frete grátis acima de mil reais.", confidence=0.3)
    results = run(cr, "frete grátis")
    assert ids(results) == [confident, doubtful]
    assert results[0]["scores"]["text"] == results[1]["scores"]["text"]


def test_equal_text_and_confidence_more_recent_first(cr):
    recent = add(cr, "Frete", "Frete grátis acima de mil reais.", age_days=1)
    old = add(cr, "Frete", "Frete grátis acima de mil reais.", age_days=40)
    results = run(cr, "frete")
    assert ids(results) == [recent, old]
    first, second = (result["scores"]["recency"] for result in results)
    assert first == pytest.approx(0.5 ** (1 / 30), abs=1e-3)
    assert second == pytest.approx(0.5 ** (40 / 30), abs=1e-3)


def test_broad_query_ranks_only_its_most_recent_matches(cr):
    best_but_old = add(cr, "Garantia garantia", "Garantia de garantia.", age_days=90)
    recent = [add(cr, "Item %d" % n, "Texto com garantia.", age_days=n) for n in range(3)]
    weights = search.RankingWeights(candidate_limit=3)
    assert set(ids(run(cr, "garantia", limit=3, weights=weights))) == set(recent)
    assert ids(run(cr, "garantia"))[0] == best_but_old


def test_item_with_every_word_is_ranked_however_many_newer_items_share_a_broad_one(cr):
    # "pump" is in every item; the newest candidate_limit of them are newer than
    # the one item about the pump's warranty, which must still come first.
    wanted = add(
        cr, "Hydraulic pump warranty", "Two years, parts and labour.", language="en", age_days=400
    )
    newer = [
        add(cr, "Pump %d" % n, "The pump model %d moves water." % n, language="en", age_days=n)
        for n in range(6)
    ]
    weights = search.RankingWeights(candidate_limit=3)
    results = run(cr, "What is the warranty of the hydraulic pump?", weights=weights)
    assert ids(results)[0] == wanted
    assert len(results) == 3 and set(ids(results[1:])) <= set(newer)
    # A word no item has does not hide it either.
    results = run(cr, "hydraulic pump warranty period", weights=weights)
    assert ids(results)[0] == wanted


def test_function_words_neither_match_nor_score(cr):
    # "simple" keeps every word: its item would match the question by them alone.
    add(cr, "Lista", "What is the list of the things", language="simple")
    wanted = add(cr, "Price list", "The price of the pump.", language="en")
    (result,) = run(cr, "What is the price?")
    assert result["id"] == wanted
    assert run(cr, "what is the") == []


def test_many_query_words_share_candidate_lists_beyond_the_cap(cr):
    wanted = add(cr, "Zebra", "Zebra crossing rules.", language="en", age_days=30)
    add(cr, "Other", "Nothing relevant here.", language="en")
    weights = search.RankingWeights(lexeme_lists=1)
    query = "alpha bravo charlie delta echo foxtrot zebra"
    assert ids(run(cr, query, weights=weights)) == [wanted]


def test_score_is_the_weighted_sum_of_its_components(cr):
    add(cr, "Parafuso sextavado", "Aço inox, rosca métrica.", confidence=0.8, age_days=3)
    add(cr, "Parafuso", "Parafuso para madeira.", confidence=0.2, age_days=90)
    add(cr, "Backup", "The backup runs nightly.", language="en", confidence=None)
    add(cr, "Política de devolução", "Devoluções em até sete dias.", topic="vendas")
    checked = 0
    for query in ("parafuso inox", "parafuzo", "backups", "devolucao vendas", ""):
        for result in run(cr, query):
            assert set(result) == {"id", "score", "scores", "snippet"}
            assert set(result["scores"]) == set(COMPONENTS)
            assert all(isinstance(result["scores"][name], float) for name in COMPONENTS)
            assert result["score"] == pytest.approx(weighted(result["scores"]), abs=1e-6)
            checked += 1
    assert checked >= 8


def test_empty_query_ranks_by_confidence_and_recency(cr):
    low = add(cr, "A", "alfa", confidence=0.2)
    high = add(cr, "B", "beta", confidence=0.9)
    mid_recent = add(cr, "C", "gama", confidence=0.5)
    mid_old = add(cr, "D", "delta", confidence=0.5, age_days=5)
    for query in ("", "   ", None):
        results = run(cr, query)
        assert ids(results) == [high, mid_recent, mid_old, low]
        assert all(r["scores"]["text"] == 0 and r["scores"]["trigram"] == 0 for r in results)
        assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    assert ids(run(cr, "", limit=2)) == [high, mid_recent]
    assert run(cr, "")[-1]["snippet"] == "alfa"


def test_stop_words_only_query_does_not_crash(cr):
    add(cr, "Prazo", "O prazo de entrega é de cinco dias.")
    add(cr, "Delivery", "The delivery takes five days.", language="en")
    for query in ("de da do", "the of and", "o a e", "a"):
        for vocabulary in (search.Vocabulary((1,)), None):
            results = run(cr, query, vocabulary=vocabulary)
            assert isinstance(results, list)


def test_relation_isolates_companies(cr):
    mine = add(cr, "Parafuso sextavado", "Aço inox.", company_id=1)
    theirs = {
        add(cr, "Parafuso sextavado", "Aço inox.", company_id=2),
        add(cr, "Parafuso borboleta", "Aço inox e parafuso.", company_id=2, confidence=1.0),
    }
    for query in ("parafuso", "parafuzo", "aco inox", ""):
        assert ids(run(cr, query, company_id=1)) == [mine], query
        assert set(ids(run(cr, query, company_id=2))) == theirs, query
    assert run(cr, "parafuso", company_id=3) == []


def test_a_narrowed_relation_keeps_its_rows_that_also_meet_the_condition(cr):
    old = add(cr, "Parafuso antigo", "Aço inox.", age_days=10)
    new = add(cr, "Parafuso novo", "Aço inox.")
    cutoff = datetime.datetime.utcnow() - datetime.timedelta(days=1)
    recent = relation(1).narrowed("{t}.write_date > %s", (cutoff,))
    assert recent.params == (1, cutoff)
    assert ids(search.search(cr, recent, "parafuso")) == [new]
    assert set(ids(run(cr, "parafuso"))) == {old, new}
    # Narrowing again keeps both conditions, each with its own parameter.
    assert search.search(cr, recent.narrowed("{t}.id <> %s", (new,)), "parafuso") == []


def test_snippet_highlights_the_matched_word(cr):
    add(cr, "Parafuso", "O parafuso de aço inox resiste à maresia do litoral.")
    (result,) = run(cr, "inox")
    assert "«inox»" in result["snippet"]
    (result,) = run(cr, "aco")
    assert "«aço»" in result["snippet"], "accent-folded match highlights the original word"


def test_results_carry_the_columns_asked_for(cr):
    wanted = add(cr, "Parafuso", "Parafuso inox.", topic="fixação")
    (result,) = run(cr, "inox", columns=("name", "topic", "language"))
    assert result["id"] == wanted
    assert result["values"] == {"name": "Parafuso", "topic": "fixação", "language": "pt"}
    with pytest.raises(ValueError):
        run(cr, "inox", columns=('name"; DROP TABLE mcp_knowledge; --',))


@pytest.mark.parametrize(
    "query",
    [
        "'; DROP TABLE mcp_knowledge; --",
        "a & b | !c",
        "%_",
        "%s %(name)s",
        "parafuso' OR '1'='1",
        "foo:* & !bar <-> baz",
        "C:\\temp\\x.txt \\",
        "<% %> ::tsquery",
        '"quoted" (parens)',
    ],
)
def test_hostile_query_is_safe(knowledge_db, cr, query):
    add(cr, "Parafuso", "Parafuso inox; table de medidas.")
    add(cr, "Porca", "Porca sextavada.")
    results = run(cr, query)
    assert isinstance(results, list)
    cr.execute("SELECT count(*) FROM mcp_knowledge")
    assert cr.fetchone()[0] == 2
    # Seen from another connection too: the table and its search column stand.
    other = psycopg2.connect(PG_DSN, dbname=knowledge_db[0])
    try:
        with other.cursor() as check:
            check.execute("SELECT to_regclass('mcp_knowledge') IS NOT NULL")
            assert check.fetchone()[0]
    finally:
        other.close()
