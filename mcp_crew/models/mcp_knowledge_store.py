"""Storing knowledge: the ``store()`` entry point and duplicate detection."""

from odoo import _, _lt, api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import escape_psql

from ..services.knowledge import text
from ..services.validation import compile_schema
from .arguments import check_arguments
from .functional_settings import get_setting
from .mcp_knowledge_choices import KNOWLEDGE_TYPES, LANGUAGES, SOURCE_KINDS, VERSIONED_FIELDS

MAX_CONTENT = 100_000
# False as well as text: an empty form field arrives as False over JSON-RPC.
_TEXT = {"type": ["string", "boolean"], "not": {"const": True}}
STORE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "id": {"type": ["integer", "string", "boolean", "null"]},
        "title": _TEXT,
        "content": dict(_TEXT, maxLength=MAX_CONTENT),
        "knowledge_type": {"enum": [key for key, _label in KNOWLEDGE_TYPES] + ["", False, None]},
        "topic": _TEXT,
        "tags": {
            "type": ["array", "null", "boolean"],
            "not": {"const": True},
            "items": {"type": "string"},
        },
        "source": {
            "type": ["object", "null", "boolean"],
            "not": {"const": True},
            "properties": {"kind": {"enum": [key for key, _label in SOURCE_KINDS]}},
        },
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "expires_at": {},
        "ttl_days": {"type": ["number", "string", "null"]},
        "language": {"enum": [key for key, _label in LANGUAGES] + ["", False, None]},
        "sensitive": {},
        "related_ids": {"type": ["array", "null", "boolean"], "items": {"type": "integer"}},
        "company_id": {"type": ["integer", "string", "boolean", "null"]},
        "change_note": _TEXT,
    },
}
STORE_VALIDATOR = compile_schema(STORE_SCHEMA)
_TEXT_MESSAGE = _lt("%(field)s must be text.")
STORE_MESSAGES = {
    "": _lt("store() expects a dictionary of values."),
    ("", "additionalProperties"): _lt("Unknown knowledge value(s): %(unknown)s."),
    "title": _TEXT_MESSAGE,
    "topic": _TEXT_MESSAGE,
    "change_note": _TEXT_MESSAGE,
    "content": _TEXT_MESSAGE,
    ("content", "maxLength"): _lt("Content is limited to %(limit)s characters."),
    "knowledge_type": _lt("Unknown knowledge type %(value)s; use one of %(valid)s."),
    "tags": _lt("Tags must be a list of names."),
    "source": _lt(
        "Source must be a dictionary whose kind is one of user, agent, crew, mcp_server, run."
    ),
    ("confidence", "type"): _lt("Confidence must be a number."),
    "confidence": _lt("Confidence must be between 0 and 1."),
    "ttl_days": _lt("ttl_days must be a number of days."),
    "language": _lt("Language must be pt, en or simple."),
    "related_ids": _lt("related_ids must be a list of knowledge ids."),
    "company_id": _lt("company_id must be a company id."),
    "id": _lt("id must be a knowledge item id."),
}


class McpKnowledgeStoreMixin(models.AbstractModel):
    _name = "mcp.knowledge.store.mixin"
    _description = "Knowledge storing and duplicate detection"

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
        check_arguments(STORE_VALIDATOR, vals, STORE_MESSAGES)
        clean = dict(vals)
        if not clean.get("id"):  # a new item
            for key in ("title", "content", "knowledge_type"):
                if not (clean.get(key) or "").strip():
                    raise ValidationError(_("A knowledge item needs a %s.", key))
        clean["company"] = self.env.company
        if clean.get("company_id"):
            clean["company"] = self.env["res.company"].browse(int(clean["company_id"]))
            if clean["company"] not in self.env.companies:
                raise AccessError(_("You cannot store knowledge for that company."))
        if "confidence" in clean:
            clean["confidence"] = float(clean["confidence"])
        if clean.get("expires_at"):
            try:
                clean["expires_at"] = fields.Datetime.to_datetime(clean["expires_at"])
            except ValueError as err:
                raise ValidationError(_("expires_at is not a date and time.")) from err
        return clean

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
        threshold = get_setting(self.env, "dedupe_threshold")
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
