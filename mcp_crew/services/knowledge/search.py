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


def search(cr, relation, query, limit=10, weights=RankingWeights(), trigram=True):
    """Rank the rows of ``relation`` against ``query``.

    Returns up to ``limit`` dicts ``{id, score, scores: {text, trigram,
    confidence, recency}, snippet}``, best first. An empty query (or one made
    of stop words only, without trigram support) ranks by confidence and
    recency alone.
    """
    query = " ".join((query or "").split())
    t = relation.alias
    lexemes = _or_queries(cr, query, weights, trigram) if query else [None] * 3
    target = TRIGRAM_TARGET.format(t=t)
    if any(lexemes):
        text_rank = _per_language(t, "ts_rank_cd({t}.search_vector, %s::tsquery, 32)", lexemes)
        text_match = _per_language(t, "{t}.search_vector @@ %s::tsquery", lexemes)
        snippet = _Sql("ts_headline(%s, %s.content, " % (_CONFIG_CASE.format(t=t), t))
        snippet += _per_language(t, "%s::tsquery", lexemes)
        snippet += ", 'MaxFragments=2, MaxWords=24, MinWords=8, StartSel=«, StopSel=»')"
    else:
        text_rank, text_match = _Sql("0"), _Sql("false")
        snippet = _Sql("left(%s.content, 240)" % t)
    text_match = _Sql("coalesce(") + text_match + ", false)"
    terms = _trigram_terms(query) if trigram else []
    if terms:
        # Per word, so one mistyped word is found among others that match nothing.
        similarities = [_Sql("word_similarity(%%s, %s)" % target, [term]) for term in terms]
        trigram_score = _Sql("((")
        for index, similarity in enumerate(similarities):
            trigram_score += " + " if index else ""
            trigram_score += similarity
        trigram_score += ") / %d.0)" % len(terms)
        for term in terms:
            text_match += _Sql(" OR %%s <%%%% %s" % target, [term])
        match = text_match
    else:
        trigram_score = _Sql("0")
        match = text_match if query else _Sql("true")
    recency = _Sql(
        "exp(-ln(2) * greatest(0, extract(epoch FROM (now() AT TIME ZONE 'UTC') - "
        "%s.write_date)) / %%s)" % t,
        [weights.recency_half_life_days * 86400.0],
    )
    sql = (
        _Sql("WITH ranked AS (SELECT %s.id AS id, " % t)
        + text_rank
        + " AS text_score, "
        + trigram_score
        + " AS trigram_score, "
        + "coalesce(%s.confidence, 0) AS confidence_score, " % t
        + recency
        + " AS recency_score FROM "
        + _Sql(
            relation.from_clause + " WHERE (" + relation.where_clause + ") AND (", relation.params
        )
        + match
        + _Sql(
            ")), top AS (SELECT *, %s * text_score + %s * trigram_score "
            "+ %s * confidence_score + %s * recency_score AS score FROM ranked "
            "ORDER BY score DESC, id DESC LIMIT %s) "
            "SELECT top.id, top.score, top.text_score, top.trigram_score, "
            "top.confidence_score, top.recency_score, ",
            [weights.text, weights.trigram, weights.confidence, weights.recency, limit],
        )
        + snippet
        + " FROM top JOIN %s %s ON %s.id = top.id ORDER BY top.score DESC, top.id DESC"
        % (relation.table, t, t)
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
