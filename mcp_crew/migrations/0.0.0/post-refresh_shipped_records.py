"""On every version change (a ``0.0.0`` script): the default crews, agents and
tasks no one edited take this release's values and translations; the edited
ones are kept and logged (mcp_crew/upgrade.py). Odoo runs it after loading the
data files, which creates the records a release adds and recreates the deleted
ones; then, as the last post script, before Odoo loads the .po files."""

from odoo import SUPERUSER_ID, api

from odoo.addons.mcp_crew.upgrade import refresh_shipped_records


def migrate(cr, version):
    refresh_shipped_records(
        api.Environment(cr, SUPERUSER_ID, {}), "mcp_crew", "data/mcp_crew_data.xml"
    )
