"""Admin dashboards: run success rate, cache statistics read from Redis, and
the dashboard actions and menus."""

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tests.common import new_test_user

from ..runtime import get_engine
from ..services.metrics import cache_counts, parse_sample
from ..services.spec import CacheScope
from .common import McpCrewCase, private_redis_engine

CACHE = "mcp_crew_cache_requests_total"
ACTIONS = (
    "mcp_crew.mcp_run_action_analysis",
    "mcp_crew.mcp_server_action_dashboard",
    "mcp_crew.mcp_knowledge_action_analysis",
    "mcp_crew.mcp_knowledge_action_expiring",
)


@tagged("post_install", "-at_install", "mcp_crew")
class TestDashboards(McpCrewCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Run = cls.env["mcp.run"]
        cls.Stats = cls.env["mcp.cache.stats"]
        cls.company_b = cls.env["res.company"].create({"name": "Dashboards Company B"})
        cls.manager_b = new_test_user(
            cls.env,
            login="dash_manager_b",
            groups="mcp_crew.group_mcp_crew_manager",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.user = new_test_user(
            cls.env,
            login="dash_user",
            groups="mcp_crew.group_mcp_crew_user",
            company_id=cls.company_a.id,
        )
        cls.crew_x, cls.crew_y = cls.env["mcp.crew"].create(
            [
                {
                    "name": "Dash X",
                    "code": "dash_x",
                    "description": "X",
                    "company_id": cls.company_a.id,
                },
                {
                    "name": "Dash Y",
                    "code": "dash_y",
                    "description": "Y",
                    "company_id": cls.company_a.id,
                },
            ]
        )

    def make_run(self, state, crew=None, company=None, **values):
        return self.Run.sudo().create(
            dict(
                values,
                message="dashboard %s" % state,
                requester_id=self.manager.id,
                company_id=(company or self.company_a).id,
                crew_id=crew.id if crew else False,
                state=state,
            )
        )

    # -- runs ----------------------------------------------------------------------

    def test_is_success_follows_state(self):
        expected = {
            "done": 1,
            "failed": 0,
            "rejected": 0,
            "refused": 0,
            "running": 0,
            "waiting_approval": 0,
        }
        for state, success in expected.items():
            self.assertEqual(self.make_run(state).is_success, success, state)
        run = self.make_run("running")
        run.sudo().write({"state": "done"})
        self.assertEqual(run.is_success, 1)
        # Stored: the success rate is a plain column read_group can average.
        self.assertTrue(self.Run._fields["is_success"].store)
        self.assertEqual(self.Run._fields["is_success"].group_operator, "avg")

    def test_success_rate_latency_tokens_and_cost_per_crew(self):
        runs = (
            self.make_run("done", self.crew_x, duration_ms=100, total_tokens=10, cost=0.5)
            | self.make_run("done", self.crew_x, duration_ms=200, total_tokens=20, cost=0.25)
            | self.make_run("failed", self.crew_x, duration_ms=300, total_tokens=30, cost=0.25)
            | self.make_run("done", self.crew_y, duration_ms=50, total_tokens=5, cost=0.1)
            | self.make_run("running", self.crew_y, duration_ms=150, total_tokens=0, cost=0)
        )
        groups = self.Run.with_user(self.manager).read_group(
            [("id", "in", runs.ids)],
            ["is_success:avg", "duration_ms:avg", "total_tokens:sum", "cost:sum"],
            ["crew_id"],
        )
        by_crew = {group["crew_id"][0]: group for group in groups}
        x, y = by_crew[self.crew_x.id], by_crew[self.crew_y.id]
        self.assertEqual(x["crew_id_count"], 3)
        self.assertAlmostEqual(x["is_success"], 2 / 3, places=4)
        self.assertAlmostEqual(x["duration_ms"], 200.0)
        self.assertEqual(x["total_tokens"], 60)
        self.assertAlmostEqual(x["cost"], 1.0)
        self.assertAlmostEqual(y["is_success"], 0.5)
        self.assertAlmostEqual(y["duration_ms"], 100.0)
        # The pivot's rows: per company, then per crew.
        per_company = self.Run.with_user(self.manager).read_group(
            [("id", "in", runs.ids)],
            ["is_success:avg", "cost:sum"],
            ["company_id", "state"],
            lazy=False,
        )
        done = [group for group in per_company if group["state"] == "done"]
        self.assertEqual(done[0]["__count"], 3)
        self.assertEqual(done[0]["is_success"], 1)

    def test_manager_of_b_sees_only_runs_of_b(self):
        run_a = self.make_run("done")
        run_b = self.make_run("failed", company=self.company_b)
        groups = self.Run.with_user(self.manager_b).read_group(
            [("id", "in", (run_a | run_b).ids)], ["is_success:avg"], ["company_id"]
        )
        self.assertEqual([group["company_id"][0] for group in groups], [self.company_b.id])
        self.assertEqual(groups[0]["is_success"], 0)

    # -- cache ---------------------------------------------------------------------

    def test_parse_sample(self):
        self.assertEqual(
            parse_sample('%s{company="1",level="l1",result="hit"}' % CACHE),
            (CACHE, {"company": "1", "level": "l1", "result": "hit"}),
        )
        self.assertEqual(
            parse_sample(r'x_total{tool="a \"b\" \\ c",company="2"}'),
            ("x_total", {"tool": 'a "b" \\ c', "company": "2"}),
        )
        self.assertEqual(parse_sample("plain_metric"), ("plain_metric", {}))
        self.assertEqual(parse_sample('broken{company="1"'), (None, {}))
        self.assertEqual(parse_sample("broken{company=1}"), (None, {}))
        counts = cache_counts(
            {
                '%s{company="1",level="l1",result="hit"}' % CACHE: 3.0,
                '%s{company="x",level="l1",result="hit"}' % CACHE: 5.0,
                'mcp_crew_runs_total{company="1",route="crew",status="done"}': 7.0,
                "garbage{": 1.0,
            }
        )
        self.assertEqual(dict(counts), {1: {("l1", "hit"): 3.0}})

    def record_lookups(self, company, l1_hits, l1_misses, l2_hits, l2_misses):
        scope = CacheScope(self.env.cr.dbname, company.id)
        metrics = get_engine().metrics
        for level, result, value in (
            ("l1", "hit", l1_hits),
            ("l1", "miss", l1_misses),
            ("l2", "hit", l2_hits),
            ("l2", "miss", l2_misses),
        ):
            if value:
                metrics.inc(CACHE, scope, value, level=level, result=result)

    def open_stats(self, user):
        action = self.Stats.with_user(user).action_open()
        self.assertEqual(action["res_model"], "mcp.cache.stats")
        return self.Stats.with_user(user).search(action["domain"])

    def test_cache_stats_reflect_engine_metrics(self):
        with private_redis_engine():
            engine = get_engine()
            db = self.env.cr.dbname
            self.record_lookups(self.company_a, 6, 4, 1, 3)
            self.record_lookups(self.company_b, 1, 1, 0, 1)
            self.assertTrue(
                engine.l2.set(CacheScope(db, self.company_a.id).key("catalog", 1), {"x": 1}, 60)
            )
            # Another database's keys are not this one's.
            engine.l2.set(CacheScope(db + "_other", self.company_a.id).key("catalog", 1), {}, 60)

            stats = self.open_stats(self.manager)
            self.assertEqual(stats.company_id, self.company_a)
            self.assertRecordValues(
                stats,
                [
                    {
                        "l1_hits": 6,
                        "l1_misses": 4,
                        "l2_hits": 1,
                        "l2_misses": 3,
                        "lookups": 10,
                        "hit_ratio": 70.0,
                        "l1_hit_ratio": 60.0,
                        "l2_hit_ratio": 25.0,
                        # The catalog, and the metrics hash the snapshot flushed.
                        "key_count": 2,
                        "redis_up": True,
                    }
                ],
            )

            # A manager of company B sees B's figures only.
            stats_b = self.open_stats(self.manager_b)
            self.assertEqual(stats_b.company_id, self.company_b)
            self.assertRecordValues(
                stats_b,
                [{"l1_hits": 1, "lookups": 2, "hit_ratio": 50.0, "key_count": 1}],
            )
            self.assertFalse(self.Stats.with_user(self.manager_b).search([("id", "in", stats.ids)]))
            with self.assertRaises(AccessError):
                stats.with_user(self.manager_b).read(["hit_ratio"])

    def test_cache_stats_with_both_companies_selected(self):
        self.manager.write({"company_ids": [(4, self.company_b.id)]})
        with private_redis_engine():
            self.record_lookups(self.company_a, 1, 0, 0, 0)
            Stats = self.Stats.with_user(self.manager).with_context(
                allowed_company_ids=[self.company_a.id, self.company_b.id]
            )
            action = Stats.action_open()
            stats = Stats.search(action["domain"])
            self.assertEqual(stats.company_id, self.company_a | self.company_b)
            by_company = {stat.company_id: stat for stat in stats}
            self.assertEqual(by_company[self.company_a].hit_ratio, 100.0)
            self.assertEqual(by_company[self.company_b].lookups, 0)
            self.assertEqual(by_company[self.company_b].hit_ratio, 0.0)

    def test_cache_stats_with_redis_down(self):
        with private_redis_engine() as redis_server:
            redis_server.stop()
            self.record_lookups(self.company_a, 3, 1, 0, 1)
            stats = self.open_stats(self.manager)
            self.assertRecordValues(
                stats,
                # This worker's unflushed lookups still count.
                [{"l1_hits": 3, "hit_ratio": 75.0, "key_count": 0, "redis_up": False}],
            )

    # -- actions and menus ----------------------------------------------------------

    def assert_views_load(self, model, views, search_view_id=False):
        views = list(views) + [(search_view_id, "search")]
        result = self.env[model].with_user(self.manager).get_views(views, {"load_filters": True})
        for _view_id, view_type in views:
            self.assertIn(view_type, result["views"])
            self.assertTrue(result["views"][view_type]["arch"])
        return result

    def test_dashboard_actions_load(self):
        for xmlid in ACTIONS:
            action = self.env.ref(xmlid)
            modes = action.view_mode.split(",")
            bound = {view.view_mode: view.view_id.id for view in action.view_ids}
            self.assertEqual(set(bound), set(modes), xmlid)
            self.assert_views_load(
                action.res_model,
                [(bound[mode], mode) for mode in modes],
                action.search_view_id.id,
            )
        runs = self.env.ref("mcp_crew.mcp_run_action_analysis")
        self.assertEqual(runs.view_mode.split(",")[:2], ["graph", "pivot"])
        self.assertEqual(runs.groups_id, self.env.ref("mcp_crew.group_mcp_crew_manager"))
        expiring = self.env.ref("mcp_crew.mcp_knowledge_action_expiring")
        self.assertIn("search_default_expiring_soon", expiring.context)
        # The expiring-soon filter the action turns on exists in the search view.
        search = self.assert_views_load("mcp.knowledge", [], expiring.search_view_id.id)
        self.assertIn('name="expiring_soon"', search["views"]["search"]["arch"])
        # The server kanban shows the last error and has a column per state.
        kanban = self.assert_views_load("mcp.server", [(False, "kanban")])
        self.assertIn("last_error", kanban["views"]["kanban"]["arch"])
        self.assertIn("kanban", self.env.ref("mcp_crew.mcp_server_action").view_mode)
        groups = self.env["mcp.server"].with_user(self.manager).read_group([], ["state"], ["state"])
        self.assertEqual(
            {group["state"] for group in groups},
            set(dict(self.env["mcp.server"]._fields["state"].selection)),
        )

    def test_cache_action_loads(self):
        server_action = self.env.ref("mcp_crew.mcp_cache_stats_action_server")
        with private_redis_engine():
            action = server_action.with_user(self.manager).run()
            self.assertEqual(action["type"], "ir.actions.act_window")
            self.assert_views_load(
                action["res_model"], action["views"], action["search_view_id"][0]
            )
            with self.assertRaises(AccessError):
                server_action.with_user(self.user).run()

    def test_dashboards_menu_for_managers_only(self):
        menu = self.env.ref("mcp_crew.mcp_dashboard_menu")
        Menu = self.env["ir.ui.menu"]
        self.assertIn(menu.id, Menu.with_user(self.manager)._visible_menu_ids())
        self.assertNotIn(menu.id, Menu.with_user(self.user)._visible_menu_ids())
        self.assertEqual(len(menu.child_id), 5)
