"""Crews, agents and tasks as records, and the CrewAI spec built from them."""

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import McpCrewCase


@tagged("post_install", "-at_install", "mcp_crew")
class TestCrewRecords(McpCrewCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crew = cls.env["mcp.crew"].create({"name": "Two steps", "description": "Tests."})
        cls.researcher, cls.writer = cls.env["mcp.agent"].create(
            [
                {
                    "crew_id": cls.crew.id,
                    "name": "R",
                    "role": "Researcher",
                    "goal": "Find",
                    "sequence": 1,
                    "knowledge_types": "product_info, market_data",
                },
                {
                    "crew_id": cls.crew.id,
                    "name": "W",
                    "role": "Writer",
                    "goal": "Write",
                    "sequence": 2,
                    "allow_delegation": True,
                },
            ]
        )
        cls.find = cls.env["mcp.task"].create(
            {
                "crew_id": cls.crew.id,
                "name": "Find",
                "sequence": 1,
                "agent_id": cls.researcher.id,
                "description": "Find facts about {request}",
                "expected_output": "Facts",
            }
        )
        cls.write = cls.env["mcp.task"].create(
            {
                "crew_id": cls.crew.id,
                "name": "Write",
                "sequence": 2,
                "agent_id": cls.writer.id,
                "description": "Write it up",
                "expected_output": "A text",
                "context_task_ids": [(6, 0, cls.find.ids)],
            }
        )

    def test_spec_follows_the_records(self):
        server = self.create_stdio_server("spec server")
        server.action_discover()
        add = server.tool_ids.filtered(lambda tool: tool.name == "add")
        self.researcher.tool_ids = add
        spec = self.crew._crew_spec(server.tool_ids)
        self.assertEqual(spec.process, "sequential")
        self.assertEqual([agent.role for agent in spec.agents], ["Researcher", "Writer"])
        self.assertEqual(spec.agents[0].tools, (str(add.id),))
        self.assertEqual(spec.agents[1].tools, ())
        self.assertTrue(spec.agents[1].allow_delegation)
        self.assertEqual([(task.agent, task.context) for task in spec.tasks], [(0, ()), (1, (0,))])
        spec.validate()
        self.assertEqual(add._tool_spec().input_schema["required"], ["a", "b"])
        # Only the asking company's tools count: a listed tool it does not have is left out.
        self.assertEqual(self.crew._crew_spec(server.tool_ids - add).agents[0].tools, ())

    def test_use_all_tools_offers_only_tools_that_need_no_approval(self):
        server = self.create_stdio_server("least privilege")
        server.action_discover()
        tool = {tool.name: tool for tool in server.tool_ids}
        tool["echo"].requires_approval = True  # flagged by an admin
        self.assertTrue(tool["delete_record"].destructive_hint)  # declared by the server
        safe = server.tool_ids - tool["delete_record"] - tool["echo"]
        self.assertIn(tool["add"], safe)

        def offered():
            idents = self.crew._crew_spec(server.tool_ids).agents[1].tools
            return self.env["mcp.tool"].browse([int(ident) for ident in idents])

        self.writer.use_all_tools = True
        self.assertEqual(offered(), safe)
        # Listing a tool that needs approval is how an agent gets it.
        self.writer.tool_ids = tool["delete_record"]
        self.assertEqual(offered(), safe | tool["delete_record"])
        self.writer.use_all_tools = False
        self.assertEqual(offered(), tool["delete_record"])

    def test_invalid_crews_are_refused(self):
        with self.assertRaisesRegex(ValidationError, "Unknown knowledge types: recipes"):
            self.researcher.knowledge_types = "product_info, recipes"
        other = self.env["mcp.crew"].create({"name": "Other", "description": "x"})
        stranger = self.env["mcp.agent"].create(
            {"crew_id": other.id, "name": "S", "role": "S", "goal": "S"}
        )
        with self.assertRaisesRegex(ValidationError, "must use an agent of crew"):
            self.find.agent_id = stranger
        with self.assertRaisesRegex(ValidationError, "can only read earlier tasks"):
            self.find.context_task_ids = self.write
        with self.assertRaisesRegex(ValidationError, "between 1 and 50"):
            self.writer.max_iterations = 0

    def test_default_crews_are_shared_and_complete(self):
        crews = self.env["mcp.crew"].search(
            [
                (
                    "code",
                    "in",
                    ["product_research", "customer_service", "data_analysis", "odoo_operations"],
                )
            ]
        )
        self.assertEqual(len(crews), 4)
        for crew in crews:
            self.assertFalse(crew.company_id)
            self.assertTrue(crew.agent_ids and crew.task_ids and crew.example_requests)
            crew._crew_spec(self.env["mcp.tool"]).validate()
            self.assertTrue(crew._routing_target().keywords)

    def test_a_copied_crew_has_its_own_agents_and_tasks(self):
        copy = self.crew.copy()
        self.assertEqual(copy.name, "Two steps (copy)")
        self.assertFalse(copy.code)
        self.assertEqual(copy.agent_ids.mapped("role"), ["Researcher", "Writer"])
        self.assertFalse(copy.agent_ids & self.crew.agent_ids)
        find, write = copy.task_ids.sorted("sequence")
        self.assertEqual((find.agent_id.role, write.agent_id.role), ("Researcher", "Writer"))
        self.assertEqual(find.agent_id.crew_id, copy)
        self.assertEqual(write.context_task_ids, find)
        # The original is untouched.
        self.assertEqual(self.write.context_task_ids, self.find)
        self.assertEqual(len(self.crew.task_ids), 2)
        copy._crew_spec(self.env["mcp.tool"]).validate()

    def test_the_default_crew_takes_what_no_other_crew_claims(self):
        general = self.env.ref("mcp_crew.crew_general")
        self.assertTrue(general.routing_fallback)
        self.assertFalse(general.company_id)
        general._crew_spec(self.env["mcp.tool"]).validate()
        self.assertTrue(general._routing_target(fallback=True).fallback)
