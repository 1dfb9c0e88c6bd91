import hmac

from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from odoo import http
from odoo.http import request

from ..runtime import get_engine
from ..services import metrics
from ..services.circuit import CLOSED, HALF_OPEN, OPEN

CIRCUIT_STATES = {CLOSED: 0, HALF_OPEN: 1, OPEN: 2}


class McpCrewMetrics(http.Controller):
    @http.route(
        "/mcp_crew/metrics",
        type="http",
        auth="none",
        methods=["GET"],
        csrf=False,
        save_session=False,
    )
    def metrics(self):
        """Prometheus metrics of this database, for a scraper holding the token
        (odoo.conf ``[mcp_crew] metrics_token`` / ``MCP_CREW_METRICS_TOKEN``)."""
        engine = get_engine()
        token = engine.settings.metrics_token
        if not token:
            return request.make_response("metrics are off: set metrics_token\n", status=404)
        scheme, _, given = request.httprequest.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), token):
            return request.make_response(
                "unauthorized\n", status=401, headers=[("WWW-Authenticate", "Bearer")]
            )
        samples, redis_up = engine.metrics.snapshot(request.db)
        env = request.env(su=True)
        gauges = [
            (
                "mcp_crew_runs_stored",
                "Runs in the database by company and status.",
                _runs_by_status(env),
            ),
            (
                "mcp_crew_circuit_state",
                "Circuit breaker of each server in the scraped worker "
                "(0 closed, 1 half-open, 2 open).",
                _circuit_states(env, engine),
            ),
        ]
        body = metrics.render(samples, gauges, redis_up=redis_up)
        return request.make_response(body, headers=[("Content-Type", CONTENT_TYPE_PLAIN_0_0_4)])


def _runs_by_status(env):
    env["mcp.run"].flush_model(["state"])
    env.cr.execute(
        "SELECT company_id, state, COUNT(*) FROM mcp_run GROUP BY company_id, state "
        "ORDER BY company_id, state"
    )
    return [
        ((("company", company), ("status", state)), count)
        for company, state, count in env.cr.fetchall()
    ]


def _circuit_states(env, engine):
    values = []
    for server in env["mcp.server"].with_context(active_test=False).search([]):
        breaker = engine.breakers.peek(server._cache_scope(), server.id)
        state = breaker.state if breaker else CLOSED
        values.append(
            (
                (("company", server.company_id.id), ("server", server.id)),
                CIRCUIT_STATES.get(state, 0),
            )
        )
    return values
