"""Sales skills as plain Python: reading an order request written in plain
Portuguese or English and matching the names it mentions to records.

The Odoo glue addon ``mcp_crew_sale`` feeds them plain values (the request's
text, ``(id, name, code)`` candidates) and acts on what they return.
"""
