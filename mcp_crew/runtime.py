"""The process-wide engine, configured from odoo.conf ``[mcp_crew]`` and ``MCP_CREW_*``.

One :class:`~.services.engine.McpEngine` per process (it owns the event loop,
the session pool and the L1 cache); rebuilt after a fork, so each prefork
worker has its own.
"""

import logging
import os
import threading

import odoo
from odoo import SUPERUSER_ID, api
from odoo.tools import config

from .services.engine import McpEngine
from .services.settings import EngineSettings

_logger = logging.getLogger(__name__)
_lock = threading.Lock()
_engine = None


def engine_settings():
    return EngineSettings.from_sources(config.misc.get("mcp_crew", {}), os.environ)


def get_engine():
    global _engine
    engine = _engine
    if engine is not None and engine.loop.alive:
        return engine
    with _lock:
        if _engine is None or not _engine.loop.alive:
            settings = engine_settings()
            _engine = McpEngine(settings, on_catalog_changed=_sync_after_list_changed)
            _logger.info("mcp_crew: engine started (Redis %s)", settings.redis_url_redacted)
        return _engine


def _sync_after_list_changed(spec, entry):
    """A server announced a new catalog: persist it in its database.

    Runs in an engine thread with its own cursor, committed on exit; the
    caches its changes drop are signalled to the other workers as a request's
    would be (``manage_changes``).
    """
    registry = odoo.registry(spec.scope.db)
    with registry.manage_changes(), registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        server = env["mcp.server"].browse(spec.server_id).exists()
        if server and server.company_id.id == spec.scope.company_id:
            server._apply_discovery(entry)
