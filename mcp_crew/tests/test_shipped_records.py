"""The shipped crews, agents and tasks on upgrade: those no one edited take the
release's values and translations, the edited ones are kept and logged."""

import logging

from lxml import etree

from odoo import SUPERUSER_ID
from odoo.modules.module import get_resource_path
from odoo.tests import tagged
from odoo.tools.convert import convert_file

from ..upgrade import refresh_shipped_records
from .common import McpCrewCase

DATA_FILE = "data/mcp_crew_data.xml"
SHIPPED_LOG = "odoo.addons.mcp_crew.models.mcp_shipped"
UPGRADE_LOG = "odoo.addons.mcp_crew.upgrade"


@tagged("post_install", "-at_install", "mcp_crew")
class TestShippedRecords(McpCrewCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.env.ref("base.user_admin")
        cls.shipped = {
            name: cls.env.ref("mcp_crew." + name)
            for name in (
                "crew_product_research",
                "crew_customer_service",
                "agent_product_research_researcher",
                "agent_customer_service_agent",
                "task_product_research_research",
                "task_customer_service_resolve",
            )
        }

    def refresh(self):
        return refresh_shipped_records(self.env, "mcp_crew", DATA_FILE)

    def test_module_data_is_written_by_the_superuser(self):
        """The rule's premise: data loading writes as uid 1, not as admin (uid 2),
        and nothing the install ran since wrote the shipped records."""
        self.assertEqual(self.admin.id, 2)
        records = self.env["ir.model.data"].search(
            [("module", "=", "mcp_crew"), ("model", "in", ("mcp.crew", "mcp.agent", "mcp.task"))]
        )
        shipped = etree.parse(get_resource_path("mcp_crew", *DATA_FILE.split("/"))).iterfind(
            "record"
        )
        self.assertEqual(len(records), len(list(shipped)))
        for imd in records:
            record = self.env[imd.model].browse(imd.res_id)
            self.assertEqual(record.write_uid.id, SUPERUSER_ID, imd.complete_name)
            self.assertEqual(record._shipped_untouched(), record)
        refreshed, kept = self.refresh()
        self.assertEqual(sorted(refreshed), sorted(records.mapped("complete_name")))
        self.assertEqual(kept, [])

    def test_untouched_records_take_the_release_values_edited_ones_are_kept(self):
        crew, crew_edited = (
            self.shipped["crew_product_research"],
            self.shipped["crew_customer_service"],
        )
        agent, agent_edited = (
            self.shipped["agent_product_research_researcher"],
            self.shipped["agent_customer_service_agent"],
        )
        task, task_edited = (
            self.shipped["task_product_research_research"],
            self.shipped["task_customer_service_resolve"],
        )
        release = {
            crew: ("routing_keywords", crew.routing_keywords),
            agent: ("goal", agent.goal),
            task: ("description", task.description),
        }
        # An old release's values, as its data loading wrote them (uid 1) ...
        crew.write({"routing_keywords": "old\nkeywords", "description": "Old description."})
        agent.write({"goal": "An old goal."})
        task.write({"description": "An old task: {request}"})
        # ... and an administrator's edits, and a crew manager's.
        crew_edited.with_user(self.admin).write({"routing_keywords": "mine"})
        agent_edited.with_user(self.admin).write({"goal": "My goal."})
        task_edited.with_user(self.manager).write({"expected_output": "My output."})

        with self.assertLogs(SHIPPED_LOG, logging.INFO) as logs:
            refreshed, kept = self.refresh()

        for record, (name, value) in release.items():
            self.assertEqual(record[name], value)
            self.assertEqual(record.write_uid.id, SUPERUSER_ID)
        self.assertTrue(crew.description.startswith("Researches products"))
        self.assertEqual(crew_edited.routing_keywords, "mine")
        self.assertEqual(agent_edited.goal, "My goal.")
        self.assertEqual(task_edited.expected_output, "My output.")
        self.assertEqual(task_edited.write_uid, self.manager)
        self.assertIn("mcp_crew.crew_product_research", refreshed)
        self.assertEqual(
            sorted(kept),
            [
                "mcp_crew.agent_customer_service_agent",
                "mcp_crew.crew_customer_service",
                "mcp_crew.task_customer_service_resolve",
            ],
        )
        # One line per kept record: its xmlid, who edited it, what differs.
        self.assertEqual(
            sorted(logs.output),
            [
                "INFO:%s:mcp_crew.agent_customer_service_agent: edited by admin (uid 2), "
                "kept; fields differing from this release's: goal" % SHIPPED_LOG,
                "INFO:%s:mcp_crew.crew_customer_service: edited by admin (uid 2), "
                "kept; fields differing from this release's: routing_keywords" % SHIPPED_LOG,
                "INFO:%s:mcp_crew.task_customer_service_resolve: edited by mcp_manager "
                "(uid %d), kept; fields differing from this release's: expected_output"
                % (SHIPPED_LOG, self.manager.id),
            ],
        )

    def test_an_edit_of_nothing_shipped_still_keeps_the_record(self):
        """Whatever was edited, the record is the administrator's: kept, and the
        line says no shipped field differs."""
        crew = self.shipped["crew_customer_service"]
        crew.with_user(self.admin).write({"process": "hierarchical"})
        with self.assertLogs(SHIPPED_LOG, logging.INFO) as logs:
            _refreshed, kept = self.refresh()
        self.assertEqual(kept, ["mcp_crew.crew_customer_service"])
        self.assertEqual(crew.process, "hierarchical")
        self.assertIn("fields differing from this release's: none", logs.output[0])

    def test_a_translation_edited_in_the_dialog_counts_as_an_edit(self):
        """Odoo writes the dialog's translations in SQL, without write_uid: the
        mixin stamps the record, which the upgrade then keeps."""
        agent = self.shipped["agent_product_research_researcher"]
        agent.with_user(self.admin).update_field_translations("goal", {"en_US": "My goal."})
        self.assertEqual(agent.write_uid, self.admin)
        _refreshed, kept = self.refresh()
        self.assertIn("mcp_crew.agent_product_research_researcher", kept)
        self.assertEqual(agent.goal, "My goal.")

    def test_translations_follow_for_untouched_records(self):
        self.env["res.lang"]._activate_lang("pt_BR")
        self.env["ir.module.module"].search([("name", "=", "mcp_crew")])._update_translations(
            "pt_BR"
        )
        crew, crew_edited = (
            self.shipped["crew_product_research"],
            self.shipped["crew_customer_service"],
        )
        pt_description = crew.with_context(lang="pt_BR").description
        en_description = crew.description
        self.assertNotEqual(pt_description, en_description)  # the .po translates it
        # An old release's text and translation (uid 1), an administrator's translation.
        crew.write({"description": "Old description."})
        crew.update_field_translations("description", {"pt_BR": "Descrição antiga."})
        self.assertEqual(crew.write_uid.id, SUPERUSER_ID)
        crew_edited.with_user(self.admin).update_field_translations(
            "description", {"pt_BR": "Minha descrição."}
        )

        self.refresh()
        # What Odoo does after the post-migration scripts.
        self.env["ir.module.module"].search([("name", "=", "mcp_crew")])._update_translations(
            "pt_BR"
        )

        self.assertEqual(crew.description, en_description)
        self.assertEqual(crew.with_context(lang="pt_BR").description, pt_description)
        self.assertEqual(crew_edited.with_context(lang="pt_BR").description, "Minha descrição.")
        # The refresh and its translations are the module's: still untouched.
        self.assertEqual(crew.write_uid.id, SUPERUSER_ID)

    def test_a_record_that_no_longer_loads_is_kept_and_the_others_refreshed(self):
        """An old release's agent and task in another crew; the administrator
        edited the agent, which stays there: the task cannot follow the release
        to its crew without its agent (a task uses an agent of its crew). It is
        logged and kept, the refresh goes on."""
        agent = self.env.ref("mcp_crew.agent_general_assistant")
        task = self.env.ref("mcp_crew.task_general_answer")
        research = self.shipped["crew_product_research"]
        agent.write({"crew_id": research.id})
        task.write({"crew_id": research.id})
        agent.with_user(self.admin).write({"goal": "My goal."})
        with self.assertLogs(UPGRADE_LOG, logging.WARNING) as logs:
            refreshed, kept = self.refresh()
        # The line, then the loader's error (the constraint) for the integrator.
        self.assertEqual(
            [line.splitlines()[0] for line in logs.output],
            [
                "WARNING:%s:mcp_crew.task_general_answer: could not be refreshed, kept as it is"
                % UPGRADE_LOG
            ],
        )
        self.assertIn("must use an agent of crew", logs.output[0])
        self.assertEqual(kept, ["mcp_crew.agent_general_assistant", "mcp_crew.task_general_answer"])
        self.assertEqual((agent.crew_id, task.crew_id), (research, research))
        self.assertIn("mcp_crew.crew_general", refreshed)

    def test_moving_a_crew_to_a_company_keeps_who_edited_its_agents(self):
        """Agents and tasks store their crew's company: the recomputed value is
        flushed by whichever environment of the transaction flushes, here the
        superuser's, but it stamps no one: the agent an administrator edited
        stays theirs, the untouched one stays untouched."""
        crew = self.env.ref("mcp_crew.crew_data_analysis")
        analyst = self.env.ref("mcp_crew.agent_data_analysis_analyst")
        reviewer = self.env.ref("mcp_crew.agent_data_analysis_reviewer")
        analyst.with_user(self.admin).write({"goal": "My goal."})
        self.env.flush_all()
        crew.with_user(self.admin).write({"company_id": self.company_a.id})
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual((analyst | reviewer).company_id, self.company_a)
        self.assertEqual(analyst.write_uid, self.admin)
        self.assertEqual(reviewer.write_uid.id, SUPERUSER_ID)
        self.assertEqual(crew.task_ids._shipped_untouched(), crew.task_ids)
        self.assertEqual(crew.write_uid, self.admin)
        _refreshed, kept = self.refresh()
        self.assertEqual(
            sorted(kept), ["mcp_crew.agent_data_analysis_analyst", "mcp_crew.crew_data_analysis"]
        )
        self.assertEqual(analyst.goal, "My goal.")

    def test_a_deleted_record_is_odoos_to_recreate(self):
        """The refresh rewrites existing records only; `-u` (the data file loaded
        in update mode) recreates a deleted noupdate record, as for any Odoo
        module, since the file does not say forcecreate="0"."""
        self.env.ref("mcp_crew.task_general_answer").with_user(self.admin).unlink()
        refreshed, _kept = self.refresh()
        self.assertNotIn("mcp_crew.task_general_answer", refreshed)
        self.assertFalse(self.env.ref("mcp_crew.task_general_answer", raise_if_not_found=False))
        convert_file(self.env.cr, "mcp_crew", DATA_FILE, {}, mode="update", kind="data")
        task = self.env.ref("mcp_crew.task_general_answer")
        self.assertEqual(task.agent_id, self.env.ref("mcp_crew.agent_general_assistant"))
        self.assertEqual(task._shipped_untouched(), task)
