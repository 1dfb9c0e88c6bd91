"""Crew runs with an LLM: CrewAI against the loopback OpenAI-compatible server
(scripted replies, the only fake), tools on a real MCP server through the gate."""

import json

from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.mcp_crew.models.mcp_run_states import RunState, StepStatus

from .common import run_queued_runs
from .fake_openai import FakeOpenAI
from .test_runs import RunCase

SECRET = "sk-crew-test-7f3a9c2e11"
LEARNT = "mcp_crew.llm_tool_calling_learnt"


@tagged("post_install", "-at_install", "mcp_crew")
class TestCrewRuns(RunCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake = FakeOpenAI().start()
        cls.addClassCleanup(cls.fake.stop)
        params = cls.env["ir.config_parameter"]
        params.set_param("mcp_crew.llm_model", "fake-chat")
        params.set_param("mcp_crew.llm_base_url", cls.fake.base_url)
        params.set_param("mcp_crew.llm_api_key", SECRET)
        params.set_param("mcp_crew.llm_timeout", "5")
        params.set_param("mcp_crew.llm_price_prompt", "2.0")
        params.set_param("mcp_crew.llm_price_completion", "8.0")
        cls.crew = cls.env["mcp.crew"].create(
            {
                "name": "Calculator",
                "code": "calculator",
                "company_id": cls.company_a.id,
                "description": "Adds numbers and deletes records.",
            }
        )
        cls.agent = cls.env["mcp.agent"].create(
            {
                "crew_id": cls.crew.id,
                "name": "Clerk",
                "role": "Clerk",
                "goal": "Answer with the tools",
                "tool_ids": [(6, 0, [cls.tool["add"].id, cls.tool["delete_record"].id])],
            }
        )
        cls.env["mcp.task"].create(
            {
                "crew_id": cls.crew.id,
                "name": "Answer",
                "agent_id": cls.agent.id,
                "description": "Do what is asked: {request}",
                "expected_output": "A short answer",
            }
        )

    def setUp(self):
        super().setUp()
        self.fake.reset()

    def queue_tool_call(self, tool, arguments, call_id="call_1"):
        name = tool._tool_spec().function_name
        self.fake.queue_chat(
            {
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {"name": name, "arguments": json.dumps(arguments)},
                    }
                ]
            }
        )

    def ask_crew(self, message):
        result = self.ask(message, {"crew": "calculator"})
        # An LLM conversation never holds the request: queued for a worker.
        self.assertEqual(result["status"], RunState.RUNNING)
        self.assertEqual(result["crew"]["name"], "Calculator")
        run = self.run_of(result)
        self.assertTrue(run.queued)
        self.assertEqual(self.fake.requests_to("/chat/completions"), [])
        return run

    def chat_requests(self):
        return [r["json"] for r in self.fake.requests_to("/chat/completions")]

    def test_crew_calls_a_real_tool_through_the_gate_and_records_everything(self):
        run = self.ask_crew("Quanto é 2 + 40?")
        self.queue_tool_call(self.tool["add"], {"a": 2, "b": 40})
        self.fake.queue_chat({"content": "2 + 40 = 42"})
        self.assertEqual(run_queued_runs(self.Run), 1)
        self.assertEqual(run.state, RunState.DONE, run.error)
        self.assertEqual(run.answer, "2 + 40 = 42")
        step = run.step_ids.filtered(lambda s: s.kind == "tool")
        self.assertEqual((step.name, step.status, step.agent_role), ("add", "ok", "Calculator"))
        self.assertEqual(json.loads(step.arguments), {"a": 2, "b": 40})
        self.assertEqual(json.loads(step.result_summary), {"sum": 42})
        # The model read the real server's answer.
        tool_message = self.chat_requests()[1]["messages"][-1]
        self.assertEqual(
            (tool_message["role"], json.loads(tool_message["content"])), ("tool", {"sum": 42})
        )
        # Usage and estimated cost (prices per million tokens).
        self.assertGreater(run.prompt_tokens, 0)
        self.assertEqual(run.total_tokens, run.prompt_tokens + run.completion_tokens)
        self.assertAlmostEqual(
            run.cost, (run.prompt_tokens * 2.0 + run.completion_tokens * 8.0) / 1e6, places=9
        )
        # What the crew concluded became knowledge, with the run as its source.
        item = run.extracted_knowledge_id
        self.assertEqual(
            (item.knowledge_type, item.source_kind, item.res_model, item.res_id),
            ("conversation_summary", "run", "mcp.run", run.id),
        )
        self.assertIn("2 + 40 = 42", item.content)
        # Progress and the answer were pushed to the requester.
        statuses = [
            m["payload"]["status"]
            for m in self.bus_messages(self.user)
            if m["payload"].get("run_id") == run.id
        ]
        self.assertEqual(statuses[0], RunState.RUNNING)
        self.assertEqual(statuses[-1], RunState.DONE)

    def test_approval_blocks_the_crew_then_resumes_it(self):
        run = self.ask_crew("Delete record 7")
        self.queue_tool_call(self.tool["delete_record"], {"record_id": 7})
        self.fake.queue_chat({"content": "Deleting record 7 needs approval."})
        run_queued_runs(self.Run)
        self.assertEqual(run.state, RunState.WAITING_APPROVAL)
        step = run.step_ids.filtered(lambda s: s.kind == "tool")
        self.assertEqual(step.status, StepStatus.PENDING_APPROVAL)
        self.assertFalse(step.result_summary)
        step.with_user(self.approver).action_approve()
        # Resumed: the approved call runs first, then the crew continues knowing it.
        self.fake.queue_chat({"content": "Record 7 was deleted."})
        run_queued_runs(self.Run)
        self.assertEqual(run.state, RunState.DONE, run.error)
        self.assertEqual(run.answer, "Record 7 was deleted.")
        self.assertEqual((step.status, step.result_summary), ("ok", "deleted 7"))
        resumed_prompt = json.dumps(self.chat_requests()[-1]["messages"])
        self.assertIn("Already done (approved): delete_record", resumed_prompt)
        self.assertEqual(len(run.step_ids.filtered(lambda s: s.kind == "tool")), 1)

    def test_a_rejected_approval_stops_the_crew(self):
        run = self.ask_crew("Delete record 8")
        self.queue_tool_call(self.tool["delete_record"], {"record_id": 8})
        self.fake.queue_chat({"content": "Needs approval."})
        run_queued_runs(self.Run)
        calls = len(self.chat_requests())
        run.step_ids.filtered(lambda s: s.kind == "tool").with_user(self.approver).action_reject()
        self.assertEqual(run.state, RunState.REJECTED)
        self.assertEqual(run_queued_runs(self.Run), 0)
        self.assertEqual(len(self.chat_requests()), calls)  # the LLM heard nothing more

    def test_an_agent_cannot_call_a_tool_it_was_not_offered(self):
        crew = self.crew.copy({"code": "all_tools"})
        crew.agent_ids.write({"use_all_tools": True, "tool_ids": [(5,)]})
        result = self.ask("Delete record 9", {"crew": "all_tools"})
        run = self.run_of(result)
        # The model asks for the destructive tool it was not given, then answers.
        self.queue_tool_call(self.tool["delete_record"], {"record_id": 9})
        self.fake.queue_chat({"content": "I cannot delete records."})
        run_queued_runs(self.Run)
        self.assertEqual((run.state, run.answer), (RunState.DONE, "I cannot delete records."))
        offered = {tool["function"]["name"] for tool in self.chat_requests()[0]["tools"]}
        self.assertIn(self.tool["add"]._tool_spec().function_name, offered)
        self.assertNotIn(self.tool["delete_record"]._tool_spec().function_name, offered)
        # Nothing reached the gate: no step, no approval request.
        self.assertFalse(run.step_ids.filtered(lambda s: s.kind == "tool"))

    def test_agents_are_offered_the_tools_closest_to_the_request_first(self):
        # The fake's embeddings are bags of words: "echo" and "text" make the echo
        # tool the closest to this request (small models tend to call the first).
        self.env["ir.config_parameter"].set_param(
            "mcp_crew.embeddings_base_url", self.fake.base_url
        )
        crew = self.crew.copy({"code": "all_tools"})
        crew.agent_ids.write({"use_all_tools": True, "tool_ids": [(5,)]})
        run = self.run_of(self.ask("Echo this text back to me: hello", {"crew": "all_tools"}))
        self.fake.queue_chat({"content": "hello"})
        run_queued_runs(self.Run)
        self.assertEqual(run.state, RunState.DONE)
        offered = [tool["function"]["name"] for tool in self.chat_requests()[0]["tools"]]
        self.assertEqual(offered[0], self.tool["echo"]._tool_spec().function_name)
        self.assertGreater(len(offered), 1)
        # Without an embeddings endpoint the tools keep the catalog's order.
        self.env["ir.config_parameter"].set_param("mcp_crew.embeddings_base_url", "")
        self.fake.reset()
        run = self.run_of(self.ask("Echo this text back to me: hello", {"crew": "all_tools"}))
        self.fake.queue_chat({"content": "hello"})
        run_queued_runs(self.Run)
        unranked = [tool["function"]["name"] for tool in self.chat_requests()[0]["tools"]]
        self.assertEqual(sorted(unranked), sorted(offered))
        catalog = self.Run._company_tools().filtered(lambda tool: not tool._needs_approval())
        self.assertEqual(unranked, [tool._tool_spec().function_name for tool in catalog])

    def test_a_failing_llm_fails_the_run_without_leaking_the_key(self):
        run = self.ask_crew("Quanto é 1 + 1?")
        self.fake.set_failure(status=401)  # the fake echoes the Authorization header
        try:
            # CrewAI logs the failed response (redacted) at ERROR level.
            with mute_logger("root", "crewai.flow.runtime"):
                run_queued_runs(self.Run)
        finally:
            self.fake.set_failure()
        self.assertEqual(run.state, RunState.FAILED)
        self.assertIn("LLM call failed", run.error)
        self.assertNotIn(SECRET, run.error)
        self.assertNotIn(SECRET, run.answer)

    def written_call(self, tool, arguments):
        """What Qwen2.5-Coder under llama.cpp answers when offered OpenAI tools."""
        call = {"name": tool._tool_spec().function_name, "arguments": arguments}
        return {"content": "```json\n%s\n```" % json.dumps(call)}

    def test_a_tool_call_written_as_text_is_never_done(self):
        self.env["ir.config_parameter"].set_param("mcp_crew.llm_tool_calling", "native")
        run = self.ask_crew("Quanto é 2 + 40?")
        self.fake.queue_chat(self.written_call(self.tool["add"], {"a": 2, "b": 40}))
        run_queued_runs(self.Run)
        self.assertEqual(run.state, RunState.FAILED)
        # The requester reads the failure (in the request's language), never the raw
        # call as if it were the answer.
        self.assertEqual(run.language, "pt")
        self.assertTrue(run.answer.startswith("Não foi possível responder"), run.answer)
        self.assertNotIn('"arguments"', run.answer)
        self.assertIn("wrote a call to the tool", run.error)
        self.assertIn("set the LLM's tool calling to 'text'", run.error)
        self.assertFalse(run.step_ids.filtered(lambda s: s.kind == "tool"))
        self.assertFalse(run.extracted_knowledge_id)
        # The tokens were spent all the same: quotas and costs count them.
        self.assertGreater(run.total_tokens, 0)

    def test_auto_tool_calling_switches_the_model_to_text_and_remembers_it(self):
        params = self.env["ir.config_parameter"]
        params.set_param("mcp_crew.llm_tool_calling", "auto")
        params.set_param(LEARNT, "")
        function = self.tool["add"]._tool_spec().function_name
        run = self.ask_crew("Quanto é a soma de 2 e 40, por favor?")
        self.fake.queue_chat(self.written_call(self.tool["add"], {"a": 2, "b": 40}))
        self.fake.queue_chat(
            {"content": 'Thought: add.\nAction: %s\nAction Input: {"a": 2, "b": 40}' % function}
        )
        self.fake.queue_chat({"content": "Thought: done\nFinal Answer: 2 + 40 = 42"})
        run_queued_runs(self.Run)
        self.assertEqual(run.state, RunState.DONE, run.error)
        self.assertEqual(run.answer, "2 + 40 = 42")
        # Asked in Portuguese: every task asks for its answer in Portuguese.
        self.assertEqual(run.language, "pt")
        self.assertIn("Write it in Portuguese", json.dumps(self.chat_requests()[0]))
        step = run.step_ids.filtered(lambda s: s.kind == "tool")
        self.assertEqual((step.name, step.status), ("add", StepStatus.OK))
        self.assertEqual(json.loads(step.result_summary), {"sum": 42})
        self.assertEqual(
            json.loads(params.get_param(LEARNT)),
            {"%s|fake-chat" % self.fake.base_url.rstrip("/"): "text"},
        )
        # Every worker reads it back: the next run starts in the text format.
        self.fake.reset()
        again = self.ask_crew("Quanto é 1 + 1?")
        self.fake.queue_chat({"content": "Thought: easy\nFinal Answer: 2"})
        run_queued_runs(self.Run)
        self.assertEqual((again.state, again.answer), (RunState.DONE, "2"))
        self.assertNotIn("tools", self.chat_requests()[0])

    def test_routed_crew_requests_go_to_the_background(self):
        result = self.ask("Compare os preços de arruelas entre fornecedores")
        self.assertEqual((result["status"], result["route"]["kind"]), ("running", "crew"))
        self.assertEqual(result["crew"]["name"], "Product research")
        self.assertIn("Product research", result["answer"])

    def test_with_an_llm_an_unmatched_request_goes_to_the_default_crew(self):
        result = self.ask("Write me a poem about the sea")
        self.assertEqual((result["status"], result["route"]["kind"]), ("running", "crew"))
        self.assertEqual(result["crew"]["name"], "General assistant")
        run = self.run_of(result)
        self.assertIn("default crew", json.loads(run.route_details)["reason"])
        self.assertTrue(run.queued)

    def test_when_words_are_not_enough_the_llm_chooses_the_crew(self):
        self.env["ir.config_parameter"].set_param("mcp_crew.routing_semantic_step", "llm")
        self.fake.queue_classification("data_analysis")
        result = self.ask("Como andam os números da filial de Curitiba?")
        self.assertEqual((result["status"], result["crew"]["name"]), ("running", "Data analysis"))
        run = self.run_of(result)
        details = json.loads(run.route_details)
        self.assertTrue(
            details["reason"].startswith(
                "semantic step (example requests and LLM classification): likeliest crew"
            ),
            details["reason"],
        )
        signals = {c["name"]: c["signals"] for c in details["candidates"]}
        self.assertEqual(signals["Data analysis"]["semantic"], 1.0)
        # One short completion, before the crew runs; its tokens count on the run.
        (classification,) = self.chat_requests()
        self.assertEqual(classification["max_tokens"], 8)
        self.assertIn("Request: Como andam os números", classification["messages"][-1]["content"])
        self.assertGreater(run.prompt_tokens, 0)
        self.assertGreater(run.cost, 0)

    def test_routing_without_the_llm_classification(self):
        """The crews' example requests alone decide (no embeddings endpoint here):
        no completion is asked for."""
        params = self.env["ir.config_parameter"]
        for step in ("none", "embeddings"):
            params.set_param("mcp_crew.routing_semantic_step", step)
            self.fake.queue_classification("data_analysis")
            result = self.ask("Como andam os números da filial de Curitiba?")
            reason = json.loads(self.run_of(result).route_details)["reason"]
            self.assertTrue(reason.startswith("semantic step (example requests):"), reason)
            self.assertEqual(self.chat_requests(), [], step)
            self.assertEqual(self.run_of(result).prompt_tokens, 0)

    def test_a_failing_classification_leaves_the_default_crew(self):
        self.env["ir.config_parameter"].set_param("mcp_crew.routing_semantic_step", "llm")
        self.fake.set_failure(status=503)
        # CrewAI logs the failed response (redacted) at ERROR level.
        with mute_logger("root"):
            result = self.ask("Me ajuda com uma coisa")  # no crew claims it
        self.assertEqual(result["crew"]["name"], "General assistant")
        self.assertEqual(result["status"], "running")
        self.assertEqual(len(self.chat_requests()), 1)

    def ask_without_llm(self, message):
        """``ask(message)`` with no LLM model configured."""
        self.env["ir.config_parameter"].set_param("mcp_crew.llm_model", "")
        try:
            return self.ask(message)
        finally:
            self.env["ir.config_parameter"].set_param("mcp_crew.llm_model", "fake-chat")

    def test_a_tool_named_without_its_arguments_goes_to_the_default_crew(self):
        result = self.ask("please add two integers")
        run = self.run_of(result)
        self.assertEqual((result["status"], result["route"]["kind"]), ("running", "crew"))
        self.assertEqual(result["crew"]["name"], "General assistant")
        self.assertIn("named without its arguments (a, b)", json.loads(run.route_details)["reason"])
        self.assertTrue(run.queued)
        # Without an LLM the same request asks for the arguments instead.
        answer = self.ask_without_llm("please add two integers")["answer"]
        self.assertIn("Tool add needs the arguments a, b", answer)

    def test_a_command_that_leaves_a_required_argument_out_is_not_sent(self):
        calls = self.env["mcp.run.step"].search_count([("kind", "=", "tool")])
        result = self.ask('/tool add {"a": 2}')
        self.assertEqual(result["crew"]["name"], "General assistant")
        self.assertIn(
            "named without its arguments (b)",
            json.loads(self.run_of(result).route_details)["reason"],
        )
        answer = self.ask_without_llm('/tool add {"a": 2}')["answer"]
        self.assertIn("Tool add needs the arguments b", answer)
        # Neither reached the server.
        self.assertEqual(self.env["mcp.run.step"].search_count([("kind", "=", "tool")]), calls)

    def test_a_destructive_tool_named_in_the_request_is_offered_to_the_default_crew(self):
        """Least privilege lets a tool that needs approval reach an agent when someone
        chose it: here the requester, by naming it. The gate still holds the call."""
        result = self.ask("please delete a record")
        run = self.run_of(result)
        self.assertEqual(result["crew"]["name"], "General assistant")
        self.assertEqual(run.named_tool_id, self.tool["delete_record"])
        self.queue_tool_call(self.tool["delete_record"], {"record_id": 4})
        self.fake.queue_chat({"content": "Deleting record 4 needs approval."})
        run_queued_runs(self.Run)
        offered = {tool["function"]["name"] for tool in self.chat_requests()[0]["tools"]}
        self.assertIn(self.tool["delete_record"]._tool_spec().function_name, offered)
        self.assertEqual(run.state, RunState.WAITING_APPROVAL)
        step = run.step_ids.filtered(lambda s: s.kind == "tool")
        self.assertEqual((step.name, step.status), ("delete_record", StepStatus.PENDING_APPROVAL))
        # Another run of the same crew, which named no tool, is not offered it.
        self.fake.reset()
        other = self.run_of(self.ask("Write me a poem about the sea"))
        self.fake.queue_chat({"content": "The sea is wide."})
        run_queued_runs(self.Run)
        self.assertEqual(other.state, RunState.DONE)
        # (The first request may be the router's classification, which offers no tools.)
        crew_request = [request for request in self.chat_requests() if "tools" in request][0]
        offered = {tool["function"]["name"] for tool in crew_request["tools"]}
        self.assertIn(self.tool["add"]._tool_spec().function_name, offered)
        self.assertNotIn(self.tool["delete_record"]._tool_spec().function_name, offered)

    def test_a_question_about_a_concept_is_answered_without_tools(self):
        """Small local models call whatever tool they are offered (asked what an NF-e
        is, Qwen2.5-Coder 1.5B fetched an exchange rate and answered with it)."""
        result = self.ask("O que é ICMS-ST e por que ele entra no preço de alguns produtos?")
        run = self.run_of(result)
        self.assertEqual(result["crew"]["name"], "General assistant")
        self.assertTrue(run.crew_without_tools)
        self.assertIn("without tools", json.loads(run.route_details)["reason"])
        self.fake.queue_chat({"content": "É o ICMS cobrado antecipadamente por substituição."})
        run_queued_runs(self.Run)
        self.assertEqual(run.state, RunState.DONE)
        self.assertEqual(run.answer, "É o ICMS cobrado antecipadamente por substituição.")
        (crew_request,) = self.chat_requests()
        self.assertNotIn("tools", crew_request)
        # The same crew asked for work that may need a tool is offered them.
        self.fake.reset()
        other = self.run_of(self.ask("Write me a poem about the sea"))
        self.assertFalse(other.crew_without_tools)
        self.fake.queue_chat({"content": "The sea is wide."})
        run_queued_runs(self.Run)
        self.assertEqual((other.state, other.answer), (RunState.DONE, "The sea is wide."))
        crew_request = [request for request in self.chat_requests() if "tools" in request][0]
        offered = {tool["function"]["name"] for tool in crew_request["tools"]}
        self.assertIn(self.tool["add"]._tool_spec().function_name, offered)

    def test_without_a_default_crew_an_unmatched_request_says_no_crew_matches(self):
        self.env.ref("mcp_crew.crew_general").routing_fallback = False
        result = self.ask("Write me a poem about the sea")
        self.assertEqual((result["status"], result["route"]["kind"]), ("done", "llm_required"))
        self.assertIn("No crew matches this request", result["answer"])

    def test_a_company_default_crew_wins_over_the_shared_one(self):
        own = self.crew.copy({"code": "own_general", "routing_fallback": True})
        result = self.ask("Write me a poem about the sea")
        self.assertEqual(result["crew"]["name"], own.name)
        # Another company keeps the shared default crew.
        company_b = self.env["res.company"].create({"name": "Default crew company B"})
        user_b = new_test_user(
            self.env,
            login="run_user_default_b",
            groups="mcp_crew.group_mcp_crew_user",
            company_id=company_b.id,
            company_ids=[(6, 0, company_b.ids)],
        )
        other = self.ask("Write me a poem about the sea", user=user_b)
        self.assertEqual(other["crew"]["name"], "General assistant")

    def test_monthly_quota_refuses_new_llm_runs(self):
        self.company_a.mcp_crew_monthly_token_quota = 100
        first = self.ask_crew("Quanto é 2 + 2?")
        self.queue_tool_call(self.tool["add"], {"a": 2, "b": 2})
        self.fake.queue_chat(
            {"content": "4"},
            usage={"prompt_tokens": 90, "completion_tokens": 20, "total_tokens": 110},
        )
        run_queued_runs(self.Run)
        self.assertGreaterEqual(first.total_tokens, 100)
        self.assertEqual(self.Run._month_usage(self.company_a), first.total_tokens)
        refused = self.ask("Quanto é 3 + 3?", {"crew": "calculator"})
        self.assertEqual(refused["status"], RunState.REFUSED)
        self.assertIn("100", refused["answer"])
        # Paths without an LLM still work.
        self.assertEqual(self.ask('/tool add {"a": 3, "b": 3}')["status"], RunState.DONE)
