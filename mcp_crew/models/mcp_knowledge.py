import datetime
import json
import logging

from odoo import _, api, fields, models, tools
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import escape_psql

from ..runtime import get_engine
from ..services.errors import EmbeddingsUnavailable
from ..services.knowledge import embeddings, search, text
from ..services.knowledge.privacy import mask_identifiers
from ..services.spec import CacheScope

_logger = logging.getLogger(__name__)

KNOWLEDGE_TYPES = [
    ("product_info", "Product information"),
    ("customer_insight", "Customer insight"),
    ("conversation_summary", "Conversation summary"),
    ("analysis_result", "Analysis result"),
    ("recommendation", "Recommendation"),
    ("market_data", "Market data"),
    ("technical_spec", "Technical specification"),
    ("general_fact", "General fact"),
]
# Days an item lives unless told otherwise (settings override); 0 = no expiry.
DEFAULT_TTL_DAYS = {
    "product_info": 90,
    "customer_insight": 180,
    "conversation_summary": 365,
    "analysis_result": 30,
    "recommendation": 30,
    "market_data": 7,
    "technical_spec": 365,
    "general_fact": 0,
}
SOURCE_KINDS = [
    ("user", "User"),
    ("agent", "Agent"),
    ("crew", "Crew"),
    ("mcp_server", "MCP server"),
    ("run", "Run"),
]
LANGUAGES = [("pt", "Portuguese"), ("en", "English"), ("simple", "Other")]
# Fields whose change makes a new version (the rest is metadata).
VERSIONED_FIELDS = ("name", "content", "topic", "confidence", "tag_ids")
# Fields whose words feed the company vocabulary (typo correction).
WORD_FIELDS = {"name", "content", "topic", "tag_ids"}
STORE_KEYS = {
    "id",
    "title",
    "content",
    "knowledge_type",
    "topic",
    "tags",
    "source",
    "confidence",
    "expires_at",
    "ttl_days",
    "language",
    "sensitive",
    "related_ids",
    "company_id",
    "change_note",
}
MAX_CONTENT = 100_000
# Who reads personal identifiers unmasked, sensitive items and the runs that used them.
CLEARED_GROUP = "mcp_crew.group_mcp_crew_manager"
MAX_QUERY = 1_000
MAX_LIMIT = 100


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


class McpKnowledge(models.Model):
    _name = "mcp.knowledge"
    _inherit = ["mcp.company.guard"]
    _description = "Knowledge item"
    _order = "write_date desc, id desc"

    name = fields.Char("Title", required=True)
    content = fields.Text(required=True)
    knowledge_type = fields.Selection(KNOWLEDGE_TYPES, required=True, index=True)
    topic = fields.Char(index=True)
    tag_ids = fields.Many2many("mcp.knowledge.tag", string="Tags")
    keywords = fields.Char(
        compute="_compute_keywords",
        store=True,
        help="Tag names, indexed for full-text search with the topic.",
    )
    source_kind = fields.Selection(SOURCE_KINDS, required=True, default="user")
    source_label = fields.Char(help="Who produced it: agent, crew or server name.")
    res_model = fields.Char("Source model", index=True)
    res_id = fields.Many2oneReference("Source record", model_field="res_model")
    confidence = fields.Float(default=0.8, digits=(3, 2), group_operator="avg")
    expires_at = fields.Datetime(index=True)
    archived_at = fields.Datetime(readonly=True, index=True)
    language = fields.Selection(
        LANGUAGES,
        help="Stemmer and stop words search uses for this item; detected from the text "
        "when left empty.",
    )
    related_ids = fields.Many2many(
        "mcp.knowledge",
        "mcp_knowledge_related_rel",
        "knowledge_id",
        "related_id",
        string="Related items",
    )
    # Indexed by the (company_id, write_date) index of the search schema: a
    # second, single-column index would only cost writes.
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    sensitive = fields.Boolean(help="Only knowledge managers can read sensitive items.")
    active = fields.Boolean(default=True)
    version = fields.Integer(default=1, readonly=True)
    version_ids = fields.One2many("mcp.knowledge.version", "knowledge_id", string="History")
    content_hash = fields.Char(readonly=True, index=True, copy=False)
    dedupe_signature = fields.Char(readonly=True, copy=False)
    embedding = fields.Text(readonly=True, copy=False, prefetch=False)
    is_expired = fields.Boolean(compute="_compute_is_expired")

    _sql_constraints = [
        (
            "confidence_range",
            "CHECK(confidence >= 0 AND confidence <= 1)",
            "Confidence must be between 0 and 1.",
        ),
    ]

    def init(self):
        capabilities = search.ensure_search_schema(self.env.cr, self._table)
        if not capabilities["trigram"]:
            _logger.warning(
                "mcp_crew: pg_trgm is not installed; knowledge search works without "
                "typo tolerance (CREATE EXTENSION pg_trgm as a superuser to enable it)"
            )
        if not capabilities["unaccent"]:
            _logger.warning(
                "mcp_crew: unaccent is not installed; knowledge search does not fold accents"
            )

    @api.depends("tag_ids.name")
    def _compute_keywords(self):
        for item in self:
            item.keywords = " ".join(item.tag_ids.mapped("name"))

    def _compute_is_expired(self):
        now = fields.Datetime.now()
        for item in self:
            item.is_expired = bool(item.expires_at and item.expires_at <= now)

    # -- CRUD -----------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._complete_derived_values(vals)
        items = super().create(vals_list)
        items._learn_vocabulary()
        items._write_versions(note=_("Created"), changed=("name", "content"))
        self.env["mcp.knowledge.event"]._record("created", items)
        return items

    def write(self, vals):
        if len(self) > 1 and ("content" in vals or "name" in vals):
            # Hash and signature are per item: derive them one item at a time.
            for item in self:
                item.write(dict(vals))
            return True
        if "active" in vals:
            vals["archived_at"] = False if vals["active"] else fields.Datetime.now()
        self._complete_derived_values(vals)
        if not set(vals) & set(VERSIONED_FIELDS) or self.env.context.get(
            "mcp_knowledge_no_version"
        ):
            return super().write(vals)
        # Only items whose versioned values really change get a new version.
        changes = {item.id: item._changes(vals) for item in self}
        changed_items = self.filtered(lambda item: changes[item.id])
        for item in changed_items:
            super(McpKnowledge, item).write(dict(vals, version=item.version + 1))
            if set(changes[item.id]) & WORD_FIELDS:
                item._learn_vocabulary()
            item._write_versions(
                note=self.env.context.get("mcp_knowledge_change_note"), changed=changes[item.id]
            )
        self.env["mcp.knowledge.event"]._record("versioned", changed_items)
        rest = self - changed_items
        return super(McpKnowledge, rest).write(vals) if rest else True

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

    def unlink(self):
        self.env["mcp.knowledge.event"]._record("deleted", self)
        return super().unlink()

    def _complete_derived_values(self, vals):
        """Hash, near-duplicate signature and language from title and content."""
        if "content" in vals or "name" in vals:
            name = vals.get("name", self[:1].name if self else "")
            content = vals.get("content", self[:1].content if self else "")
            vals["content_hash"] = text.content_hash(name, content)
            vals["dedupe_signature"] = text.dedupe_signature(content)
            vals["embedding"] = False
            # Detected, unless chosen now or before (an explicit choice sticks).
            if not vals.get("language") and not (self[:1].language if self else False):
                vals["language"] = text.detect_language("%s\n%s" % (name, content))

    def _learn_vocabulary(self):
        """Words of these items join their company's vocabulary (typo correction)."""
        for item in self.sudo():
            words = text.vocabulary(item.name, item.topic, item.keywords, item.content)
            search.learn_words(
                self.env.cr, item.company_id.id, words, self.env["mcp.knowledge.word"]._table
            )

    def _changes(self, vals):
        """Names of the versioned fields ``vals`` would change on this item."""
        self.ensure_one()
        changes = []
        for name in VERSIONED_FIELDS:
            if name not in vals:
                continue
            field = self._fields[name]
            new = self.new({name: vals[name]})[name] if field.type == "many2many" else vals[name]
            current = self[name]
            if field.type == "many2many":
                if set(new.ids) != set(current.ids):
                    changes.append(name)
            elif field.type == "float":
                if abs((new or 0.0) - (current or 0.0)) > 1e-6:
                    changes.append(name)
            elif (new or False) != (current or False):
                changes.append(name)
        return changes

    def _write_versions(self, note, changed):
        self.env["mcp.knowledge.version"].sudo().create(
            [
                {
                    "knowledge_id": item.id,
                    "version": item.version,
                    "name": item.name,
                    "content": item.content,
                    "topic": item.topic,
                    "confidence": item.confidence,
                    "tag_names": ", ".join(item.tag_ids.mapped("name")),
                    "changed_fields": ", ".join(changed),
                    "change_note": note,
                }
                # sudo: whoever files a sensitive item may not read it back.
                for item in self.sudo()
            ]
        )

    # -- actions --------------------------------------------------------------

    def action_view_versions(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("History of %s", self.name),
            "res_model": "mcp.knowledge.version",
            "view_mode": "tree,form",
            "domain": [("knowledge_id", "=", self.id)],
        }

    # -- store ----------------------------------------------------------------

    @api.model
    def store(self, vals):
        """Create an item, or a new version of the same item, or refresh a duplicate.

        ``vals``: ``title``, ``content``, ``knowledge_type`` (required unless
        ``id`` names the item), ``topic``, ``tags`` (names), ``source``
        (``{"kind", "label", "model", "res_id"}``), ``confidence`` (0–1),
        ``expires_at`` or ``ttl_days``, ``language`` (pt/en/simple, guessed when
        absent), ``sensitive``, ``related_ids``, ``company_id``, ``change_note``.

        The same item is the one named by ``id``, else the active one of the
        company with the same type, topic and title. Content that duplicates
        another item — same normalised text, or trigram similarity above the
        threshold — refreshes that item's expiry and confidence instead.

        Returns ``{"id", "action", "version"}``; ``action`` is ``created``,
        ``versioned``, ``refreshed`` or ``duplicate``.
        """
        result = self._store(vals)
        company = self.browse(result["id"]).company_id
        self._count_operation(company, result["action"])
        return result

    def _store(self, vals):
        clean = self._validate_store_vals(vals)
        company = clean.pop("company")
        target = self._store_target(clean, company)
        if target:
            target.check_access_rights("write")
            target.check_access_rule("write")
            return target._store_new_version(clean)
        duplicate = self._find_duplicate(clean, company)
        if duplicate:
            duplicate._refresh_from(clean)
            return {"id": duplicate.id, "action": "duplicate", "version": duplicate.version}
        item = self.with_company(company).create(self._record_values(clean, company))
        return {"id": item.id, "action": "created", "version": item.version}

    @api.model
    def _validate_store_vals(self, vals):
        """``vals`` checked and normalised, plus the target ``company``; raises on bad input."""
        if not isinstance(vals, dict):
            raise ValidationError(_("store() expects a dictionary of values."))
        unknown = set(vals) - STORE_KEYS
        if unknown:
            raise ValidationError(_("Unknown knowledge value(s): %s.", ", ".join(sorted(unknown))))
        clean = dict(vals)
        clean["company"] = self.env.company
        if clean.get("company_id"):
            clean["company"] = self.env["res.company"].browse(int(clean["company_id"]))
            if clean["company"] not in self.env.companies:
                raise AccessError(_("You cannot store knowledge for that company."))
        self._check_store_text(clean)
        self._check_store_metadata(clean)
        return clean

    @api.model
    def _check_store_text(self, clean):
        for key in ("title", "content", "topic", "change_note"):
            if key in clean and clean[key] is not False and not isinstance(clean[key], str):
                raise ValidationError(_("%s must be text.", key))
        if not clean.get("id"):
            for key in ("title", "content", "knowledge_type"):
                if not (clean.get(key) or "").strip():
                    raise ValidationError(_("A knowledge item needs a %s.", key))
        if len(clean.get("content") or "") > MAX_CONTENT:
            raise ValidationError(_("Content is limited to %s characters.", MAX_CONTENT))
        tags = clean.get("tags") or []
        if isinstance(tags, str) or not all(isinstance(tag, str) for tag in tags):
            raise ValidationError(_("Tags must be a list of names."))

    @api.model
    def _check_store_metadata(self, clean):
        valid_types = dict(KNOWLEDGE_TYPES)
        if clean.get("knowledge_type") and clean["knowledge_type"] not in valid_types:
            raise ValidationError(
                _(
                    "Unknown knowledge type %(type)s; use one of %(valid)s.",
                    type=clean["knowledge_type"],
                    valid=", ".join(valid_types),
                )
            )
        if "confidence" in clean:
            try:
                clean["confidence"] = float(clean["confidence"])
            except (TypeError, ValueError) as err:
                raise ValidationError(_("Confidence must be a number.")) from err
            if not 0 <= clean["confidence"] <= 1:
                raise ValidationError(_("Confidence must be between 0 and 1."))
        if clean.get("language") and clean["language"] not in dict(LANGUAGES):
            raise ValidationError(_("Language must be pt, en or simple."))
        source = clean.get("source") or {}
        if not isinstance(source, dict) or source.get("kind", "user") not in dict(SOURCE_KINDS):
            raise ValidationError(
                _(
                    "Source must be a dictionary whose kind is one of %s.",
                    ", ".join(dict(SOURCE_KINDS)),
                )
            )
        if clean.get("expires_at"):
            try:
                clean["expires_at"] = fields.Datetime.to_datetime(clean["expires_at"])
            except ValueError as err:
                raise ValidationError(_("expires_at is not a date and time.")) from err

    @api.model
    def _store_target(self, clean, company):
        if clean.get("id"):
            item = self.with_context(active_test=False).search([("id", "=", int(clean["id"]))])
            if not item:
                raise ValidationError(_("Knowledge item %s does not exist.", clean["id"]))
            return item
        return self.search(
            [
                ("company_id", "=", company.id),
                ("knowledge_type", "=", clean["knowledge_type"]),
                ("topic", "=", clean.get("topic") or False),
                ("name", "=ilike", escape_psql(clean["title"].strip())),
            ],
            limit=1,
        )

    @api.model
    def _find_duplicate(self, clean, company):
        digest = text.content_hash(clean["title"], clean["content"])
        domain = [("company_id", "=", company.id)]
        exact = self.search(domain + [("content_hash", "=", digest)], limit=1)
        if exact:
            return exact
        bands = text.minhash_bands(clean["content"])
        if not bands:
            return self.browse()
        # Candidates share a MinHash band (GIN index); trigram similarity decides.
        relation = self._readable_relation(domain)
        # The band index alone first (a handful of rows), then the access filter:
        # combined, the planner prefers walking the whole company instead.
        t = relation.alias
        self.env.cr.execute(
            f"WITH sharing_a_band AS MATERIALIZED (SELECT id FROM {self._table} "
            f"WHERE string_to_array(dedupe_signature, ' ')::int[] && %s::int[]) "
            f"SELECT {t}.id, {t}.content FROM {relation.from_clause} "
            f"WHERE ({relation.where_clause}) AND {t}.id IN (SELECT id FROM sharing_a_band)",
            [bands] + list(relation.params),
        )
        threshold = self._knowledge_param_float("dedupe_threshold", 0.85)
        best_id, best = None, threshold
        for item_id, content in self.env.cr.fetchall():
            similarity = text.trigram_similarity(content, clean["content"])
            if similarity >= best:
                best_id, best = item_id, similarity
        return self.browse(best_id) if best_id else self.browse()

    def _refresh_from(self, clean):
        """A duplicate was stored again: it lives longer and is more certain."""
        self.ensure_one()
        expires_at = self._expiry_for(clean, self.knowledge_type)
        vals = {"confidence": max(self.confidence, clean.get("confidence", self.confidence))}
        if self.expires_at and (not expires_at or expires_at > self.expires_at):
            vals["expires_at"] = expires_at
        self.with_context(mcp_knowledge_no_version=True).write(vals)

    def _store_new_version(self, clean):
        self.ensure_one()
        vals = self._field_values(clean, self.company_id)
        changed = self._changes(vals)
        # Unchanged text must not be re-derived (hash, signature, cached vector).
        vals = {k: v for k, v in vals.items() if k not in VERSIONED_FIELDS or k in changed}
        vals["expires_at"] = self._expiry_for(clean, self.knowledge_type)
        if not self.active:
            vals["active"] = True
        note = clean.get("change_note") or False
        self.with_context(mcp_knowledge_change_note=note).write(vals)
        return {
            "id": self.id,
            "action": "versioned" if changed else "refreshed",
            "version": self.version,
        }

    @api.model
    def _record_values(self, clean, company):
        vals = self._field_values(clean, company)
        vals.update(
            knowledge_type=clean["knowledge_type"],
            expires_at=self._expiry_for(clean, clean["knowledge_type"]),
            company_id=company.id,
        )
        return vals

    @api.model
    def _field_values(self, clean, company):
        """Field values for the store() keys present in ``clean`` (absent ones: untouched)."""
        vals = {}
        for key, field in (("title", "name"), ("topic", "topic")):
            if key in clean:
                vals[field] = (clean[key] or "").strip() or False
        for key in ("content", "language"):
            if key in clean:
                vals[key] = clean[key] or False
        if "confidence" in clean:
            vals["confidence"] = clean["confidence"]
        if "sensitive" in clean:
            vals["sensitive"] = bool(clean["sensitive"])
        if "tags" in clean:
            tags = self.env["mcp.knowledge.tag"]._ensure(clean["tags"] or [], company)
            vals["tag_ids"] = [(6, 0, tags.ids)]
        if "related_ids" in clean:
            vals["related_ids"] = [(6, 0, list(clean["related_ids"] or []))]
        vals.update(self._source_values(clean.get("source")))
        return vals

    @api.model
    def _source_values(self, source):
        if not source:
            return {}
        return {
            "source_kind": source.get("kind") or "user",
            "source_label": source.get("label") or False,
            "res_model": source.get("model") or False,
            "res_id": int(source.get("res_id") or 0) or False,
        }

    @api.model
    def _expiry_for(self, clean, knowledge_type):
        if clean.get("expires_at"):
            return clean["expires_at"]
        days = clean.get("ttl_days")
        if days is None:
            days = self._knowledge_param_float(
                "knowledge_ttl_%s" % knowledge_type, DEFAULT_TTL_DAYS[knowledge_type]
            )
        days = float(days)
        if days <= 0:
            return False
        return fields.Datetime.now() + datetime.timedelta(days=days)

    @api.model
    def _readable_relation(self, domain):
        """The rows of ``domain`` this user may read, as SQL for the search engine."""
        # Raw SQL follows: pending ORM writes must reach the table first.
        self.flush_model()
        self.env["mcp.knowledge.tag"].flush_model(["name"])
        query = self._where_calc(domain)
        self._apply_ir_rules(query, "read")
        from_clause, where_clause, params = query.get_sql()
        return search.Relation(
            from_clause, where_clause or "TRUE", tuple(params), '"%s"' % self._table, self._table
        )

    @api.model
    def _count_operation(self, company, operation):
        scope = CacheScope(self.env.cr.dbname, company.id)
        get_engine().metrics.inc("mcp_crew_knowledge_operations_total", scope, operation=operation)

    @api.model
    def _knowledge_param_float(self, name, default):
        value = self.env["ir.config_parameter"].sudo().get_param("mcp_crew.%s" % name)
        try:
            return float(value) if value not in (None, False, "") else float(default)
        except ValueError:
            return float(default)

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
        self._count_operation(self.env.company, "search")
        domain = [
            ("confidence", ">=", min_confidence),
            "|",
            ("expires_at", "=", False),
            ("expires_at", ">", fields.Datetime.now()),
        ]
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
        ranked = search.search(
            self.env.cr,
            self._readable_relation(domain),
            query,
            limit=shortlist,
            weights=self._ranking_weights(),
            vocabulary=vocabulary,
            correct_below=correct_below,
        )
        if client and ranked:
            ranked = self._rerank_by_embeddings(client, query, ranked)
        ranked = ranked[:limit]
        return self._search_results(ranked)

    @api.model
    def _validate_search_args(self, query, types, tags, limit, min_confidence):
        if query is None or query is False:
            query = ""
        if not isinstance(query, str):
            raise ValidationError(_("The search query must be text."))
        if len(query) > MAX_QUERY:
            raise ValidationError(_("The search query is limited to %s characters.", MAX_QUERY))
        types = [types] if isinstance(types, str) else list(types or [])
        unknown = set(types) - set(dict(KNOWLEDGE_TYPES))
        if unknown:
            raise ValidationError(
                _("Unknown knowledge type(s): %s.", ", ".join(sorted(map(str, unknown))))
            )
        tags = [tags] if isinstance(tags, str) else list(tags or [])
        if not all(isinstance(tag, str) for tag in tags):
            raise ValidationError(_("Tags must be a list of names."))
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise ValidationError(_("limit must be a whole number from 1 to %s.", MAX_LIMIT))
        try:
            min_confidence = float(min_confidence or 0)
        except (TypeError, ValueError) as err:
            raise ValidationError(_("min_confidence must be a number.")) from err
        if not 0 <= min_confidence <= 1:
            raise ValidationError(_("min_confidence must be between 0 and 1."))
        return query.strip(), types, tags, limit, min_confidence

    @api.model
    @tools.ormcache()
    def _has_trigram(self):
        # Asked once per registry, not once per search: extensions do not come
        # and go while Odoo runs (installing one means an upgrade anyway).
        return search.has_trigram(self.env.cr)

    @api.model
    def _ranking_weights(self):
        return search.RankingWeights(
            trigram_threshold=self._knowledge_param_float("trigram_threshold", 0.4),
            recency_half_life_days=self._knowledge_param_float("recency_half_life_days", 30),
        )

    @api.model
    def _embedding_client(self):
        params = self.env["ir.config_parameter"].sudo()
        base_url = params.get_param("mcp_crew.embeddings_base_url")
        if not base_url:
            return None
        return embeddings.EmbeddingClient(
            base_url,
            params.get_param("mcp_crew.embeddings_model") or "text-embedding-3-small",
            api_key=params.get_param("mcp_crew.embeddings_api_key") or None,
            timeout=self._knowledge_param_float("embeddings_timeout", 5.0),
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
        weight = self._knowledge_param_float("embeddings_weight", 0.5)
        return embeddings.rerank(ranked, query_vector, vectors, weight=weight)

    @api.model
    def _search_results(self, ranked):
        items = self.browse([result["id"] for result in ranked])
        by_id = {item.id: item for item in items}
        mask = must_mask(self.env)
        results = []
        for result in ranked:
            item = by_id[result["id"]]
            title, content, snippet = item.name, item.content, result["snippet"]
            if mask:
                title, content, snippet = (
                    mask_identifiers(title),
                    mask_identifiers(content),
                    mask_identifiers(snippet),
                )
            results.append(
                {
                    "id": item.id,
                    "title": title,
                    "content": content,
                    "snippet": snippet,
                    "knowledge_type": item.knowledge_type,
                    "topic": item.topic or "",
                    "tags": item.tag_ids.mapped("name"),
                    "confidence": item.confidence,
                    "language": item.language,
                    "version": item.version,
                    "expires_at": item.expires_at and fields.Datetime.to_string(item.expires_at),
                    "updated_at": fields.Datetime.to_string(item.write_date),
                    "source": {
                        "kind": item.source_kind,
                        "label": item.source_label or "",
                        "model": item.res_model or "",
                        "res_id": item.res_id or 0,
                    },
                    "score": result["score"],
                    "scores": result["scores"],
                }
            )
        return results

    # -- crons ----------------------------------------------------------------

    @api.model
    def _cron_expire_knowledge(self, batch_size=1000):
        """Archive expired items, delete long-archived ones; in batches.

        Each expired item emits ``expired``, each deleted one ``deleted``.
        Re-triggers itself while a batch came back full.
        """
        now = fields.Datetime.now()
        items = self.sudo().with_context(active_test=False)
        expired = items.search(
            [("active", "=", True), ("expires_at", "!=", False), ("expires_at", "<=", now)],
            order="expires_at, id",
            limit=batch_size,
        )
        if expired:
            expired.with_context(mcp_knowledge_no_version=True).write({"active": False})
            self.env["mcp.knowledge.event"]._record("expired", expired)
        retention = self._knowledge_param_float("knowledge_retention_days", 30)
        purged = items.browse()
        if retention > 0:
            purged = items.search(
                [
                    ("active", "=", False),
                    ("archived_at", "<=", now - datetime.timedelta(days=retention)),
                ],
                order="archived_at, id",
                limit=batch_size,
            )
            purged.unlink()
        if len(expired) == batch_size or len(purged) == batch_size:
            self.env.ref("mcp_crew.ir_cron_mcp_expire_knowledge")._trigger()
        _logger.info(
            "mcp_crew: knowledge expiry archived %d item(s), deleted %d",
            len(expired),
            len(purged),
        )
        return {"expired": len(expired), "deleted": len(purged)}
