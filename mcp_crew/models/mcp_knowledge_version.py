import difflib

from markupsafe import Markup, escape

from odoo import _, fields, models

from ..services.knowledge.privacy import mask_identifiers
from .mcp_knowledge_search import mask_rows, must_mask


class McpKnowledgeVersion(models.Model):
    """One state of a knowledge item, written each time the item changes.

    Immutable (no group may write it): who (``create_uid``), when (``create_date``) and what changed
    (``changed_fields``, and the content diff against the previous version).
    """

    _name = "mcp.knowledge.version"
    _description = "Knowledge item version"
    _order = "knowledge_id, version desc"

    knowledge_id = fields.Many2one(
        "mcp.knowledge", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(related="knowledge_id.company_id", store=True, index=True)
    version = fields.Integer(required=True, readonly=True)
    name = fields.Char("Title", readonly=True)
    content = fields.Text(readonly=True)
    topic = fields.Char(readonly=True)
    confidence = fields.Float(readonly=True, digits=(3, 2))
    tag_names = fields.Char("Tags", readonly=True)
    change_note = fields.Char(readonly=True)
    changed_fields = fields.Char(readonly=True)
    content_diff = fields.Html(compute="_compute_content_diff", sanitize=False)

    _sql_constraints = [
        (
            "knowledge_version_uniq",
            "unique(knowledge_id, version)",
            "A knowledge item cannot have the same version twice.",
        ),
    ]

    def _compute_content_diff(self):
        shown = mask_identifiers if must_mask(self.env) else str
        for version in self:
            previous = self.search(
                [("knowledge_id", "=", version.knowledge_id.id), ("version", "<", version.version)],
                order="version desc",
                limit=1,
            )
            version.content_diff = _html_diff(
                shown(previous.content or ""), shown(version.content or "")
            )

    def read(self, fields=None, load="_classic_read"):
        # As mcp.knowledge: identifiers masked for people without clearance.
        return mask_rows(self.env, super().read(fields, load), ("name", "content"))

    def action_restore(self):
        """Make this version's text the item's current state, as a new version."""
        self.ensure_one()
        self.knowledge_id.check_access_rights("write")
        self.knowledge_id.check_access_rule("write")
        self.env["mcp.knowledge"].store(
            {
                "id": self.knowledge_id.id,
                "title": self.name,
                "content": self.content,
                "topic": self.topic or "",
                "confidence": self.confidence,
                "tags": (self.tag_names or "").split(", ") if self.tag_names else [],
                "change_note": _("Restored from version %s", self.version),
            }
        )
        return True


def _html_diff(before, after):
    """Line diff as HTML: removed lines struck through, added lines highlighted."""
    rows = []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        tag, text = line[:2], escape(line[2:])
        if tag == "- ":
            rows.append(Markup('<del class="text-danger">%s</del>') % text)
        elif tag == "+ ":
            rows.append(Markup('<ins class="text-success">%s</ins>') % text)
        elif tag == "  ":
            rows.append(Markup("<span>%s</span>") % text)
    return Markup("<br/>").join(rows)
