from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    # The contact pipeline looks duplicates up by normalised e-mail (an exact
    # match); mail defines the stored field on partners without an index.
    email_normalized = fields.Char(index=True)
