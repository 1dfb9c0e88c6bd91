"""The CRM skills as tools of Odoo's MCP server (``/mcp``).

Thin handlers: arguments are checked against the schemas by ``mcp.endpoint``,
the work is done by ``mcp.crm.pipeline`` and ``mcp.crm.scheduling`` as the
key's user, and their UserError / ValidationError / AccessError become tool
errors the model can read.
"""

from odoo import api, models

from odoo.addons.mcp_crew.models.mcp_endpoint import READ_ONLY, WRITES, tool_schema

from ..services.scheduling import PartOfDay, Urgency
from .crm_lead import MCP_SOURCES

_ATTENDEES = {
    "user_ids": {
        "type": "array",
        "items": {"type": "integer"},
        "description": "Internal users (res.users ids): their calendar events, time off "
        "and working hours count",
    },
    "partner_ids": {
        "type": "array",
        "items": {"type": "integer"},
        "description": "Contacts (res.partner ids): their calendar events count; "
        "external contacts have no working-hours limit",
    },
}
_MOMENT = (
    "ISO 8601 date and time, e.g. 2025-01-13T10:00:00-03:00; without an offset, in your timezone"
)
_MINUTES = {"type": "integer", "minimum": 0, "maximum": 240}
# One bound for proposing and booking: a proposed slot must be bookable.
_DURATION = {"type": "integer", "minimum": 5, "maximum": 720}


def _moment(description):
    return {"type": "string", "description": "%s (%s)" % (description, _MOMENT)}


class McpEndpoint(models.AbstractModel):
    _inherit = "mcp.endpoint"

    @api.model
    def _mcp_tools(self):
        return super()._mcp_tools() + [
            {
                "name": "crm_create_contact",
                "description": "Smart contact intake: normalise raw contact data from a "
                "source, validate it, find duplicates, find or create the company from the "
                "e-mail domain, score the lead 0-100, create the contact and a CRM lead "
                "(or log the inquiry on the open lead of an existing contact) and trigger "
                "the follow-up of the score band (80+: immediate contact activity today; "
                "60-79: discovery call activity in 3 days; below 60: nurture tag).",
                "inputSchema": tool_schema(
                    {
                        "source": {"type": "string", "enum": [key for key, _l in MCP_SOURCES]},
                        "data": {
                            "type": "object",
                            "description": "Raw contact data as the source sent it, e.g. "
                            '{"nome": "MARIA SILVA", "e-mail": "Maria@Acme.com.br", '
                            '"telefone": "(11) 98765-4321", "cargo": "Diretora"}; '
                            'for e-mails: {"from": "...", "signature": "..."}',
                        },
                        "mappings": {
                            "type": "object",
                            "description": "Optional: canonical field (name, first_name, "
                            "last_name, email, phone, company, job_title, from_header, "
                            "signature) -> the raw key(s) holding it, when they are not the "
                            "usual ones",
                            "additionalProperties": {
                                "type": ["string", "array"],
                                "items": {"type": "string"},
                            },
                        },
                    },
                    ["source", "data"],
                ),
                "annotations": WRITES,
                "handler": "_tool_crm_create_contact",
            },
            {
                "name": "crm_propose_meeting_slots",
                "description": "Propose the best meeting times for attendees: free in "
                "their calendars (with buffers) and inside every internal user's working "
                "hours, ranked by preference, time of day, urgency and how little free "
                "time they fragment; every score is explained.",
                "inputSchema": tool_schema(
                    dict(
                        _ATTENDEES,
                        duration_minutes=_DURATION,
                        window_start=_moment("Search from (default: now)"),
                        window_end=_moment("Search until (default: two weeks after the start)"),
                        urgency={
                            "type": "string",
                            "enum": [urgency.value for urgency in Urgency],
                        },
                        preferred_times={
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "Times of day ('10:00') or ISO date-times",
                        },
                        part_of_day={
                            "type": "string",
                            "enum": [part.value for part in PartOfDay],
                        },
                        buffer_minutes=dict(
                            _MINUTES, description="Free time kept around other meetings"
                        ),
                        max_results={"type": "integer", "minimum": 1, "maximum": 20},
                        step_minutes={"type": "integer", "minimum": 5, "maximum": 120},
                    ),
                    ["duration_minutes"],
                ),
                "annotations": READ_ONLY,
                "handler": "_tool_crm_propose_meeting_slots",
            },
            {
                "name": "crm_book_meeting",
                "description": "Book a meeting (calendar event) for the attendees, "
                "optionally linked to a CRM lead; the slot is checked again first and the "
                "booking is refused, with each conflict named, if an attendee became busy "
                "or the time is outside their working hours.",
                "inputSchema": tool_schema(
                    dict(
                        _ATTENDEES,
                        title={"type": "string", "minLength": 1},
                        start=_moment("Start"),
                        end=_moment("End (default: start + duration_minutes)"),
                        duration_minutes=_DURATION,
                        lead_id={"type": "integer", "description": "crm.lead id"},
                        buffer_minutes=dict(
                            _MINUTES, description="Free time required around other meetings"
                        ),
                        description={"type": "string"},
                    ),
                    ["title", "start"],
                ),
                "annotations": WRITES,
                "handler": "_tool_crm_book_meeting",
            },
        ]

    def _tool_crm_create_contact(self, source, data, mappings=None):
        return self.env["mcp.crm.pipeline"].run(data, source, mappings)

    def _tool_crm_propose_meeting_slots(self, **arguments):
        return self.env["mcp.crm.scheduling"].propose(**arguments)

    def _tool_crm_book_meeting(self, **arguments):
        return self.env["mcp.crm.scheduling"].book(**arguments)
