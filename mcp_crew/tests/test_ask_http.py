"""The two doors to ``mcp.run.ask`` over real HTTP: ``/mcp_crew/ask`` for a
logged-in web client, ``/jsonrpc`` ``execute_kw`` with an API key for other
systems — one implementation, one answer shape."""

import json

from odoo.tests import HttpCase, tagged
from odoo.tests.common import new_test_user

from odoo.addons.mcp_crew.models.mcp_run_states import RunState

from .common import stdio_server_values

ANSWER_KEYS = {
    "run_id",
    "message",
    "status",
    "answer",
    "error",
    "route",
    "crew",
    "steps",
    "knowledge_used",
    "usage",
}


@tagged("post_install", "-at_install", "mcp_crew")
class TestAskOverHttp(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(
            cls.env,
            login="http_asker",
            password="http_asker_pw",
            groups="mcp_crew.group_mcp_crew_user",
        )
        server = cls.env["mcp.server"].create(stdio_server_values())
        server.action_discover()
        cls.api_key = cls.env["res.users.apikeys"].with_user(cls.user)._generate(None, "tests")

    def post_json(self, url, params):
        response = self.url_open(
            url,
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        return response.json()

    def execute_kw(self, password, method, args, kwargs=None):
        return self.post_json(
            "/jsonrpc",
            {
                "service": "object",
                "method": "execute_kw",
                "args": [
                    self.env.cr.dbname,
                    self.user.id,
                    password,
                    "mcp.run",
                    method,
                    args,
                    kwargs or {},
                ],
            },
        )

    def test_web_client_route(self):
        self.authenticate("http_asker", "http_asker_pw")
        reply = self.post_json("/mcp_crew/ask", {"message": '/tool add {"a": 20, "b": 22}'})
        result = reply["result"]
        self.assertEqual(set(result), ANSWER_KEYS)
        self.assertEqual(result["status"], RunState.DONE)
        self.assertIn('{"sum": 42}', result["answer"])
        run = self.env["mcp.run"].browse(result["run_id"])
        self.assertEqual((run.channel, run.requester_id), ("chat", self.user))
        # The chatter claims its channel and a record.
        partner = self.env["res.partner"].create({"name": "Chatter Partner"})
        result = self.post_json(
            "/mcp_crew/ask",
            {
                "message": "Quais ferramentas estão disponíveis?",
                "ask_context": {"channel": "chatter", "model": "res.partner", "res_id": partner.id},
            },
        )["result"]
        run = self.env["mcp.run"].browse(result["run_id"])
        self.assertEqual((run.channel, run.record_name), ("chatter", "Chatter Partner"))
        # Bad input: a clear error, no run.
        before = self.env["mcp.run"].search_count([])
        for params, expected in (
            ({"message": ""}, "The message is empty"),
            ({"message": ["a list"]}, "must be text"),
            ({"message": "hi", "ask_context": {"crew": "nope"}}, "Unknown crew nope"),
            ({"message": "hi", "ask_context": "text"}, "must be a dictionary"),
        ):
            error = self.post_json("/mcp_crew/ask", params)["error"]
            self.assertIn(expected, error["data"]["message"])
        self.assertEqual(self.env["mcp.run"].search_count([]), before)

    def test_web_client_route_needs_a_session(self):
        reply = self.post_json("/mcp_crew/ask", {"message": "hello"})
        self.assertEqual(reply["error"]["data"]["name"], "odoo.http.SessionExpiredException")

    def test_external_system_with_an_api_key(self):
        # The request context is ask()'s second positional argument: the
        # ``context`` keyword of execute_kw is Odoo's own.
        reply = self.execute_kw(
            self.api_key, "ask", ['/tool echo {"text": "via jsonrpc"}', {"crew": None}]
        )
        result = reply["result"]
        self.assertEqual(set(result), ANSWER_KEYS)
        self.assertEqual(result["status"], RunState.DONE)
        self.assertIn("via jsonrpc", result["answer"])
        run = self.env["mcp.run"].browse(result["run_id"])
        self.assertEqual((run.channel, run.requester_id), ("jsonrpc", self.user))
        # Polling a run gives the same shape.
        polled = self.execute_kw(self.api_key, "get_results", [[result["run_id"]]])["result"]
        self.assertEqual(polled[0]["answer"], result["answer"])
        # Same validation as the web route.
        error = self.execute_kw(self.api_key, "ask", ["   "])["error"]
        self.assertIn("The message is empty", error["data"]["message"])
        # A wrong key is refused before anything runs.
        error = self.execute_kw("not-the-key", "ask", ["hello"])["error"]
        self.assertEqual(error["data"]["name"], "odoo.exceptions.AccessDenied")
