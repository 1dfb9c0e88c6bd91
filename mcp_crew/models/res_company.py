from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    mcp_crew_monthly_token_quota = fields.Integer(
        "Monthly LLM token quota",
        help="Runs that need an LLM are refused once the company's runs used this many "
        "tokens in the calendar month; 0 = no limit.",
    )
