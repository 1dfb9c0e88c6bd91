"""CRM skills as plain Python (no ``odoo`` import): the contact pipeline and
meeting scheduling.

The Odoo adapters (partners, leads, calendars) feed them plain values and act
on what they return. Of the core they use only its public engine interface,
``mcp_crew.services.public`` (README, *Engine interface*), as ``core``: under
Odoo the addon ``odoo.addons.mcp_crew``; in plain pytest (no Odoo) the
repository's ``mcp_crew`` package.
"""

try:
    from odoo.addons.mcp_crew.services import public as core
except ModuleNotFoundError as err:
    if err.name != "odoo":
        raise
    from mcp_crew.services import public as core
