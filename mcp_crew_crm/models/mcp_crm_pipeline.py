"""Smart contact intake: the contact engine's pipeline on Odoo records.

The engine (``mcp_crew_crm.services.contacts``) decides; this model
reads partners, creates the records and the follow-up, always as the current
user (their rights, record rules and companies). The stages:

1. **normalise** the raw payload of a source, recording every transformation;
2. **validate**: an invalid contact raises ``ValidationError``, nothing is created;
3. **duplicates**: partners the user can read that share the e-mail (their indexed
   ``email_normalized``) or the phone,
   or carry every word of the name, are ranked by the engine. A match scoring at
   least ``STRONG_DUPLICATE`` is the same person: no partner is created. If that
   person has an open lead (not won) the user can see, the new inquiry is logged
   on it (chatter note) and no lead or follow-up is added — someone is already
   working it; otherwise a new lead is created for the existing partner. Weaker
   matches (from ``POSSIBLE_DUPLICATE``) are only reported;
4. **enrich**: the company partner is found by the company name given, then by
   the website of the corporate e-mail domain, or created (for new contacts
   only). A company name inferred from the domain is recorded as a
   transformation and counts as a known company in the score;
5. **score** with the weights of the system parameters
   ``mcp_crew_crm.weight_<factor>`` (the numeric fields of ``LeadWeights``:
   corporate_email, seniority, company_known, phone_present, source,
   completeness); a parameter that is not set keeps the engine default;
6. **create** the contact partner (child of the company partner) and a
   ``crm.lead`` with the source, the transformations (JSON field and a chatter
   note) and the score;
7. **follow up** by band (``contacts.workflow_for``): 80+ a To Do "Immediate
   sales contact" due today; 60-79 a Call activity "Discovery call" due in three
   days — an activity rather than a calendar event, because the prospect's
   availability is unknown: once agreed, the call is booked with
   ``crm_book_meeting``; below 60 the "nurture" tag. Activities go to the lead's
   salesperson.
"""

import dataclasses
import datetime as dt
import json
import re
from urllib.parse import urlsplit

from markupsafe import Markup

from odoo import Command, _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools import email_normalize
from odoo.tools.sql import escape_psql

from odoo.addons.mcp_crew.error_mapping import engine_errors

from ..services import contacts
from .crm_lead import MCP_SOURCES

WEIGHT_PARAM = "mcp_crew_crm.weight_%s"
WEIGHT_FACTORS = tuple(
    field.name
    for field in dataclasses.fields(contacts.LeadWeights)
    if field.name != "source_quality"
)
# The engine's default duplicate threshold: same e-mail, same phone, or a similar
# name at the same company.
STRONG_DUPLICATE = 0.85
# A similar name alone lands here: worth showing, not worth merging.
POSSIBLE_DUPLICATE = 0.6
# Partners compared per kind of search (identifiers, name): bounded work per contact.
CANDIDATE_LIMIT = 30
# Stored phones are free text ("(11) 98765-4321"): their last digits are searched
# with any separators between them, the engine then compares the numbers exactly.
PHONE_SEARCH_DIGITS = 8
MIN_NAME_WORD = 3
ACTIVITY_TYPES = {
    "immediate_contact": "mail.mail_activity_data_todo",
    "discovery_call": "mail.mail_activity_data_call",
}


class McpCrmPipeline(models.AbstractModel):
    _name = "mcp.crm.pipeline"
    _description = "MCP Crew CRM: smart contact intake"

    @api.model
    def run(self, raw, source, mappings=None):
        """Create (or find) the contact of one raw payload of ``source`` and its lead.

        Returns a JSON-able dict: ``partner_id``, ``partner_created``,
        ``company_partner_id``, ``lead_id``, ``lead_created``, ``score``,
        ``components``, ``band``, ``workflow``, ``duplicates``,
        ``transformations``, the normalised ``contact`` and its ``problems`` that
        did not refuse it (a phone kept as typed).
        """
        # Refuse users without CRM rights before anything is read or created.
        self.env["crm.lead"].check_access_rights("create")
        contact, problems = self._normalized(raw, source, mappings)
        matches = self._duplicates(contact)
        contact, company, website = self._enrich(contact)
        lead_score = self._score(contact)
        workflow = contacts.workflow_for(lead_score)
        existing = self._same_person(matches)
        lead = self._open_lead(existing)
        created = not lead
        if created:
            partner = existing or self._create_partner(
                contact, company or self._create_company(contact, website)
            )
            lead = self._create_lead(contact, partner, lead_score)
            follow_up = self._follow_up(lead, workflow)
        else:
            follow_up = {
                "code": workflow.code,
                "action": "none",
                "summary": _("Logged on the contact's open lead; no new follow-up."),
            }
        duplicates = self._duplicates_result(matches)
        title = _("Smart contact intake") if created else _("New inquiry from a returning contact")
        lead.message_post(
            body=self._note(title, contact, lead_score, duplicates, follow_up, problems),
            subtype_xmlid="mail.mt_note",
        )
        return {
            "partner_id": lead.partner_id.id,
            "partner_created": not existing,
            "company_partner_id": lead.partner_id.parent_id.id or None,
            "lead_id": lead.id,
            "lead_created": created,
            "score": lead_score.score,
            "components": lead_score.components,
            "band": workflow.code,
            "workflow": follow_up,
            "duplicates": duplicates,
            "transformations": _transformations(contact),
            "contact": _contact_values(contact),
            "problems": [dataclasses.asdict(problem) for problem in problems],
        }

    # -- 1-2. normalisation and validation -----------------------------------------

    @api.model
    def _normalized(self, raw, source, mappings):
        if source not in dict(MCP_SOURCES):
            raise ValidationError(
                _(
                    "Unknown contact source %(name)s (expected one of: %(known)s).",
                    name=source,
                    known=", ".join(dict(MCP_SOURCES)),
                )
            )
        with engine_errors():
            region = self._phone_region()
            contact = contacts.normalize(raw, source, mappings, region=region)
            problems = contacts.validate(contact, region)
        refusing = [problem.message for problem in problems if problem.blocking]
        if refusing:
            raise ValidationError(_("The contact was not created: %s", "; ".join(refusing)))
        return contact, problems

    @api.model
    def _phone_region(self):
        """National phone numbers are read as the company's country's."""
        return self.env.company.country_id.code or contacts.DEFAULT_REGION

    # -- 3. duplicates -----------------------------------------------------------

    @api.model
    def _duplicates(self, contact):
        """Readable partners that may be this person, ranked by the engine."""
        candidates = [_candidate(partner) for partner in self._candidate_partners(contact)]
        with engine_errors():
            return contacts.find_duplicates(
                contact, candidates, POSSIBLE_DUPLICATE, region=self._phone_region()
            )

    @api.model
    def _candidate_partners(self, contact):
        Partner = self.env["res.partner"]
        people = [("is_company", "=", False)]
        found = Partner
        for domain in _candidate_domains(contact):
            found |= Partner.search(expression.AND([people, domain]), limit=CANDIDATE_LIMIT)
        return found

    @api.model
    def _same_person(self, matches):
        if matches and matches[0].score >= STRONG_DUPLICATE:
            return self.env["res.partner"].browse(matches[0].candidate_id)
        return self.env["res.partner"]

    @api.model
    def _open_lead(self, partner):
        """The partner's latest lead that is not won, if the user can see one."""
        if not partner:
            return self.env["crm.lead"]
        return self.env["crm.lead"].search(
            [
                ("partner_id", "=", partner.id),
                "|",
                ("stage_id", "=", False),
                ("stage_id.is_won", "=", False),
            ],
            order="id desc",
            limit=1,
        )

    @api.model
    def _duplicates_result(self, matches):
        partners = self.env["res.partner"].browse([match.candidate_id for match in matches])
        names = {partner.id: partner.display_name for partner in partners}
        return [
            {
                "partner_id": match.candidate_id,
                "name": names[match.candidate_id],
                "score": match.score,
                "reasons": list(match.reasons),
                "same_person": match.score >= STRONG_DUPLICATE,
            }
            for match in matches
        ]

    # -- 4. enrichment -------------------------------------------------------------

    @api.model
    def _enrich(self, contact):
        """(contact, existing company partner or empty, website for a new one).

        The contact gets the company's name when it gave none, recorded as a
        transformation, so the lead shows and scores a known company.
        """
        info = contacts.enrich_from_domain(contact.email) or {}
        company = self._find_company(contact.company, info.get("domain"))
        name = contact.company or company.name or info.get("company_name")
        if name and not contact.company:
            step = contacts.Transformation("company", contact.email, name, "enrich_from_domain")
            contact = dataclasses.replace(
                contact, company=name, transformations=contact.transformations + (step,)
            )
        return contact, company, info.get("website")

    @api.model
    def _find_company(self, name, domain):
        Partner = self.env["res.partner"]
        companies = [("is_company", "=", True)]
        if name:
            found = Partner.search(
                expression.AND([companies, [("name", "=ilike", escape_psql(name))]]), limit=1
            )
            if found:
                return found
        if domain:
            websites = Partner.search(
                expression.AND([companies, [("website", "ilike", domain)]]),
                limit=CANDIDATE_LIMIT,
            )
            # "ilike" also finds "notacme.com" for "acme.com": compare the domains.
            return websites.filtered(lambda partner: _website_domain(partner.website) == domain)[:1]
        return Partner

    # -- 5. score ------------------------------------------------------------------

    @api.model
    def _score(self, contact):
        with engine_errors():
            return contacts.score_lead(contact, self._lead_weights())

    @api.model
    def _lead_weights(self):
        """``LeadWeights`` from the system parameters; unset ones keep the defaults."""
        # Settings, not user data: only administrators may read parameters directly.
        params = self.env["ir.config_parameter"].sudo()
        values = {}
        for factor in WEIGHT_FACTORS:
            key = WEIGHT_PARAM % factor
            raw = (params.get_param(key) or "").strip()
            if not raw:
                continue
            try:
                values[factor] = float(raw)
            except ValueError as err:
                raise ValidationError(
                    _(
                        "System parameter %(key)s must be a number, not %(value)s.",
                        key=key,
                        value=raw,
                    )
                ) from err
        with engine_errors():
            return contacts.LeadWeights(**values)

    # -- 6. records ------------------------------------------------------------------

    @api.model
    def _create_company(self, contact, website):
        if not contact.company:
            return self.env["res.partner"]
        return self.env["res.partner"].create(
            {
                "name": contact.company,
                "is_company": True,
                "website": website,
                "company_id": self.env.company.id,
            }
        )

    @api.model
    def _create_partner(self, contact, company):
        return self.env["res.partner"].create(
            {
                "name": contact.name or contact.email,
                "email": contact.email,
                "phone": contact.phone,
                "function": contact.job_title,
                "parent_id": company.id,
                # A contact belongs where its company does (Odoo keeps them aligned).
                "company_id": company.company_id.id if company else self.env.company.id,
            }
        )

    @api.model
    def _create_lead(self, contact, partner, lead_score):
        # Contact name, e-mail, phone, job and company come from the partner
        # (crm.lead computes them); an existing partner keeps its own values.
        name = contact.name or contact.email
        if contact.company:
            name = _("%(name)s (%(company)s)", name=name, company=contact.company)
        return self.env["crm.lead"].create(
            {
                "name": name,
                "partner_id": partner.id,
                "mcp_source": contact.source,
                "mcp_lead_score": lead_score.score,
                "mcp_transformations": json.dumps(
                    _transformations(contact), ensure_ascii=False, indent=1
                ),
            }
        )

    @api.model
    def _note(self, title, contact, lead_score, duplicates, follow_up, problems):
        """Chatter note: where the data came from, every change, the score, what's
        next and the problems to fix by hand."""
        lines = [
            _("Source: %s", self._source_label(contact.source)),
            _(
                "Score: %(score)s/100 (%(components)s)",
                score=lead_score.score,
                components=", ".join("%s %s" % item for item in lead_score.components.items()),
            ),
            _("Follow-up: %s", follow_up["summary"]),
        ]
        lines += [_("To fix: %s", problem.message) for problem in problems]
        lines += [
            _(
                "Possible duplicate: %(name)s (%(score)s: %(reasons)s)",
                name=duplicate["name"],
                score=duplicate["score"],
                reasons="; ".join(duplicate["reasons"]),
            )
            for duplicate in duplicates
        ]
        lines += [
            _(
                "%(field)s: %(before)s → %(after)s (%(rule)s)",
                field=step.field,
                before=step.before or "",
                after=step.after or "",
                rule=step.rule,
            )
            for step in contact.transformations
        ]
        items = Markup().join(Markup("<li>%s</li>") % line for line in lines)
        return Markup("<p><b>%s</b></p><ul>%s</ul>") % (title, items)

    @api.model
    def _source_label(self, source):
        described = self.env["crm.lead"].fields_get(["mcp_source"], ["selection"])
        return dict(described["mcp_source"]["selection"])[source]

    # -- 7. follow-up ------------------------------------------------------------------

    @api.model
    def _follow_up(self, lead, workflow):
        """Trigger the band's workflow on ``lead``; describe what was done."""
        if workflow.action == "tag":
            tag = self._tag(workflow.tag)
            lead.tag_ids = [Command.link(tag.id)]
            return {
                "code": workflow.code,
                "action": "tag",
                "tag_id": tag.id,
                "summary": _("Tagged %s for the nurture sequence.", tag.name),
            }
        user = lead.user_id or self.env.user
        deadline = fields.Date.context_today(lead) + dt.timedelta(days=workflow.deadline_days)
        summaries = {
            "immediate_contact": _("Immediate sales contact"),
            "discovery_call": _("Discovery call"),
        }
        activity = lead.activity_schedule(
            ACTIVITY_TYPES[workflow.code],
            date_deadline=deadline,
            summary=summaries[workflow.code],
            user_id=user.id,
        )
        return {
            "code": workflow.code,
            "action": "activity",
            "activity_id": activity.id,
            "activity_type": activity.activity_type_id.name,
            "deadline": fields.Date.to_string(deadline),
            "user_id": user.id,
            "summary": _(
                "%(summary)s (%(type)s) due %(deadline)s, assigned to %(user)s.",
                summary=activity.summary,
                type=activity.activity_type_id.name,
                deadline=fields.Date.to_string(deadline),
                user=user.name,
            ),
        }

    @api.model
    def _tag(self, name):
        Tag = self.env["crm.tag"]
        return Tag.search([("name", "=ilike", escape_psql(name))], limit=1) or Tag.create(
            {"name": name}
        )


def _candidate_domains(contact):
    """One domain per kind of evidence the engine weighs: e-mail, phone, name."""
    # The indexed, normalised e-mail ("Ana <Ana@X.com>" is "ana@x.com"), matched
    # exactly: no scan, and no look-alike addresses filling the candidate limit.
    email = email_normalize(contact.email) if contact.email else None
    if email:
        yield [("email_normalized", "=", email)]
    if contact.phone:
        digits = re.sub(r"\D", "", contact.phone)[-PHONE_SEARCH_DIGITS:]
        pattern = "%" + "%".join(digits) + "%"
        yield ["|", ("phone", "=like", pattern), ("mobile", "=like", pattern)]
    words = [
        word
        for word in re.split(r"\W+", contact.name or "")
        if len(word) >= MIN_NAME_WORD and word.lower() not in contacts.NAME_PARTICLES
    ]
    if words:
        yield [("name", "ilike", word) for word in words]


def _candidate(partner):
    return {
        "id": partner.id,
        "name": partner.name,
        "email": partner.email,
        "phone": partner.phone,
        "mobile": partner.mobile,
        "company": partner.parent_id.name or partner.company_name,
    }


def _website_domain(website):
    if not website:
        return None
    host = urlsplit(website if "//" in website else "//" + website).hostname
    return contacts.registrable_domain(host) if host else None


def _transformations(contact):
    return [step._asdict() for step in contact.transformations]


def _contact_values(contact):
    values = {field: getattr(contact, field) for field in contacts.CONTACT_FIELDS}
    values["source"] = contact.source
    return values
