"""``mcp.run.ask`` without an LLM: knowledge answers, tool commands, intents,
what needs an LLM, approvals of destructive calls, bad input — against a real
MCP server over stdio."""

import datetime
import json
import logging
import os

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tests.common import new_test_user

from odoo.addons.mcp_crew.models.mcp_run_states import RunState, StepStatus

from . import routing_set
from .common import McpCrewCase, run_queued_runs

_logger = logging.getLogger(__name__)
ROUTING_CASES = os.path.join(os.path.dirname(__file__), "routing_cases.json")


class RunCase(McpCrewCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Run = cls.env["mcp.run"]
        cls.user = new_test_user(
            cls.env,
            login="run_user",
            groups="mcp_crew.group_mcp_crew_user",
            company_id=cls.company_a.id,
        )
        cls.approver = new_test_user(
            cls.env,
            login="run_approver",
            groups="mcp_crew.group_mcp_crew_approver",
            company_id=cls.company_a.id,
        )
        cls.server = cls.create_stdio_server("catalog")
        cls.server.action_discover()
        cls.tool = {tool.name: tool for tool in cls.server.tool_ids}

    def ask(self, message, context=None, user=None):
        return self.Run.with_user(user or self.user).ask(message, context)

    def run_of(self, result):
        return self.Run.browse(result["run_id"])

    def bus_messages(self, user):
        notifications = (
            self.env["bus.bus"]
            .sudo()
            .search([("channel", "like", '"res.partner",%d]' % user.partner_id.id)])
        )
        return [json.loads(n.message) for n in notifications]


@tagged("post_install", "-at_install", "mcp_crew")
class TestAskWithoutLlm(RunCase):
    def test_question_answered_from_knowledge_with_sources(self):
        stored = self.env["mcp.knowledge"].store(
            {
                "title": "Prazo de devolução",
                "content": "Clientes podem devolver produtos em até 30 dias com a nota fiscal.",
                "knowledge_type": "general_fact",
                "source": {"kind": "user", "label": "Política comercial"},
            }
        )
        result = self.ask("Qual é o prazo de devolução dos produtos?")
        self.assertEqual(result["status"], RunState.DONE)
        self.assertEqual(result["route"]["kind"], "knowledge")
        self.assertEqual(result["route"]["language"], "pt")
        self.assertIn("Encontrei isto na base de conhecimento", result["answer"])
        self.assertIn("Prazo de devolução", result["answer"])
        self.assertIn("30 dias", result["answer"])
        self.assertIn("Política comercial", result["answer"])
        # A database with demo data has an item of the same title: both may serve.
        used = {k["id"]: k["title"] for k in result["knowledge_used"]}
        self.assertIn(stored["id"], used)
        self.assertEqual(set(used.values()), {"Prazo de devolução"})
        self.assertEqual(result["steps"][0]["kind"], "knowledge")
        self.assertEqual(result["steps"][0]["status"], StepStatus.OK)
        self.assertEqual(result["usage"]["total_tokens"], 0)
        run = self.run_of(result)
        self.assertEqual(
            (run.requester_id, run.company_id, run.channel), (self.user, self.company_a, "jsonrpc")
        )
        # The answer is in the response; the bus is for what happens elsewhere.
        self.assertFalse([m for m in self.bus_messages(self.user) if m["type"] == "mcp_crew/run"])

    def test_what_a_crew_concluded_is_no_knowledge_answer_until_confirmed(self):
        """Seen with a 1.5B model: its wrong conclusion (the dearer supplier), filed
        as knowledge, answered the same question again, without a crew."""
        filed = self.env["mcp.knowledge"].store(
            {
                "title": "Qual fornecedor vende o rolamento ZX-4471 mais barato?",
                "content": "O rolamento ZX-4471 mais barato é o da Fixadores Paulista.",
                "knowledge_type": "conversation_summary",
                "confidence": 0.6,  # as a crew run files its answer
                "source": {"kind": "run", "label": "Product research"},
            }
        )
        question = "Qual fornecedor vende o rolamento ZX-4471 mais barato?"
        result = self.ask(question)
        self.assertNotEqual(result["route"]["kind"], "knowledge", result)
        self.assertEqual(result["steps"][0]["kind"], "knowledge")  # it was found
        self.assertIn("ZX-4471", result["steps"][0]["result"])
        self.env["mcp.knowledge"].browse(filed["id"]).write({"confidence": 0.9})  # confirmed
        confirmed = self.ask(question)
        self.assertEqual(confirmed["route"]["kind"], "knowledge", confirmed)
        self.assertIn(filed["id"], [k["id"] for k in confirmed["knowledge_used"]])

    def test_tool_command_calls_the_real_server_and_records_a_step(self):
        result = self.ask('/tool add {"a": 2, "b": 40}')
        self.assertEqual(result["status"], RunState.DONE, result)
        self.assertEqual(result["route"]["kind"], "tool")
        self.assertIn('{"sum": 42}', result["answer"])
        step = result["steps"][-1]
        self.assertEqual(
            (step["kind"], step["name"], step["status"]), ("tool", "add", StepStatus.OK)
        )
        self.assertEqual(step["arguments"], {"a": 2, "b": 40})
        self.assertEqual(step["server"], "catalog")
        self.assertGreater(step["latency_ms"], 0)
        # key=value arguments, the Portuguese spelling of the command.
        result = self.ask('/ferramenta echo text="olá mundo"')
        self.assertEqual(result["status"], RunState.DONE)
        self.assertIn("olá mundo", result["answer"])

    def test_tool_failures_fail_the_run_with_a_clear_error(self):
        result = self.ask('/tool add {"a": "two", "b": 1}')
        self.assertEqual(result["status"], RunState.FAILED)
        self.assertIn("Invalid arguments for tool add: a", result["error"])
        self.assertEqual(result["steps"][-1]["status"], StepStatus.ERROR)
        result = self.ask("/tool fail")
        self.assertEqual(result["steps"][-1]["status"], StepStatus.ERROR)
        self.assertIn("this tool always fails", result["answer"])
        result = self.ask("/tool no_such_tool")
        self.assertEqual(result["status"], RunState.FAILED)
        self.assertIn("no tool named no_such_tool", result["error"])
        self.tool["echo"].active = False
        result = self.ask('/tool echo {"text": "x"}')
        self.assertEqual(result["status"], RunState.FAILED)
        self.assertIn("no tool named echo", result["error"])
        result = self.ask("/tool add {not json")
        self.assertEqual(result["status"], RunState.FAILED)
        self.assertIn("not valid JSON", result["error"])

    def test_intents_answer_without_an_llm(self):
        result = self.ask("Quais ferramentas estão disponíveis?")
        self.assertEqual(
            (result["route"]["kind"], result["route"]["name"]), ("intent", "list_tools")
        )
        self.assertIn("catalog:", result["answer"])
        self.assertIn("delete_record", result["answer"])
        result = self.ask("What is the status of the servers?")
        self.assertEqual(result["route"]["name"], "server_status")
        self.assertIn("catalog: OK", result["answer"])

    def test_without_an_llm_a_crew_request_says_what_is_missing(self):
        result = self.ask("Compare os preços de arruelas entre fornecedores")
        self.assertEqual(result["status"], RunState.DONE)
        self.assertEqual(result["route"]["kind"], "llm_required")
        self.assertEqual(result["crew"]["name"], "Product research")
        self.assertIn("nenhum LLM está configurado", result["answer"])
        result = self.ask("Write me a poem about the sea")
        self.assertEqual(result["route"]["kind"], "llm_required")
        self.assertIsNone(result["crew"])
        self.assertIn("needs an LLM", result["answer"])
        # The decision explains itself: ranked candidates with their signals.
        candidate = self.ask("Compare supplier prices for washers")["route"]["candidates"][0]
        self.assertEqual(candidate["name"], "Product research")
        self.assertIn("keywords", candidate["signals"])

    def test_the_cached_router_follows_crew_edits(self):
        crew = self.env["mcp.crew"].create(
            {
                "name": "Zebra desk",
                "description": "Street works and their permits.",
                "routing_keywords": "zebracrossing",
                "company_id": self.company_a.id,
            }
        )
        request = "Check the zebracrossing on Main Street"
        self.assertEqual(self.ask(request)["crew"]["name"], "Zebra desk")
        crew.routing_keywords = "roundabout"
        self.assertNotEqual((self.ask(request)["crew"] or {}).get("name"), "Zebra desk")
        self.assertEqual(self.ask("Check the roundabout")["crew"]["name"], "Zebra desk")
        crew.active = False
        self.assertNotEqual(
            (self.ask("Check the roundabout")["crew"] or {}).get("name"), "Zebra desk"
        )

    def test_ask_keeps_working_with_redis_down(self):
        with self.private_redis_engine() as redis_server:
            redis_server.stop()
            with self.assertLogs("odoo.addons.mcp_crew.services.cache", "WARNING"):
                result = self.ask('/tool add {"a": 1, "b": 1}')
            self.assertEqual(result["status"], RunState.DONE, result)
            self.assertIn('{"sum": 2}', result["answer"])
            self.assertEqual(
                self.ask("Quais ferramentas estão disponíveis?")["status"], RunState.DONE
            )

    def test_a_tool_chosen_from_words_asks_for_its_arguments(self):
        decision = (
            self.Run.with_user(self.user)
            ._router()
            .route("please add two integers", llm_available=False)
        )
        self.assertEqual(decision.kind, "tool")
        result = self.ask("please add two integers")
        self.assertIn("/tool add", result["answer"])
        self.assertIn("a, b", result["answer"])

    def test_bad_input_gets_a_clear_error_and_writes_nothing(self):
        before = self.Run.search_count([])
        cases = [
            ("", None, "empty"),
            ("   ", None, "empty"),
            (42, None, "must be text"),
            ("x" * 4001, None, "too long"),
            ("hello", "crew", "must be a dictionary"),
            ("hello", {"colour": "red"}, "Unknown context keys: colour"),
            ("hello", {"crew": "no_such_crew"}, "Unknown crew no_such_crew"),
            ("hello", {"crew": 10**6}, "Unknown crew"),
            ("hello", {"channel": "fax"}, "Unknown channel fax"),
            ("hello", {"model": "no.model", "res_id": 1}, "Unknown model no.model"),
            ("hello", {"model": "res.partner", "res_id": "1"}, "positive integer"),
            ("hello", {"model": "res.partner", "res_id": 10**8}, "does not exist"),
        ]
        for message, context, expected in cases:
            with self.subTest(message=str(message)[:20], context=context):
                with self.assertRaisesRegex(ValidationError, expected):
                    self.ask(message, context)
        self.assertEqual(self.Run.search_count([]), before)
        self.env["ir.config_parameter"].set_param("mcp_crew.max_message_length", 10)
        with self.assertRaisesRegex(ValidationError, "at most 10"):
            self.ask("a message longer than ten")

    def test_record_context_is_checked_with_the_requesters_rights(self):
        partner = self.env["res.partner"].create({"name": "Acme Tools"})
        result = self.ask(
            "Quais ferramentas estão disponíveis?",
            {"model": "res.partner", "res_id": partner.id, "channel": "chatter"},
        )
        run = self.run_of(result)
        self.assertEqual(
            (run.res_model, run.res_id, run.record_name, run.channel),
            ("res.partner", partner.id, "Acme Tools", "chatter"),
        )
        secret = self.env["ir.config_parameter"].search([], limit=1)
        with self.assertRaises(AccessError):
            self.ask("hello", {"model": "ir.config_parameter", "res_id": secret.id})

    def test_users_without_the_group_cannot_ask(self):
        outsider = new_test_user(self.env, login="run_outsider", groups="base.group_user")
        with self.assertRaisesRegex(AccessError, "MCP Crew user group"):
            self.ask("hello", user=outsider)

    def test_routing_accuracy_on_the_shipped_crews(self):
        """The labelled set against the default crews as installed, the real
        server's tools among the candidates."""
        with open(ROUTING_CASES, encoding="utf-8") as handle:
            cases = [case for case in json.load(handle)["cases"] if case[1] == "crew"]
        crews = {crew.code: crew.id for crew in self.env["mcp.crew"].search([])}
        router = self.Run.with_user(self.user)._router()
        misses = []
        for message, _kind, code in cases:
            decision = router.route(message, llm_available=True)
            routed = (decision.kind, decision.ident)
            # Glue modules may answer an ERP operation themselves, without an LLM
            # (mcp_crew_sale's create_sale_order): as right as the crew.
            answered_by_intent = code == "odoo_operations" and decision.kind == "intent"
            if routed != ("crew", str(crews[code])) and not answered_by_intent:
                misses.append((message, code, decision.kind, decision.name))
        accuracy = 1 - len(misses) / len(cases)
        _logger.info(
            "routing accuracy on the shipped crews: %d/%d = %.1f %%; misses: %s",
            len(cases) - len(misses),
            len(cases),
            accuracy * 100,
            misses,
        )
        self.assertGreaterEqual(len(cases), 40)
        self.assertGreaterEqual(accuracy, 0.9, misses)

    def test_routing_of_user_requests_on_the_shipped_crews(self):
        """The tuning half of the user-request set against the installed records (the
        glue modules' intents among the candidates): crew and intent cases, as the
        tools and knowledge differ here from the demo server's."""
        crews = {str(crew.id): crew.code for crew in self.env["mcp.crew"].search([])}
        router = self.Run.with_user(self.user)._router()
        for half in ("tuning", "held_out"):
            cases = [
                case
                for case in routing_set.DATA[half]
                if case["expect"].split(":")[0] in ("crew", "intent") and "knowledge" not in case
            ]
            misses = [
                miss
                for miss in routing_set.replay(router, cases, crew_codes=crews)
                # A glue module's own intent doing an ERP operation is as right as the crew.
                if not (miss[1] == "crew:odoo_operations" and miss[2].startswith("intent:"))
            ]
            _logger.info("%s", routing_set.summary(half, cases, misses))
            if half == "tuning":
                self.assertGreaterEqual(len(cases), 35)
                self.assertLessEqual(len(misses) / len(cases), 0.05, misses)


@tagged("post_install", "-at_install", "mcp_crew")
class TestApprovals(RunCase):
    def ask_delete(self):
        result = self.ask('/tool delete_record {"record_id": 7}')
        self.assertEqual(result["status"], RunState.WAITING_APPROVAL, result)
        self.assertIn("delete_record", result["answer"])
        return self.run_of(result)

    def test_destructive_call_waits_then_runs_once_approved(self):
        run = self.ask_delete()
        step = run.step_ids.filtered(lambda s: s.kind == "tool")
        self.assertEqual(step.status, StepStatus.PENDING_APPROVAL)
        self.assertTrue(step.approval_deadline)
        self.assertFalse(step.result_summary)  # nothing ran
        # The company's approvers heard about it.
        waiting = [
            m["payload"]
            for m in self.bus_messages(self.approver)
            if m["type"] == "mcp_crew/approval"
        ]
        self.assertEqual(waiting[-1]["step"]["id"], step.id)
        self.assertEqual(waiting[-1]["requester"], self.user.name)
        with self.assertRaises(AccessError):
            step.with_user(self.user).action_approve()
        step.with_user(self.approver).action_approve()
        self.assertTrue(run.queued)
        self.assertEqual(run_queued_runs(self.Run), 1)
        self.assertEqual(run.state, RunState.DONE)
        self.assertIn("deleted 7", run.answer)
        self.assertEqual((step.status, step.decided_by_id), ("ok", self.approver))
        self.assertIn("deleted 7", step.result_summary)
        self.assertEqual(len(run.step_ids.filtered(lambda s: s.kind == "tool")), 1)
        with self.assertRaisesRegex(UserError, "not waiting for approval"):
            step.with_user(self.approver).action_approve()

    def test_rejected_call_stops_the_run(self):
        run = self.ask_delete()
        step = run.step_ids.filtered(lambda s: s.kind == "tool")
        step.with_user(self.approver).action_reject()
        self.assertEqual((run.state, step.status), (RunState.REJECTED, StepStatus.REJECTED))
        pushed = [m["payload"] for m in self.bus_messages(self.user) if m["type"] == "mcp_crew/run"]
        self.assertEqual(pushed[-1]["status"], RunState.REJECTED)  # the requester hears of it
        self.assertIn("rejected delete_record", run.answer)
        self.assertEqual(run_queued_runs(self.Run), 0)

    def test_expired_approval_is_refused_and_the_run_fails(self):
        run = self.ask_delete()
        step = run.step_ids.filtered(lambda s: s.kind == "tool")
        past = datetime.datetime.now() - datetime.timedelta(minutes=1)
        self.env.cr.execute(
            "UPDATE mcp_run_step SET approval_deadline = %s WHERE id = %s", (past, step.id)
        )
        step.invalidate_recordset()
        with self.assertRaisesRegex(UserError, "expired"):
            step.with_user(self.approver).action_approve()
        run_queued_runs(self.Run)
        self.assertEqual((step.status, run.state), (StepStatus.EXPIRED, RunState.FAILED))
        self.assertIn("expired", run.error)

    def test_admin_flag_requires_approval_for_any_tool(self):
        self.tool["echo"].requires_approval = True
        result = self.ask('/tool echo {"text": "x"}')
        self.assertEqual(result["status"], RunState.WAITING_APPROVAL)

    def test_steps_are_an_immutable_audit_trail(self):
        result = self.ask('/tool add {"a": 1, "b": 1}')
        step = self.env["mcp.run.step"].browse(result["steps"][-1]["id"])
        for user in (self.user, self.manager):
            with self.assertRaises(AccessError):
                step.with_user(user).write({"result_summary": "forged"})
            with self.assertRaises(AccessError):
                step.with_user(user).unlink()
        with self.assertRaises(AccessError):
            step.sudo().write({"arguments": "{}"})  # even sudo cannot rewrite history
        with self.assertRaises(AccessError):
            self.run_of(result).with_user(self.user).write({"answer": "forged"})
