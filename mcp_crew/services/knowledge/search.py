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
* typos: pg_trgm word similarity between the query and title + topic, on a
  GIN trigram index (skipped, not failed, where the extension is missing).

Score = weighted sum of text rank, trigram similarity, confidence and recency
(exponential decay); each result carries every component.
"""

import dataclasses
import logging

import psycopg2
from psycopg2 import sql

_logger = logging.getLogger(__name__)

# Item language → text search configuration created by ensure_search_schema.
TEXT_CONFIGS = {"pt": "mcp_crew_pt", "en": "mcp_crew_en", "simple": "mcp_crew_simple"}
_BASE_CONFIGS = {"pt": "portuguese", "en": "english", "simple": "simple"}
# The trigram target: what a typo in a query is most likely aimed at.
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
    # pg_trgm word similarity a title/topic needs to count as a typo match.
    trigram_threshold: float = 0.5
    # Most recent matches ranked per query; bounds the cost of broad queries.
    candidate_limit: int = 500


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
    indexes = [
        ("search_vector_idx", "gin (search_vector)"),
        ("dedupe_bands_idx", "gin ((string_to_array(dedupe_signature, ' ')::int[]))"),
        # Walked newest first by broad queries, which stop at candidate_limit matches.
        ("company_recent_idx", "btree (company_id, write_date DESC, id DESC)"),
    ]
    if capabilities["trigram"]:
        indexes.append(("title_trgm_idx", "gin (%s gin_trgm_ops)" % TRIGRAM_TARGET))
    for suffix, method in indexes:
        cr.execute(
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING " + method).format(
                sql.Identifier("%s_%s" % (table, suffix)), t, t=t
            )
        )
    return capabilities


def has_trigram(cr):
    return _has_extension(cr, "pg_trgm")


def _or_queries(cr, query, weights, trigram):
    """Per language, the OR of the query's lexemes as tsquery text (``None`` if none)."""
    selects = [
        "(SELECT string_agg(quote_literal(lexeme), ' | ') "
        "FROM unnest(to_tsvector('%s', %%s)))" % config
        for config in TEXT_CONFIGS.values()
    ]
    params = [query] * len(selects)
    if trigram:
        # Transaction-local: only this search's `<%` operator sees it.
        selects.append("set_config('pg_trgm.word_similarity_threshold', %s, true)")
        params.append(str(weights.trigram_threshold))
    cr.execute("SELECT %s" % ", ".join(selects), params)
    row = cr.fetchone()
    return [row[index] for index in range(len(TEXT_CONFIGS))]


def _trigram_terms(query, max_terms=8):
    """Distinct words worth a typo check: three letters or more, longest first."""
    words = {word for word in query.lower().split() if len(word) >= 3}
    return sorted(words, key=lambda word: (-len(word), word))[:max_terms]


class _Sql:
    """An SQL fragment with its positional parameters, composed in order."""

    def __init__(self, text="", params=()):
        self.text = text
        self.params = list(params)

    def __add__(self, other):
        if isinstance(other, str):
            return _Sql(self.text + other, self.params)
        return _Sql(self.text + other.text, self.params + other.params)


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


def _text_match(t, lexemes):
    """OR of one ``language = x AND search_vector @@ query_x`` per language.

    Spelled out, not as a CASE, so the planner can use the GIN index.
    """
    branches = []
    for lang, tsquery in zip(TEXT_CONFIGS, lexemes, strict=True):
        if tsquery is None:
            continue
        if lang == "simple":
            condition = "coalesce(%s.language, 'simple') NOT IN ('pt', 'en')" % t
        else:
            condition = "%s.language = '%s'" % (t, lang)
        branches.append(
            _Sql("(%s AND %s.search_vector @@ %%s::tsquery)" % (condition, t), [tsquery])
        )
    return branches


def _trigram_parts(t, terms):
    """(score, match branches) for typo tolerance on title and topic, per query word."""
    target = TRIGRAM_TARGET.format(t=t)
    score = _Sql("((")
    for index, term in enumerate(terms):
        score += " + " if index else ""
        score += _Sql("word_similarity(%%s, %s)" % target, [term])
    score += ") / %d.0)" % len(terms)
    return score, [_Sql("%%s <%%%% %s" % target, [term]) for term in terms]


def _join(parts, separator):
    joined = _Sql()
    for index, part in enumerate(parts):
        joined += separator if index else ""
        joined += part
    return joined


def search(cr, relation, query, limit=10, weights=RankingWeights(), trigram=True):
    """Rank the rows of ``relation`` against ``query``.

    Returns up to ``limit`` dicts ``{id, score, scores: {text, trigram,
    confidence, recency}, snippet}``, best first. An empty query (or one made
    of stop words only, without trigram support) ranks by confidence and
    recency alone.

    Ranking costs per candidate, so a broad query (a word in most items) ranks
    only its ``weights.candidate_limit`` most recent matches: the planner
    then walks the (company, write_date) index and stops early instead of
    ranking every match.
    """
    query = " ".join((query or "").split())
    t = relation.alias
    lexemes = _or_queries(cr, query, weights, trigram) if query else [None] * 3
    terms = _trigram_terms(query) if trigram else []
    matches = _text_match(t, lexemes)
    if any(lexemes):
        text_rank = _per_language("c", "ts_rank_cd({t}.search_vector, %s::tsquery, 32)", lexemes)
        snippet = _Sql("ts_headline(%s, k.content, " % _CONFIG_CASE.format(t="k"))
        snippet += _per_language("k", "%s::tsquery", lexemes)
        snippet += ", 'MaxFragments=2, MaxWords=24, MinWords=8, StartSel=«, StopSel=»')"
    else:
        text_rank = _Sql("0")
        snippet = _Sql("left(k.content, 240)")
    if terms:
        trigram_score, trigram_matches = _trigram_parts("c", terms)
        matches += _trigram_parts(t, terms)[1]
    else:
        trigram_score = _Sql("0")
    if matches:
        match = _Sql("(") + _join(matches, " OR ") + ")"
    else:
        match = _Sql("true" if not query else "false")
    sql = (
        _Sql(
            f"WITH candidates AS MATERIALIZED (SELECT {t}.id, {t}.language, {t}.search_vector, "
            f"{t}.name, {t}.topic, {t}.confidence, {t}.write_date FROM "
        )
        + _Sql(
            relation.from_clause + " WHERE (" + relation.where_clause + ") AND ", relation.params
        )
        + match
        + _Sql(
            f" ORDER BY {t}.write_date DESC, {t}.id DESC LIMIT %s), ",
            [weights.candidate_limit],
        )
        + "scored AS (SELECT c.id, "
        + _Sql("coalesce(")
        + text_rank
        + ", 0) AS text_score, "
        + trigram_score
        + _Sql(
            " AS trigram_score, coalesce(c.confidence, 0) AS confidence_score, "
            "exp(-ln(2) * greatest(0, extract(epoch FROM (now() AT TIME ZONE 'UTC') "
            "- c.write_date)) / %s) AS recency_score FROM candidates c), ",
            [weights.recency_half_life_days * 86400.0],
        )
        + _Sql(
            "top AS (SELECT *, %s * text_score + %s * trigram_score + %s * confidence_score "
            "+ %s * recency_score AS score FROM scored ORDER BY score DESC, id DESC LIMIT %s) "
            "SELECT top.id, top.score, top.text_score, top.trigram_score, "
            "top.confidence_score, top.recency_score, ",
            [weights.text, weights.trigram, weights.confidence, weights.recency, limit],
        )
        + snippet
        + " FROM top JOIN %s k ON k.id = top.id ORDER BY top.score DESC, top.id DESC"
        % relation.table
    )
    cr.execute(sql.text, sql.params)
    return [
        {
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
        for row in cr.fetchall()
    ]
