"""CRM skills as plain Python: the contact pipeline and meeting scheduling.

The Odoo adapters (partners, leads, calendars) feed them plain values and
act on what they return.
"""
