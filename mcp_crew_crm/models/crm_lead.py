"""What the smart contact intake keeps on the lead it creates: where the data came
from, how it was changed and how the lead scored (see ``mcp.crm.pipeline``)."""

from odoo import fields, models

# The contact engine's sources (``contacts.SOURCES``), with labels for people.
MCP_SOURCES = [
    ("web_form", "Web form"),
    ("email", "E-mail"),
    ("manual", "Manual entry"),
]


class CrmLead(models.Model):
    _inherit = "crm.lead"

    mcp_source = fields.Selection(
        MCP_SOURCES,
        string="Intake Source",
        readonly=True,
        help="Channel the smart contact intake received this lead's data from.",
    )
    mcp_lead_score = fields.Integer(
        string="Intake Score",
        readonly=True,
        help="0-100 score computed by the smart contact intake. The weights of its "
        "factors are the system parameters mcp_crew_crm.weight_*.",
    )
    mcp_transformations = fields.Text(
        string="Intake Transformations",
        readonly=True,
        help="JSON list of every change the intake made to the raw data "
        "(field, value before, value after, rule), so each value can be traced "
        "back to what the source sent.",
    )
