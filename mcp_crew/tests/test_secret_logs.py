"""No secret in any log line; the run and company on the lines of a run.

Flows run with known secrets — an MCP header and an environment value, the
LLM key, the embeddings key, an Odoo API key, the metrics token — against
peers that echo credentials back in their error bodies (the loopback
OpenAI-compatible fake does, as some proxies do), and every log record the
process creates meanwhile is captured at creation, before any handler or
muting, and scanned.
"""

import json
import logging

from odoo.tests import HttpCase, tagged
from odoo.tests.common import new_test_user
from odoo.tools import mute_logger

from odoo.addons.mcp_crew.models.mcp_run_states import RunState

from .common import (
    LOOPBACK,
    private_redis_engine,
    run_queued_runs,
    start_catalog_server,
    stdio_server_values,
)
from .fake_openai import FakeOpenAI

SECRETS = {
    "header": "hdr-secret-6a0f2b9c1e",
    "env": "env-secret-93d1c7a4f0",
    "llm": "sk-llm-secret-7b2e91c0d4",
    "embeddings": "sk-emb-secret-1c9d33e7a2",
    "metrics": "metrics-secret-55af0e1b9c",
}


class CapturedRecords:
    """Every record created while active, through the process's record factory."""

    def __init__(self):
        self.records = []

    def __enter__(self):
        self.previous = logging.getLogRecordFactory()

        def factory(*args, **kwargs):
            record = self.previous(*args, **kwargs)
            self.records.append(record)
            return record

        logging.setLogRecordFactory(factory)
        return self

    def __exit__(self, *exc_info):
        logging.setLogRecordFactory(self.previous)

    def lines(self):
        formatter = logging.Formatter("%(levelname)s %(name)s: %(message)s")
        return [formatter.format(record) for record in self.records]


@tagged("post_install", "-at_install", "mcp_crew")
class TestSecretsStayOutOfLogs(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(
            cls.env, login="secret_logs_user", groups="mcp_crew.group_mcp_crew_user"
        )
        cls.api_key = cls.env["res.users.apikeys"].with_user(cls.user)._generate(None, "logs")

    def test_flows_with_known_secrets_leave_none_in_the_logs(self):
        secrets = dict(SECRETS, api_key=self.api_key)
        with (
            FakeOpenAI() as fake,
            private_redis_engine(metrics_token=secrets["metrics"], allowed_hosts=LOOPBACK),
            CapturedRecords() as captured,
        ):
            run = self.run_flows(fake, secrets)
        lines = captured.lines()
        self.assertGreater(len(lines), 20)
        # The peers did echo the keys: without redaction these lines would hold them.
        echoed = [line for line in lines if "scripted failure" in line]
        self.assertTrue(echoed, "the LLM failure was logged")
        for name, secret in secrets.items():
            leaking = [line for line in lines if secret in line]
            self.assertFalse(leaking, "%s leaked: %s" % (name, leaking[:3]))
        # Every line logged while the crew ran names the run and its company.
        prefix = "[run=%d company=%d]" % (run.id, run.company_id.id)
        in_run = [line for line in lines if "scripted failure" in line or "LLM" in line]
        self.assertTrue(in_run)
        for line in in_run:
            self.assertIn(prefix, line)

    def run_flows(self, fake, secrets):
        env = self.env
        params = env["ir.config_parameter"]
        http_server = env["mcp.server"].create(
            {
                "name": "secret http",
                "transport": "streamable_http",
                "url": self.start_catalog_http(),
                "kind": "database",
                "timeout": 10,
                "param_ids": [
                    (
                        0,
                        0,
                        {
                            "param_type": "header",
                            "name": "Authorization",
                            "is_secret": True,
                            "secret_value": "Bearer %s" % secrets["header"],
                        },
                    )
                ],
            }
        )
        stdio_server = env["mcp.server"].create(
            stdio_server_values(
                "secret stdio",
                param_ids=[
                    (
                        0,
                        0,
                        {
                            "param_type": "env",
                            "name": "API_TOKEN",
                            "is_secret": True,
                            "secret_value": secrets["env"],
                        },
                    )
                ],
            )
        )
        for server in (http_server, stdio_server):
            server.action_discover()
            server.call_tool("echo", {"text": "hello"})
        self.http_process.kill()
        self.http_process.wait(5)
        http_server.action_discover()  # fails: logged with the server's label
        # Embeddings endpoint failing and echoing its key.
        params.set_param("mcp_crew.embeddings_base_url", fake.base_url)
        params.set_param("mcp_crew.embeddings_api_key", secrets["embeddings"])
        fake.set_failure(status=401)
        env["mcp.knowledge"].store(
            {"title": "Prazo", "content": "Trinta dias.", "knowledge_type": "general_fact"}
        )
        env["mcp.knowledge"].search_knowledge("prazo")
        # A crew run whose LLM refuses the key and echoes it.
        params.set_param("mcp_crew.llm_model", "fake-chat")
        params.set_param("mcp_crew.llm_base_url", fake.base_url)
        params.set_param("mcp_crew.llm_api_key", secrets["llm"])
        result = (
            env["mcp.run"]
            .with_user(self.user)
            .ask("Compare os preços de arruelas entre fornecedores")
        )
        with mute_logger("root", "crewai.flow.runtime"):
            run_queued_runs(env["mcp.run"])
        run = env["mcp.run"].browse(result["run_id"])
        self.assertEqual(run.state, RunState.FAILED)
        fake.set_failure()
        # Odoo's /mcp with the API key, and the metrics endpoint with its token.
        reply = self.opener.post(
            self.base_url() + "/mcp",
            timeout=30,
            data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
            headers={
                "Authorization": "Bearer %s" % secrets["api_key"],
                "Content-Type": "application/json",
            },
        )
        self.assertEqual(reply.status_code, 200)
        scrape = self.url_open(
            "/mcp_crew/metrics", headers={"Authorization": "Bearer %s" % secrets["metrics"]}
        )
        self.assertEqual(scrape.status_code, 200)
        return run

    def start_catalog_http(self):
        url, server = start_catalog_server()
        self.addCleanup(server.kill)
        self.http_process = server.process
        return url
