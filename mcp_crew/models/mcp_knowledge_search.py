"""Searching knowledge: ranking, embeddings, and masking personal identifiers."""

import json
import logging

from psycopg2 import sql

from odoo import _lt, api, fields, models, tools

from ..services.errors import EmbeddingsUnavailable
from ..services.knowledge import embeddings, search
from ..services.knowledge.privacy import mask_identifiers
from ..services.validation import compile_schema
from .arguments import check_arguments
from .functional_settings import get_setting
from .mcp_knowledge_choices import KNOWLEDGE_TYPES

_logger = logging.getLogger(__name__)


# Who reads personal identifiers unmasked, sensitive items and the runs that used them.
CLEARED_GROUP = "mcp_crew.group_mcp_crew_manager"
# What a search result shows of an item, read with its rank.
RESULT_COLUMNS = (
    "name",
    "content",
    "knowledge_type",
    "topic",
    "confidence",
    "language",
    "version",
    "expires_at",
    "write_date",
    "source_kind",
    "source_label",
    "res_model",
    "res_id",
    "keywords",
    "sensitive",
    "active",
)
# Result columns left in the ORM cache, as a read() of them would: a run that
# records the items it used reads these next (its knowledge_ids filter on
# active; see _search_results).
CACHED_COLUMNS = ("name", "knowledge_type", "sensitive", "active")
MAX_QUERY = 1_000
MAX_LIMIT = 100
_NAMES = {"type": ["string", "array", "null", "boolean"], "not": {"const": True}}
SEARCH_VALIDATOR = compile_schema(
    {
        "type": "object",
        "properties": {
            "query": {
                "type": ["string", "null", "boolean"],
                "not": {"const": True},
                "maxLength": MAX_QUERY,
            },
            "types": dict(
                _NAMES,
                items={"enum": [key for key, _label in KNOWLEDGE_TYPES]},
                # One type named alone is a list of one.
                anyOf=[
                    {"type": ["array", "null", "boolean"]},
                    {"enum": [key for key, _label in KNOWLEDGE_TYPES]},
                ],
            ),
            "tags": dict(_NAMES, items={"type": "string"}),
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            "min_confidence": {
                "type": ["number", "null", "boolean"],
                "not": {"const": True},
                "minimum": 0,
                "maximum": 1,
            },
        },
    }
)
SEARCH_MESSAGES = {
    "query": _lt("The search query must be text."),
    ("query", "maxLength"): _lt("The search query is limited to %(limit)s characters."),
    "types": _lt("Unknown knowledge type(s): %(value)s."),
    "tags": _lt("Tags must be a list of names."),
    "limit": _lt("limit must be a whole number from 1 to %s.", MAX_LIMIT),
    "min_confidence": _lt("min_confidence must be between 0 and 1."),
    ("min_confidence", "type"): _lt("min_confidence must be a number."),
}


def must_mask(env):
    """Personal identifiers are masked for everyone but knowledge managers (and code)."""
    return not env.su and not env.user.has_group(CLEARED_GROUP)


def mask_rows(env, rows, names):
    """``read()`` rows with the text of fields ``names`` masked when :func:`must_mask`."""
    if must_mask(env):
        for row in rows:
            for name in names:
                if isinstance(row.get(name), str) and row[name]:
                    row[name] = mask_identifiers(row[name])
    return rows


class McpKnowledgeSearchMixin(models.AbstractModel):
    _name = "mcp.knowledge.search.mixin"
    _description = "Knowledge search, embeddings and masking"

    def read(self, fields=None, load="_classic_read"):
        # search_read, the web client, export and /mcp read through here, as
        # search_knowledge's results do: the same masking for the same people.
        return mask_rows(self.env, super().read(fields, load), ("name", "content", "display_name"))

    def export_data(self, fields_to_export):
        data = super().export_data(fields_to_export)
        if must_mask(self.env):
            data["datas"] = [
                [mask_identifiers(cell) if isinstance(cell, str) else cell for cell in row]
                for row in data["datas"]
            ]
        return data

    def name_get(self):
        names = super().name_get()
        if must_mask(self.env):
            names = [(item_id, mask_identifiers(name or "")) for item_id, name in names]
        return names

    # -- search ---------------------------------------------------------------

    @api.model
    def search_knowledge(
        self, query, types=None, tags=None, limit=10, min_confidence=0, correct_below=None
    ):
        """Ranked items readable by the user, best first, each explaining its rank.

        Query words the company's vocabulary does not know are corrected when
        full text finds fewer than ``correct_below`` items (default ``limit``).

        Returns dicts: ``id, title, content, snippet, knowledge_type, topic,
        tags, confidence, language, version, expires_at, updated_at, source,
        score, scores`` (``text``, ``trigram``, ``confidence``, ``recency`` and,
        with an embeddings endpoint, ``vector``). Personal identifiers are masked
        for users who are not knowledge managers.
        """
        query, types, tags, limit, min_confidence = self._validate_search_args(
            query, types, tags, limit, min_confidence
        )
        return self._search_checked(query, types, tags, limit, min_confidence, correct_below)

    @api.model
    def _search_checked(
        self, query, types=(), tags=(), limit=10, min_confidence=0.0, correct_below=None
    ):
        """:meth:`search_knowledge` on arguments in the shape its check leaves them
        (a stripped query of at most ``MAX_QUERY`` characters, sequences of types and
        tags, a float): for this addon's own callers, which build them so."""
        self._count_operation(self.env.company, "search")
        domain = [("confidence", ">=", min_confidence)]
        if types:
            domain.append(("knowledge_type", "in", types))
        if tags:
            domain.append(("tag_ids.name", "in", tags))
        client = self._embedding_client() if query else None
        # With embeddings, re-rank a wider lexical shortlist.
        shortlist = max(limit * 3, 30) if client else limit
        vocabulary = None
        if self._has_trigram():
            vocabulary = search.Vocabulary(
                tuple(self.env.companies.ids), self.env["mcp.knowledge.word"]._table
            )
        # Outside the domain, whose SQL is kept (see _readable_relation): "now" is not.
        unexpired = self._readable_relation(domain).narrowed(
            "{t}.expires_at IS NULL OR {t}.expires_at > %s", (fields.Datetime.now(),)
        )
        ranked = search.search(
            self.env.cr,
            unexpired,
            query,
            limit=shortlist,
            weights=self._ranking_weights(),
            vocabulary=vocabulary,
            correct_below=correct_below,
            columns=RESULT_COLUMNS,
        )
        if client and ranked:
            ranked = self._rerank_by_embeddings(client, query, ranked)
        ranked = ranked[:limit]
        return self._search_results(ranked)

    @api.model
    def _validate_search_args(self, query, types, tags, limit, min_confidence):
        check_arguments(
            SEARCH_VALIDATOR,
            {
                "query": query,
                "types": types,
                "tags": tags,
                "limit": limit,
                "min_confidence": min_confidence,
            },
            SEARCH_MESSAGES,
        )
        types = [types] if isinstance(types, str) else list(types or [])
        tags = [tags] if isinstance(tags, str) else list(tags or [])
        return (query or "").strip(), types, tags, limit, float(min_confidence or 0)

    @api.model
    @tools.ormcache()
    def _has_trigram(self):
        # Asked once per registry, not once per search: extensions do not come
        # and go while Odoo runs (installing one means an upgrade anyway).
        return search.has_trigram(self.env.cr)

    @api.model
    def _ranking_weights(self):
        return search.RankingWeights(
            trigram_threshold=get_setting(self.env, "trigram_threshold"),
            recency_half_life_days=get_setting(self.env, "recency_half_life_days"),
        )

    @api.model
    def _embedding_client(self):
        base_url = get_setting(self.env, "embeddings_base_url")
        if not base_url:
            return None
        return embeddings.EmbeddingClient(
            base_url,
            get_setting(self.env, "embeddings_model"),
            api_key=get_setting(self.env, "embeddings_api_key") or None,
            timeout=get_setting(self.env, "embeddings_timeout"),
        )

    @api.model
    def _rerank_by_embeddings(self, client, query, ranked):
        """Blend in vector similarity; items get their vector on first use.

        One endpoint call per search: the query plus the shortlisted items that
        have no vector yet. A failing endpoint leaves the lexical ranking.
        """
        items = self.browse([result["id"] for result in ranked])
        vectors = {}
        for item in items.sudo():
            if item.embedding:
                vectors[item.id] = json.loads(item.embedding)
        missing = items.filtered(lambda item: item.id not in vectors)
        try:
            produced = client.embed(
                [query] + ["%s\n%s" % (item.name, item.content) for item in missing]
            )
        except EmbeddingsUnavailable as err:
            _logger.warning("mcp_crew: knowledge search without embeddings: %s", err)
            return ranked
        query_vector, new_vectors = produced[0], produced[1:]
        for item, vector in zip(missing, new_vectors, strict=True):
            vectors[item.id] = vector
            # Raw SQL: caching a vector is not an edit (no version, no event).
            self.env.cr.execute(
                "UPDATE mcp_knowledge SET embedding = %s WHERE id = %s",
                (json.dumps(vector), item.id),
            )
        missing.invalidate_recordset(["embedding"])
        weight = get_setting(self.env, "embeddings_weight")
        return embeddings.rerank(ranked, query_vector, vectors, weight=weight)

    @api.model
    def _search_results(self, ranked):
        """The result dicts of ``ranked``, from the columns the ranking statement read
        (its rows are the user's readable ones) and one statement for the tags."""
        # Items without tags have no keywords (their tag names): no need to ask.
        tags = self._tag_names([r["id"] for r in ranked if r["values"]["keywords"]])
        items = self.browse([result["id"] for result in ranked])
        for name in CACHED_COLUMNS:
            field = self._fields[name]
            # Read after _readable_relation's flush: the values are the stored ones.
            self.env.cache.insert_missing(
                items,
                field,
                [field.convert_to_cache(r["values"][name], items, validate=False) for r in ranked],
            )
        mask = must_mask(self.env)
        results = []
        for result in ranked:
            item = result["values"]
            title, content, snippet = item["name"], item["content"], result["snippet"]
            if mask:
                title, content, snippet = (
                    mask_identifiers(title),
                    mask_identifiers(content),
                    mask_identifiers(snippet),
                )
            results.append(
                {
                    "id": result["id"],
                    "title": title,
                    "content": content,
                    "snippet": snippet,
                    "knowledge_type": item["knowledge_type"] or False,
                    "topic": item["topic"] or "",
                    "tags": tags.get(result["id"], []),
                    "confidence": item["confidence"] or 0.0,
                    "language": item["language"] or False,
                    "version": item["version"] or 0,
                    "expires_at": fields.Datetime.to_string(item["expires_at"]),
                    "updated_at": fields.Datetime.to_string(item["write_date"]),
                    "source": {
                        "kind": item["source_kind"] or False,
                        "label": item["source_label"] or "",
                        "model": item["res_model"] or "",
                        "res_id": item["res_id"] or 0,
                    },
                    "score": result["score"],
                    "scores": result["scores"],
                }
            )
        return results

    @api.model
    def _tag_names(self, ids):
        """Item id → its tag names in the tags' order (name)."""
        if not ids:
            return {}
        relation = self._fields["tag_ids"]
        self.env.cr.execute(
            sql.SQL(
                "SELECT r.{item}, array_agg(t.name ORDER BY t.name, t.id) FROM {rel} r "
                "JOIN {tags} t ON t.id = r.{tag} WHERE r.{item} = ANY(%s) GROUP BY r.{item}"
            ).format(
                item=sql.Identifier(relation.column1),
                tag=sql.Identifier(relation.column2),
                rel=sql.Identifier(relation.relation),
                tags=sql.Identifier(self.env[relation.comodel_name]._table),
            ),
            (list(ids),),
        )
        return dict(self.env.cr.fetchall())
