"""/mcp_crew/metrics scraped after real traffic: the figures match what happened."""

from prometheus_client.parser import text_string_to_metric_families

from odoo.tests import HttpCase, tagged
from odoo.tests.common import new_test_user

from .common import private_redis_engine, stdio_server_values

TOKEN = "metrics-token-4c1d9e"


@tagged("post_install", "-at_install", "mcp_crew")
class TestMetricsEndpoint(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(
            cls.env, login="metrics_user", groups="mcp_crew.group_mcp_crew_user"
        )

    def scrape(self, token=TOKEN):
        headers = {"Authorization": "Bearer %s" % token} if token else {}
        return self.url_open("/mcp_crew/metrics", headers=headers)

    def families(self):
        response = self.scrape()
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(response.headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        return {f.name: f for f in text_string_to_metric_families(response.text)}

    @staticmethod
    def value(families, name, **labels):
        matches = [
            sample.value
            for sample in families[name].samples
            if all(sample.labels.get(key) == str(val) for key, val in labels.items())
            and not sample.name.endswith(("_bucket", "_sum"))
        ]
        return sum(matches)

    def test_scrape_matches_the_traffic(self):
        with private_redis_engine(metrics_token=TOKEN):  # fresh metrics, known token
            server = self.env["mcp.server"].create(stdio_server_values("metrics catalog"))
            company = self.env.company.id
            server.action_discover()
            Run = self.env["mcp.run"].with_user(self.user)
            for index in range(3):
                Run.ask('/tool add {"a": %d, "b": 1}' % index)
            Run.ask("/tool fail")
            Run.ask('/tool add {"a": "x", "b": 1}')  # refused before any call
            Knowledge = self.env["mcp.knowledge"].with_user(self.user)
            Knowledge.store(
                {"title": "Prazo", "content": "Trinta dias.", "knowledge_type": "general_fact"}
            )
            Knowledge.store(
                {"title": "Prazo", "content": "Trinta dias.", "knowledge_type": "general_fact"}
            )
            Knowledge.search_knowledge("prazo")
            families = self.families()
        calls = "mcp_crew_tool_calls"
        self.assertEqual(
            self.value(
                families, calls, company=company, server=server.id, tool="add", outcome="ok"
            ),
            3,
        )
        self.assertEqual(self.value(families, calls, tool="fail", outcome="tool_error"), 1)
        self.assertEqual(self.value(families, "mcp_crew_tool_call_seconds", tool="add"), 3)
        self.assertEqual(self.value(families, "mcp_crew_discovery_seconds", outcome="ok"), 1)
        lookups = "mcp_crew_cache_requests"
        # Discovery missed both levels; the 5 asks' tool lookups hit L1 (the invalid
        # call too: its schema comes from the catalog).
        self.assertEqual(self.value(families, lookups, level="l1", result="miss"), 1)
        self.assertEqual(self.value(families, lookups, level="l2", result="miss"), 1)
        self.assertGreaterEqual(self.value(families, lookups, level="l1", result="hit"), 5)
        runs = "mcp_crew_runs"
        self.assertEqual(self.value(families, runs, route="tool", status="done"), 4)
        self.assertEqual(self.value(families, runs, route="tool", status="failed"), 1)
        knowledge = "mcp_crew_knowledge_operations"
        self.assertEqual(self.value(families, knowledge, company=company, operation="created"), 1)
        # Storing the same item again refreshes it.
        self.assertEqual(self.value(families, knowledge, operation="refreshed"), 1)
        self.assertEqual(self.value(families, knowledge, operation="search"), 1)
        # Scrape-time gauges: runs in the database by status, the breaker of each server.
        self.assertGreaterEqual(
            self.value(families, "mcp_crew_runs", company=company, status="done"), 4
        )
        self.assertEqual(self.value(families, "mcp_crew_circuit_state", server=server.id), 0)
        self.assertEqual(self.value(families, "mcp_crew_metrics_redis_up"), 1)

    def test_token_is_required(self):
        with private_redis_engine(metrics_token=TOKEN):
            self.assertEqual(self.scrape(token=None).status_code, 401)
            self.assertEqual(self.scrape(token="wrong").status_code, 401)
        with private_redis_engine():  # no token configured: the endpoint is off
            self.assertEqual(self.scrape().status_code, 404)
