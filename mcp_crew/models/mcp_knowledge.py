"""Knowledge items: records and their versions.

What an item is and how it changes live here; the model is made of mixins
for the rest: storing with duplicate detection (mcp_knowledge_store), search
with embeddings and masking (mcp_knowledge_search), expiry (mcp_knowledge_expiry).
"""

import logging

from odoo import _, api, fields, models, tools

from ..runtime import get_engine
from ..services.knowledge import search, text
from ..services.spec import CacheScope
from .mcp_knowledge_choices import (
    KNOWLEDGE_TYPES,
    LANGUAGES,
    SOURCE_KINDS,
    VERSIONED_FIELDS,
    WORD_FIELDS,
)

_logger = logging.getLogger(__name__)


class McpKnowledge(models.Model):
    _name = "mcp.knowledge"
    _inherit = [
        "mcp.company.guard",
        "mcp.knowledge.store.mixin",
        "mcp.knowledge.search.mixin",
        "mcp.knowledge.expiry.mixin",
    ]
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

    @api.model
    def _readable_relation(self, domain):
        """The rows of ``domain`` this user may read, as SQL for the search engine."""
        # Raw SQL follows: pending ORM writes must reach the table first.
        self.flush_model()
        self.env["mcp.knowledge.tag"].flush_model(["name"])
        rules = None if self.env.su else self.env["ir.rule"]._compute_domain(self._name, "read")
        return self._translated_relation(repr(domain), repr(rules), domain)

    @tools.ormcache(
        "self.env.uid",
        "self.env.su",
        "tuple(self.env.companies.ids)",
        "self.env.lang",
        "self.env.context.get('active_test', True)",
        "domain_key",
        "rules_key",
    )
    def _translated_relation(self, domain_key, rules_key, domain):
        """:meth:`_readable_relation` of ``domain`` (``domain_key``: its repr) under
        the record rules whose domain is ``rules_key``: Odoo's translation of the
        domain and the rules to SQL cost about 0.2 ms a search. Kept in the
        registry cache, which a record rule, a user's companies or a company
        edited clear, and keyed on what the translation reads: the user, the
        companies (rules of the tags a domain names), the language, the rules'
        own domain as Odoo computed it."""
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
