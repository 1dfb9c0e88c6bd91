# Only a missing ``odoo`` is tolerated, so the engine (``mcp_crew.services``)
# imports in plain Python for its tests and benchmarks; any other error raises.
try:
    import odoo  # noqa: F401  pylint: disable=unused-import
except ModuleNotFoundError as err:
    if err.name != "odoo":
        raise
else:
    from . import controllers, models, wizard
