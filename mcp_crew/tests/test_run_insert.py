"""A finished run written in one statement (``mcp.run._insert_finished``) is the
run ``create()`` writes: the same stored values, steps, knowledge links, log
access and masked secrets, and the cache holds what the database holds."""

from odoo.tests import new_test_user, tagged

from ..models.mcp_run_states import RunState, StepStatus
from ..services import redaction
from .common import McpCrewCase

SECRET = "insert-test-secret-7c1d"
# Not compared: what differs between any two records (ids, the title made of the id).
OWN = {"id", "create_date", "write_date", "display_title", "__last_update"}


@tagged("post_install", "-at_install", "mcp_crew")
class TestFinishedRunInsert(McpCrewCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = cls.create_stdio_server("insert")
        cls.server.action_discover()
        cls.tool = cls.server.tool_ids.filtered(lambda tool: tool.name == "add")
        cls.user = new_test_user(
            cls.env,
            login="mcp_insert_user",
            groups="base.group_user,mcp_crew.group_mcp_crew_user",
            company_id=cls.company_a.id,
        )
        cls.items = cls.env["mcp.knowledge"].create(
            [
                {
                    "name": "Insert item %d" % index,
                    "content": "Content %d" % index,
                    "knowledge_type": "general_fact",
                }
                for index in range(2)
            ]
        )
        redaction.protect(SECRET)

    def values(self):
        runs = self.env["mcp.run"].with_user(self.user)
        values = {
            "message": "/tool add {}",
            "requester_id": self.user.id,
            "company_id": self.company_a.id,
            "channel": "jsonrpc",
            "language": "en",
            "route_kind": "tool",
            "route_name": "add",
            "route_confidence": 0.8765,
            "route_details": '{"reason": "test"}',
            "sensitive": False,
        }
        values.update(runs._final_values(RunState.DONE, "en", 12.34, "echoed %s" % SECRET))
        steps = [
            {
                "kind": "knowledge",
                "name": "search_knowledge",
                "arguments": {"query": "add"},
                "result_summary": "two items",
                "status": StepStatus.OK,
                "latency_ms": 1.25,
            },
            dict(
                runs._step_values(self.tool, {"a": 1, "b": 2}),
                status=StepStatus.ERROR,
                error="the server said %s" % SECRET,
                latency_ms=3.5,
            ),
        ]
        return runs, values, steps

    def created_by_the_orm(self, runs, values, steps):
        run = runs._open_run(dict(values, knowledge_ids=[(6, 0, self.items.ids)]))
        for step in steps:
            run._add_step(**step)
        return run

    def stored(self, run):
        """Everything stored of ``run``, its steps and knowledge, read from the database."""
        self.env.invalidate_all()
        run = run.sudo()
        names = [
            name
            for name, field in run._fields.items()
            if field.store and name not in OWN | {"step_ids"}
        ]
        step_names = [
            name
            for name, field in run.step_ids._fields.items()
            if field.store and name not in OWN | {"run_id"}
        ]
        run_values, steps = run.read(names)[0], run.step_ids.read(step_names)
        for values in (run_values, *steps):
            del values["id"]  # read() adds it
        return run_values, steps

    def test_a_finished_run_is_stored_as_create_stores_it(self):
        runs, values, steps = self.values()
        inserted = runs._insert_finished(values, steps=steps, knowledge_ids=self.items.ids)
        created = self.created_by_the_orm(runs, values, steps)
        run_values, step_values = self.stored(inserted)
        self.assertEqual((run_values, step_values), self.stored(created))
        # What the comparison covers, on the records this test made.
        self.assertEqual(run_values["create_uid"][0], self.user.id)
        self.assertEqual(sorted(run_values["knowledge_ids"]), self.items.ids)
        self.assertEqual([step["sequence"] for step in step_values], [1, 2])
        self.assertEqual(step_values[0]["arguments"], '{"query": "add"}')
        self.assertEqual(step_values[1]["company_id"][0], self.company_a.id)
        self.assertNotIn(SECRET, run_values["answer"])
        self.assertNotIn(SECRET, step_values[1]["error"])
        self.assertEqual(inserted.sudo().create_date, created.sudo().create_date)

    def test_the_cache_holds_what_the_database_holds(self):
        runs, values, steps = self.values()
        # What a run's result also reads, read once (the ask path has them in the
        # cache): the caller's groups, the server's name, the knowledge items.
        self.created_by_the_orm(runs, values, steps)._result()
        inserted = runs._insert_finished(values, steps=steps, knowledge_ids=self.items.ids)
        with self.assertQueryCount(0):
            from_cache = inserted._result()
        self.env.invalidate_all()
        from_database = inserted._result()
        for result in (from_cache, from_database):  # the database's order is the items'
            result["knowledge_used"].sort(key=lambda item: item["id"])
        self.assertEqual(from_cache, from_database)
        self.assertEqual(len(from_cache["steps"]), 2)
        self.assertEqual(len(from_cache["knowledge_used"]), 2)
        self.assertEqual(inserted.step_ids.run_id, inserted)

    def test_a_run_inserted_uncached_is_read_from_the_database(self):
        runs, values, steps = self.values()
        cached = runs._insert_finished(values, steps=steps, knowledge_ids=self.items.ids)
        with self.assertQueryCount(1):  # the INSERT, nothing read back
            uncached = runs._insert_finished(
                values, steps=steps, knowledge_ids=self.items.ids, cached=False
            )
        self.assertFalse(self.env.cache.contains(uncached.sudo(), runs._fields["state"]))
        results = [cached._result(), uncached._result()]
        for result in results:  # what differs between two runs, and the items' order
            del result["run_id"]
            for step in result["steps"]:
                del step["id"]
            result["knowledge_used"].sort(key=lambda item: item["id"])
        self.assertEqual(results[0], results[1])
        self.assertEqual(len(results[1]["steps"]), 2)
        self.assertEqual(uncached.step_ids.run_id, uncached)

    def test_values_this_path_cannot_write_are_refused(self):
        runs, values, steps = self.values()
        before = runs.sudo().search_count([])
        with self.assertRaisesRegex(ValueError, "step_ids is not a plain stored column"):
            runs._insert_finished(dict(values, step_ids=[]))
        no_success = dict(values)
        del no_success["is_success"]
        with self.assertRaisesRegex(ValueError, "is_success is computed"):
            runs._insert_finished(no_success, steps=steps)
        self.assertEqual(runs.sudo().search_count([]), before)
