"""Ranked knowledge search in PostgreSQL: full text per language + trigrams.

The caller hands over the rows it may see as an SQL relation (``FROM`` and
``WHERE`` with their parameters — in Odoo, the query of the user's domain with
its record rules applied), so access control stays the ORM's; this module adds
the matching and the ranking, in one statement, on indexes:

* full text: a stored, generated ``search_vector`` column (title weight A,
  topic and tags B, content C) built with the item's own language
  configuration — Portuguese and English stemmers and stop words, accents
  folded when the ``unaccent`` extension is available — and a GIN index;
  the query is turned into an OR of its lexemes in each language, so an item
  matching more of the words ranks higher instead of being dropped;
* typos and unknown words: when full text finds too little, each query word
  missing from the company's vocabulary (every word its items use, kept in a
  small table with a GIN trigram index) is corrected to the closest known
  words, and full text runs again with them — a typo in any field is found,
  and the cost does not grow with the number of items. Title and topic
  similarity to the query's words (pg_trgm) also counts in the score. All of
  this is skipped, not failed, where pg_trgm is missing.

Score = weighted sum of text rank, trigram similarity, confidence and recency
(exponential decay); each result carries every component.
"""

import collections
import dataclasses
import logging
import re

import psycopg2
from psycopg2 import sql

from . import text

_logger = logging.getLogger(__name__)

# Item language → text search configuration created by ensure_search_schema.
TEXT_CONFIGS = {"pt": "mcp_crew_pt", "en": "mcp_crew_en", "simple": "mcp_crew_simple"}
_BASE_CONFIGS = {"pt": "portuguese", "en": "english", "simple": "simple"}
# Title and topic: where a query word's similarity counts in the score.
TRIGRAM_TARGET = "(coalesce({t}.name, '') || ' ' || coalesce({t}.topic, ''))"
_CONFIG_CASE = (
    "CASE {t}.language WHEN 'pt' THEN 'mcp_crew_pt'::regconfig "
    "WHEN 'en' THEN 'mcp_crew_en'::regconfig ELSE 'mcp_crew_simple'::regconfig END"
)
_VECTOR_EXPRESSION = (
    "setweight(to_tsvector({cfg}, coalesce({t}.name, '')), 'A') || "
    "setweight(to_tsvector({cfg}, coalesce({t}.topic, '') || ' ' || "
    "coalesce({t}.keywords, '')), 'B') || "
    "setweight(to_tsvector({cfg}, coalesce({t}.content, '')), 'C')"
)


@dataclasses.dataclass(frozen=True)
class RankingWeights:
    text: float = 0.55
    trigram: float = 0.20
    confidence: float = 0.15
    recency: float = 0.10
    recency_half_life_days: float = 30.0
    # pg_trgm similarity a known word needs to stand in for a mistyped one.
    trigram_threshold: float = 0.4
    # Known words tried in place of each unknown query word.
    corrections_per_word: int = 2
    # Most recent matches per query word, and candidates ranked per query:
    # bounds the cost of broad queries.
    candidate_limit: int = 100
    # Query words with a candidate list each, longest first; the others share one.
    lexeme_lists: int = 12


@dataclasses.dataclass(frozen=True)
class Relation:
    """The rows a caller may search: ``SELECT ... FROM {from_clause} WHERE {where_clause}``.

    ``alias`` is how the knowledge table is named in those clauses.
    """

    from_clause: str
    where_clause: str
    params: tuple
    alias: str = '"mcp_knowledge"'
    table: str = "mcp_knowledge"

    def narrowed(self, condition, params=()):
        """These rows that also satisfy ``condition`` (SQL where ``{t}`` is the
        table's alias) with its ``params``."""
        return dataclasses.replace(
            self,
            where_clause="(%s) AND (%s)" % (self.where_clause, condition.format(t=self.alias)),
            params=(*self.params, *params),
        )


@dataclasses.dataclass(frozen=True)
class Vocabulary:
    """The words of these companies' items: ``table (company_id, word)``."""

    company_ids: tuple
    table: str = "mcp_knowledge_word"


def _has_extension(cr, name):
    cr.execute("SELECT 1 FROM pg_extension WHERE extname = %s", (name,))
    return bool(cr.fetchone())


def _try_create_extension(cr, name):
    """Create ``name`` if this role may; a missing extension degrades, never fails."""
    if _has_extension(cr, name):
        return True
    cr.execute("SAVEPOINT mcp_crew_extension")
    try:
        cr.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(name)))
    except psycopg2.Error as err:
        cr.execute("ROLLBACK TO SAVEPOINT mcp_crew_extension")
        _logger.warning("mcp_crew: PostgreSQL extension %s unavailable (%s)", name, err)
        return False
    cr.execute("RELEASE SAVEPOINT mcp_crew_extension")
    return True


def _ensure_text_configs(cr, unaccent):
    for lang, config in TEXT_CONFIGS.items():
        cr.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = %s", (config,))
        if cr.fetchone():
            continue
        base = _BASE_CONFIGS[lang]
        cr.execute(
            sql.SQL("CREATE TEXT SEARCH CONFIGURATION {} (COPY = {})").format(
                sql.Identifier(config), sql.Identifier(base)
            )
        )
        if unaccent:
            dictionary = "simple" if lang == "simple" else "%s_stem" % base
            cr.execute(
                sql.SQL(
                    "ALTER TEXT SEARCH CONFIGURATION {} ALTER MAPPING FOR hword, hword_part, "
                    "word WITH unaccent, {}"
                ).format(sql.Identifier(config), sql.Identifier(dictionary))
            )


def ensure_search_schema(cr, table="mcp_knowledge"):
    """Extensions, text configurations, the search column and its indexes.

    Idempotent; run at every install/upgrade. Returns ``{"trigram": bool,
    "unaccent": bool}``.
    """
    capabilities = {
        "unaccent": _try_create_extension(cr, "unaccent"),
        "trigram": _try_create_extension(cr, "pg_trgm"),
    }
    _ensure_text_configs(cr, capabilities["unaccent"])
    t = sql.Identifier(table)
    cr.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_name = %s "
        "AND column_name = 'search_vector'",
        (table,),
    )
    if not cr.fetchone():
        expression = sql.SQL(_VECTOR_EXPRESSION).format(cfg=sql.SQL(_CONFIG_CASE).format(t=t), t=t)
        cr.execute(
            sql.SQL(
                "ALTER TABLE {} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({}) STORED"
            ).format(t, expression)
        )
    # A long most-common-lexemes list makes rare words estimated as rare, so
    # their queries read the GIN index instead of walking the recency index.
    cr.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN search_vector SET STATISTICS 1000").format(t))
    indexes = [
        ("search_vector_idx", "gin (search_vector)"),
        ("dedupe_bands_idx", "gin ((string_to_array(dedupe_signature, ' ')::int[]))"),
        # Walked newest first by broad queries, which stop at candidate_limit matches.
        ("company_recent_idx", "btree (company_id, write_date DESC, id DESC)"),
    ]
    for suffix, method in indexes:
        cr.execute(
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING " + method).format(
                sql.Identifier("%s_%s" % (table, suffix)), t
            )
        )
    return capabilities


def ensure_vocabulary_schema(cr, vocabulary_table="mcp_knowledge_word"):
    """The trigram index typo correction reads; True when pg_trgm is there for it."""
    if not _try_create_extension(cr, "pg_trgm"):
        return False
    cr.execute(
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gin (word gin_trgm_ops)").format(
            sql.Identifier("%s_trgm_idx" % vocabulary_table), sql.Identifier(vocabulary_table)
        )
    )
    return True


def learn_words(cr, company_id, words, vocabulary_table="mcp_knowledge_word"):
    """Add ``words`` (normalised, see :func:`.text.vocabulary`) to a company's vocabulary."""
    if words:
        cr.execute(
            sql.SQL(
                "INSERT INTO {} (company_id, word) SELECT %s, unnest(%s::varchar[]) "
                "ON CONFLICT DO NOTHING"
            ).format(sql.Identifier(vocabulary_table)),
            (company_id, sorted(words)),
        )


def rebuild_vocabulary(cr, table="mcp_knowledge", vocabulary_table="mcp_knowledge_word"):
    """Fill the vocabulary from every item (after a bulk load, or to drop dead words)."""
    # The same words text.vocabulary() makes: lower-case, accents folded.
    fold = "unaccent(lower({}))" if _has_extension(cr, "unaccent") else "lower({})"
    all_text = (
        "coalesce(name, '') || ' ' || coalesce(topic, '') || ' ' || coalesce(keywords, '') "
        "|| ' ' || coalesce(content, '')"
    )
    cr.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(vocabulary_table)))
    cr.execute(
        sql.SQL(
            "INSERT INTO {} (company_id, word) SELECT DISTINCT company_id, word FROM {}, "
            "regexp_split_to_table(" + fold.format(all_text) + ", '[^[:alnum:]]+') AS word "
            "WHERE length(word) BETWEEN %s AND %s ON CONFLICT DO NOTHING"
        ).format(sql.Identifier(vocabulary_table), sql.Identifier(table)),
        (text.MIN_WORD, text.MAX_WORD),
    )


def has_trigram(cr):
    return _has_extension(cr, "pg_trgm")


# Function words of every language searched. A configuration keeps the other
# languages' ones ("the" in Portuguese, "de" in English, all of them in
# "simple"): in a query they match nothing or everything, and each costs a
# candidate list and its scoring without telling items apart.
_STOPWORDS = frozenset(
    text.strip_accents(word) for words in text.STOPWORDS.values() for word in words
)


def _is_stopword(tsquery):
    """Whether a one-lexeme tsquery text (``'word'``) is a function word."""
    return tsquery[1:-1] in _STOPWORDS or text.strip_accents(tsquery[1:-1]) in _STOPWORDS


# One lexeme of a tsvector's text form: quoted (a quote in it doubled, as a
# tsquery reads it back), then its positions (to_tsvector always gives them,
# and no weights).
_TSVECTOR_ENTRY = re.compile(r"('(?:[^']|'')*'):([0-9,]+)")


def _query_lexemes(cr, query):
    """Per language, the query's lexemes but function words: ``{tsquery text
    ('word'): positions of the query words it stems}``."""
    # The tsvectors' text, split here: unnesting them into JSON in the statement
    # cost PostgreSQL more than computing them (about 0.1 ms a search).
    vectors = ", ".join("to_tsvector('%s', %%s)" % config for config in TEXT_CONFIGS.values())
    cr.execute("SELECT " + vectors, [query] * len(TEXT_CONFIGS))
    return [
        {
            word: [int(position) for position in positions.split(",")]
            for word, positions in _TSVECTOR_ENTRY.findall(vector)
            if not _is_stopword(word)
        }
        for vector in cr.fetchone()
    ]


def _or_queries(lexemes):
    """Per language, the OR of its lexemes as tsquery text (``None`` if none)."""
    return [" | ".join(words) if words else None for words in lexemes]


def _query_terms(query, max_terms=8):
    """Distinct normalised words, function words aside, worth a typo check and a
    title similarity, longest first."""
    words = text.vocabulary(query) - _STOPWORDS
    return sorted(words, key=lambda word: (-len(word), word))[:max_terms]


def _corrections(cr, vocabulary, terms, weights):
    """Known words standing in for the query words the vocabulary does not know."""
    cr.execute(
        sql.SQL(
            "SELECT set_config('pg_trgm.similarity_threshold', %s, true); "
            "SELECT w.word FROM unnest(%s::varchar[]) AS term, LATERAL ("
            "  SELECT word FROM {vocab} WHERE company_id = ANY(%s) AND word %% term"
            "  ORDER BY similarity(word, term) DESC, word LIMIT %s) AS w "
            "WHERE NOT EXISTS (SELECT 1 FROM {vocab} WHERE company_id = ANY(%s) "
            "AND word = term)"
        ).format(vocab=sql.Identifier(vocabulary.table)),
        (
            str(weights.trigram_threshold),
            terms,
            list(vocabulary.company_ids),
            weights.corrections_per_word,
            list(vocabulary.company_ids),
        ),
    )
    return [row[0] for row in cr.fetchall()]


class _Sql:
    """An SQL fragment with its positional parameters, composed in order."""

    def __init__(self, text="", params=()):
        self.text = text
        self.params = list(params)

    def __add__(self, other):
        if isinstance(other, str):
            return _Sql(self.text + other, self.params)
        return _Sql(self.text + other.text, self.params + other.params)

    def __radd__(self, other):
        return _Sql(other + self.text, self.params)


def _per_language(t, template, lexemes):
    """``CASE language`` choosing ``template`` filled with that language's tsquery."""
    sql = _Sql("CASE %s.language" % t)
    for (lang, config), tsquery in zip(TEXT_CONFIGS.items(), lexemes, strict=True):
        branch = "ELSE" if lang == "simple" else "WHEN '%s' THEN" % lang
        if tsquery is None:
            sql += " %s NULL" % branch
        else:
            sql += _Sql(" %s " % branch + template.format(t=t, cfg=config), [tsquery])
    return sql + " END"


def _language_condition(t, lang):
    """The items whose search vector was built with ``lang``'s configuration."""
    if lang == "simple":
        return "coalesce(%s.language, 'simple') NOT IN ('pt', 'en')" % t
    return "%s.language = '%s'" % (t, lang)


def _title_similarity(t, terms):
    """Mean pg_trgm word similarity of the query words to title and topic."""
    target = TRIGRAM_TARGET.format(t=t)
    score = _Sql("((")
    for index, term in enumerate(terms):
        score += " + " if index else ""
        score += _Sql("word_similarity(%%s, %s)" % target, [term])
    return score + ") / %d.0)" % len(terms)


def _join(parts, separator):
    joined = _Sql()
    for index, part in enumerate(parts):
        joined += separator if index else ""
        joined += part
    return joined


def _newest(relation, match, limit, columns="id"):
    """SELECT ``columns`` of the ``relation`` rows satisfying ``match`` (an :class:`_Sql`),
    newest first, at most ``limit``."""
    t = relation.alias
    return (
        _Sql(
            f"SELECT {columns} FROM {relation.from_clause} WHERE ({relation.where_clause}) AND (",
            relation.params,
        )
        + match
        + _Sql(f") ORDER BY {t}.write_date DESC, {t}.id DESC LIMIT %s", [limit])
    )


def _run_ids(cr, query):
    cr.execute(query.text, query.params)
    return [row[0] for row in cr.fetchall()]


def _identifier(name):
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError("not a column name: %r" % name)
    return '"%s"' % name


def _rank(cr, relation, ids, lexemes, terms, limit, weights, columns=()):
    """Score ``ids`` and return the best ``limit`` rows, with snippets and ``columns``.

    One level, no join back to the table for the best rows: PostgreSQL computes
    the snippets (ts_headline, an expensive function) after the sort and limit
    anyway, and a second reference to the table costs its planning. The scores
    are a materialized CTE: inlined, each use of a score (in ``score``, the sort
    key, and as an output column) is planned and computed as its own copy of
    the expression, and PostgreSQL does not share common subexpressions.
    """
    if any(lexemes):
        text_rank = _per_language("c", "ts_rank_cd({t}.search_vector, %s::tsquery, 32)", lexemes)
        snippet = _Sql("ts_headline(%s, s.content, " % _CONFIG_CASE.format(t="s"))
        snippet += _per_language("s", "%s::tsquery", lexemes)
        snippet += ", 'MaxFragments=2, MaxWords=24, MinWords=8, StartSel=«, StopSel=»')"
    else:
        text_rank = _Sql("0")
        snippet = _Sql("left(s.content, 240)")
    trigram_score = _title_similarity("c", terms) if terms else _Sql("0")
    # What the snippet reads, and the caller's columns, once each.
    carried = [_identifier(column) for column in dict.fromkeys(("language", "content", *columns))]
    sql = (
        _Sql("WITH scored AS MATERIALIZED (SELECT c.id, coalesce(")
        + text_rank
        + ", 0) AS text_score, "
        + trigram_score
        + _Sql(
            " AS trigram_score, coalesce(c.confidence, 0) AS confidence_score, "
            "exp(-ln(2) * greatest(0, extract(epoch FROM (now() AT TIME ZONE 'UTC') "
            "- c.write_date)) / %s) AS recency_score",
            [weights.recency_half_life_days * 86400.0],
        )
        + "".join(", c.%s" % column for column in carried)
        + _Sql(f" FROM {relation.table} c WHERE c.id = ANY(%s)) ", [ids])
        + "SELECT s.id, s.score, s.text_score, s.trigram_score, s.confidence_score, "
        "s.recency_score, "
        + snippet
        + "".join(", s.%s" % _identifier(column) for column in columns)
        + _Sql(
            " FROM (SELECT *, %s * text_score + %s * trigram_score + %s * confidence_score "
            "+ %s * recency_score AS score FROM scored) AS s "
            "ORDER BY s.score DESC, s.id DESC LIMIT %s",
            [weights.text, weights.trigram, weights.confidence, weights.recency, limit],
        )
    )
    cr.execute(sql.text, sql.params)
    return cr.fetchall()


def search(
    cr,
    relation,
    query,
    limit=10,
    weights=RankingWeights(),
    vocabulary=None,
    correct_below=None,
    columns=(),
):
    """Rank the rows of ``relation`` against ``query``.

    Returns up to ``limit`` dicts ``{id, score, scores: {text, trigram,
    confidence, recency}, snippet}``, best first. An empty query (or one made
    of stop words only) ranks by confidence and recency alone. ``vocabulary``
    (a :class:`Vocabulary`, needs pg_trgm) enables typo correction and the
    title similarity score; without it both are skipped. ``correct_below``
    (default ``limit``): typo correction runs when full text finds fewer
    candidates than this — 1 when any match will do. ``columns``: names of the
    table's columns each result also carries, in ``values`` (read in the
    ranking statement, not by another).

    Short statements, each with a plan that stays cheap at any size:

    1. full-text candidates, at most ``weights.candidate_limit``: per query
       word its newest matches — a broad word (in most items) walks the
       (company, write_date) index and stops early, a rare one reads the GIN
       index — those matching most words first;
    2. only when they are fewer than ``correct_below``: corrections of the unknown
       words from the vocabulary's trigram index, and full text again with them;
    3. the scores of the candidates, computed once each.
    """
    query = " ".join((query or "").split())
    terms = _query_terms(query) if vocabulary else []
    if not query:
        lexemes = [[]] * len(TEXT_CONFIGS)
        ids = _run_ids(cr, _newest(relation, _Sql("true"), weights.candidate_limit))
    else:
        lexemes = _query_lexemes(cr, query)
        ids = _text_candidates(cr, relation, lexemes, weights)
        if terms and len(ids) < (limit if correct_below is None else correct_below):
            corrections = _corrections(cr, vocabulary, terms, weights)
            if corrections:
                lexemes = _query_lexemes(cr, " ".join([query] + corrections))
                ids += [i for i in _text_candidates(cr, relation, lexemes, weights) if i not in ids]
    if not ids:
        return []
    results = []
    for row in _rank(cr, relation, ids, _or_queries(lexemes), terms, limit, weights, columns):
        result = {
            "id": row[0],
            "score": round(float(row[1]), 6),
            "scores": {
                "text": round(float(row[2]), 6),
                "trigram": round(float(row[3]), 6),
                "confidence": round(row[4], 6),
                "recency": round(row[5], 6),
            },
            "snippet": row[6],
        }
        if columns:
            result["values"] = dict(zip(columns, row[7:], strict=True))
        results.append(result)
    return results


def _text_candidates(cr, relation, lexemes, weights):
    """Ids of the rows matching any of ``lexemes``, at most ``weights.candidate_limit``.

    One list per query word (its lexemes in every language), each its newest
    ``candidate_limit`` matches: a broad word's list walks the recency index
    and stops early, a rare word's reads the GIN index, and an item matching
    the rare words is in their lists however many newer items share the broad
    ones. Of the union, the rows in most lists (matching most words) come
    first, then the newest.
    """
    t = relation.alias
    by_position = collections.defaultdict(dict)  # query word → {lexeme: its languages}
    for lang, words in zip(TEXT_CONFIGS, lexemes, strict=True):
        for word, positions in words.items():
            for position in positions:
                by_position[position].setdefault(word, set()).add(lang)
    groups = {}  # the lexemes of one word → the languages whose query has them
    for found in by_position.values():
        groups.setdefault(frozenset(found), set()).update(*found.values())
    # The longest (likely rarest) words get a list each; the rest share one.
    single = sorted(groups, key=lambda group: (-max(map(len, group)), sorted(group)))
    single = single[: weights.lexeme_lists]
    limit = weights.candidate_limit
    lists = []
    for group in single:
        # Only the word's lexemes inside, so that the planner estimates its rows
        # from the column's statistics; an item counts for the languages whose
        # query has the word, checked outside the LIMIT (no pushdown through it).
        match = _Sql("%s.search_vector @@ %%s::tsquery" % t, [" | ".join(sorted(group))])
        newest = _newest(relation, match, limit, f"{t}.id, {t}.write_date, {t}.language")
        found = "SELECT id, write_date FROM (" + newest + ") AS l"
        if len(groups[group]) < len(TEXT_CONFIGS):
            found += " WHERE " + " OR ".join(
                _language_condition("l", lang) for lang in sorted(groups[group])
            )
        lists.append("(" + found + ")")
    kept = set().union(*single)
    rest = [
        _Sql(
            "(%s AND %s.search_vector @@ %%s::tsquery)" % (_language_condition(t, lang), t),
            [" | ".join(sorted(set(words) - kept))],
        )
        for lang, words in zip(TEXT_CONFIGS, lexemes, strict=True)
        if set(words) - kept
    ]
    if rest:
        columns = f"{t}.id, {t}.write_date"
        lists.append("(" + _newest(relation, _join(rest, " OR "), limit, columns) + ")")
    if not lists:
        return []
    query = (
        "SELECT id FROM ("
        + _join(lists, " UNION ALL ")
        + _Sql(
            ") AS found GROUP BY id ORDER BY count(*) DESC, max(write_date) DESC, id DESC LIMIT %s",
            [limit],
        )
    )
    return _run_ids(cr, query)
