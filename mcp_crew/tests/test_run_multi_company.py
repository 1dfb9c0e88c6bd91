"""Crews, agents, tasks, runs and steps with two companies and two users."""

from unittest.mock import patch

from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tests.common import new_test_user
from odoo.tools import lazy_property, mute_logger

from odoo.addons.mcp_crew.models.mcp_run_states import RunState, StepStatus

from .test_runs import RunCase


@tagged("post_install", "-at_install", "mcp_crew")
class TestRunMultiCompany(RunCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Runs Company B"})
        cls.user_b = new_test_user(
            cls.env,
            login="run_user_b",
            groups="mcp_crew.group_mcp_crew_approver",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.server_b = cls.create_stdio_server("catalog b", company=cls.company_b)
        cls.server_b.with_company(cls.company_b).action_discover()
        cls.crew_a = cls.env["mcp.crew"].create(
            {
                "name": "A only",
                "code": "a_only",
                "company_id": cls.company_a.id,
                "description": "Crew of company A.",
            }
        )
        cls.agent_a = cls.env["mcp.agent"].create(
            {
                "crew_id": cls.crew_a.id,
                "name": "A",
                "role": "A",
                "goal": "A",
            }
        )
        cls.task_a = cls.env["mcp.task"].create(
            {
                "crew_id": cls.crew_a.id,
                "name": "A",
                "agent_id": cls.agent_a.id,
                "description": "A",
                "expected_output": "A",
            }
        )
        cls.run_a = cls.Run.browse(
            cls.Run.with_user(cls.approver).ask('/tool delete_record {"record_id": 1}')["run_id"]
        )
        cls.run_b = cls.Run.browse(
            cls.Run.with_user(cls.user_b).ask('/tool add {"a": 1, "b": 2}')["run_id"]
        )

    def test_each_company_sees_only_its_runs_steps_and_crews(self):
        self.assertEqual(self.run_a.company_id, self.company_a)
        self.assertEqual(self.run_b.company_id, self.company_b)
        for model, record_a in (
            ("mcp.run", self.run_a),
            ("mcp.run.step", self.run_a.step_ids),
            ("mcp.crew", self.crew_a),
            ("mcp.agent", self.agent_a),
            ("mcp.task", self.task_a),
        ):
            with self.subTest(model=model):
                visible_b = self.env[model].with_user(self.user_b).search([])
                self.assertFalse(visible_b & record_a)
                with self.assertRaises(AccessError):
                    record_a.with_user(self.user_b).read([])
        # Shared default crews serve both companies.
        shared = self.env.ref("mcp_crew.crew_product_research")
        self.assertIn(shared, self.env["mcp.crew"].with_user(self.user_b).search([]))

    def test_results_and_approvals_do_not_cross_companies(self):
        with self.assertRaises(AccessError):
            self.run_a.with_user(self.user_b).get_results()
        step_a = self.run_a.step_ids.filtered(lambda s: s.status == StepStatus.PENDING_APPROVAL)
        self.assertTrue(step_a)
        # user_b is an approver, but of company B.
        with self.assertRaises(AccessError):
            step_a.with_user(self.user_b).action_approve()
        self.assertEqual(step_a.status, StepStatus.PENDING_APPROVAL)

    def test_company_b_cannot_use_company_a_crews_or_tools(self):
        with self.assertRaisesRegex(ValidationError, "Unknown crew a_only"):
            self.Run.with_user(self.user_b).ask("hi", {"crew": "a_only"})
        with self.assertRaisesRegex(ValidationError, "Unknown crew"):
            self.Run.with_user(self.user_b).ask("hi", {"crew": self.crew_a.id})
        # "/tool <server A id>:echo" names A's tool: B's router does not know it.
        result = self.Run.with_user(self.user_b).ask('/tool %s:echo {"text": "x"}' % self.server.id)
        self.assertEqual(result["status"], RunState.FAILED)
        self.assertIn("no tool named", result["error"])
        # The intent lists only B's servers.
        answer = self.Run.with_user(self.user_b).ask("which tools are available?")["answer"]
        self.assertIn("catalog b:", answer)
        self.assertNotIn("catalog:", answer)

    def test_a_crew_code_picks_the_company_crew_before_the_shared_one(self):
        shared = self.env.ref("mcp_crew.crew_product_research")
        own = self.crew_a.copy({"code": shared.code, "name": "Own product research"})
        as_a = self.ask("Compare suppliers", {"crew": shared.code})
        as_b = self.ask("Compare suppliers", {"crew": shared.code}, user=self.user_b)
        self.assertEqual(self.run_of(as_a).crew_id, own)
        self.assertEqual(self.run_of(as_b).crew_id, shared)
        # A shared code is taken once; another company may take it too.
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            shared.copy({"code": shared.code})
        crew_b = self.crew_a.copy({"code": shared.code, "company_id": self.company_b.id})
        self.assertEqual(crew_b.company_id, self.company_b)

    def test_users_see_only_their_own_runs_approvers_all_of_their_company(self):
        run_user = self.Run.browse(self.ask('/tool add {"a": 5, "b": 5}')["run_id"])
        self.assertNotIn(self.run_a, self.Run.with_user(self.user).search([]))
        self.assertIn(run_user, self.Run.with_user(self.user).search([]))
        self.assertIn(run_user, self.Run.with_user(self.approver).search([]))

    def test_usage_and_quota_are_per_company(self):
        self.run_a.sudo().write({"total_tokens": 500})
        self.assertEqual(self.Run._month_usage(self.company_a), 500)
        self.assertEqual(self.Run._month_usage(self.company_b), 0)

    def test_a_call_naming_no_company_works_in_the_users_default_one(self):
        """As /jsonrpc's execute_kw calls (no allowed_company_ids): in the user's
        default company, known without reading the user's row, and in the new one
        once an administrator changes it."""
        both = new_test_user(
            self.env,
            login="run_user_ab",
            groups="mcp_crew.group_mcp_crew_user",
            company_id=self.company_b.id,
            company_ids=[(6, 0, (self.company_a | self.company_b).ids)],
        )
        as_both = self.Run.with_user(both)
        self.assertNotIn("allowed_company_ids", as_both.env.context)
        in_b = self.Run.browse(as_both.ask('/tool add {"a": 1, "b": 2}')["run_id"])
        self.assertEqual(in_b.company_id, self.company_b)
        self.assertEqual(in_b.step_ids.server_id, self.server_b)
        # Asked again as in a new request (nothing in the cache, env.company not
        # worked out yet): the user's row is not read.
        self.env.invalidate_all()
        lazy_property.reset_all(as_both.env)
        users = type(self.env["res.users"])
        read_users = []
        original_read = users._read

        def recording_read(records, field_names):
            read_users.extend(records.ids)
            return original_read(records, field_names)

        with patch.object(users, "_read", recording_read):
            again = self.Run.browse(as_both.ask('/tool add {"a": 1, "b": 2}')["run_id"])
        self.assertNotIn(both.id, read_users)
        self.assertEqual(again.company_id, self.company_b)
        both.write({"company_id": self.company_a.id})
        in_a = self.Run.browse(as_both.ask('/tool add {"a": 1, "b": 2}')["run_id"])
        self.assertEqual(in_a.company_id, self.company_a)
        self.assertEqual(in_a.step_ids.server_id, self.server)
        # A caller that names its companies (the web client) keeps them.
        chosen = as_both.with_context(allowed_company_ids=(self.company_b | self.company_a).ids)
        in_b_again = self.Run.browse(chosen.ask('/tool add {"a": 1, "b": 2}')["run_id"])
        self.assertEqual(in_b_again.company_id, self.company_b)
