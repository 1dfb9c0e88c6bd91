"""Records stay within the companies of whoever writes them.

Odoo checks record rules on the records as they are *before* a write: a user
of company B could write ``company_id`` = A (or attach a record to a parent of
company A) and plant it in A. Models inheriting this check the result of such
a write: the record's company must be one of the writer's companies, and only
system administrators make a record shared by every company (no company).
"""

from odoo import _, models
from odoo.exceptions import AccessError

SHARING_GROUP = "base.group_system"


class McpCompanyGuard(models.AbstractModel):
    _name = "mcp.company.guard"
    _description = "Records stay in their writer's companies"
    # The field whose change moves a record to another company: company_id
    # itself, or the parent the record's company follows.
    _company_path = "company_id"

    def write(self, vals):
        result = super().write(vals)
        if self._company_path in vals and not self.env.su:
            self._check_company_within_reach()
        return result

    def _check_company_within_reach(self):
        allowed = self.env.companies
        may_share = self.env.user.has_group(SHARING_GROUP)
        # sudo for names only: after the move the writer may no longer read them.
        for record in self.sudo():
            company = record.company_id
            if company and company not in allowed:
                raise AccessError(
                    _(
                        "%(record)s cannot be moved to %(company)s: it is not one of your "
                        "companies.",
                        record=record.display_name,
                        company=company.display_name,
                    )
                )
            if not company and not may_share:
                raise AccessError(
                    _(
                        "Only system administrators make %(record)s shared by every company.",
                        record=record.display_name,
                    )
                )
