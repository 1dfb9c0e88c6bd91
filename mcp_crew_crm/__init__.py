# As in mcp_crew/__init__.py: only a missing ``odoo`` is tolerated, so the
# engine (``services``) imports in plain Python for its tests.
try:
    import odoo  # noqa: F401  pylint: disable=unused-import
except ModuleNotFoundError as err:
    if err.name != "odoo":
        raise
else:
    from . import models, wizard
