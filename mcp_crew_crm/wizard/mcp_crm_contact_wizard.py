"""Smart contact intake from the CRM menu: the same pipeline as the
``crm_create_contact`` MCP tool, fed by a form."""

import json

from odoo import _, fields, models
from odoo.exceptions import UserError

from ..models.crm_lead import MCP_SOURCES
from ..services.contacts import CONTACT_FIELDS

# The form's fields carry canonical names: map each to itself, whatever the source.
FORM_MAPPINGS = {field: [field] for field in CONTACT_FIELDS}


class McpCrmContactWizard(models.TransientModel):
    _name = "mcp.crm.contact.wizard"
    _description = "Smart contact intake"

    source = fields.Selection(MCP_SOURCES, required=True, default="manual")
    name = fields.Char()
    email = fields.Char()
    phone = fields.Char()
    company = fields.Char()
    job_title = fields.Char()
    raw_data = fields.Text(
        help="A JSON object as the source sent it, e.g. a web form's fields; "
        "when given, the fields above are ignored.",
    )

    def action_run(self):
        """Run the pipeline and open the lead it created or updated."""
        self.ensure_one()
        raw, mappings = self._payload()
        result = self.env["mcp.crm.pipeline"].run(raw, self.source, mappings)
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.lead",
            "res_id": result["lead_id"],
            "views": [(False, "form")],
            "target": "current",
        }

    def _payload(self):
        """(raw data, mappings) from the pasted JSON, else from the form's fields."""
        if self.raw_data and self.raw_data.strip():
            try:
                raw = json.loads(self.raw_data)
            except ValueError as err:
                raise UserError(_("The raw data is not valid JSON: %s", err)) from err
            if not isinstance(raw, dict):
                raise UserError(_("The raw data must be a JSON object ({...})."))
            return raw, None
        raw = {field: self[field] for field in CONTACT_FIELDS if self[field]}
        if not raw:
            raise UserError(_("Enter the contact's details or paste its raw data."))
        return raw, FORM_MAPPINGS
