"""Sales skills as plain Python (no ``odoo`` import): reading an order request
written in plain Portuguese or English and matching the names it mentions to
records.

The Odoo glue addon ``mcp_crew_sale`` feeds them plain values (the request's
text, ``(id, name, code)`` candidates) and acts on what they return. Of the
core they use only its public engine interface, ``mcp_crew.services.public``
(README, *Engine interface*), as ``core``: under Odoo the addon
``odoo.addons.mcp_crew``; in plain pytest (no Odoo) the repository's
``mcp_crew`` package.
"""

try:
    from odoo.addons.mcp_crew.services import public as core
except ModuleNotFoundError as err:
    if err.name != "odoo":
        raise
    from mcp_crew.services import public as core
