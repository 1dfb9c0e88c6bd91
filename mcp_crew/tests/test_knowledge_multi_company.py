from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tests.common import new_test_user

from ..runtime import get_engine
from ..services.knowledge.events import EventConsumer, stream_key
from ..services.spec import CacheScope
from .test_knowledge import RETURNS, SCREW, KnowledgeCase


@tagged("post_install", "-at_install", "mcp_crew")
class TestKnowledgeMultiCompany(KnowledgeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Knowledge Company B"})
        cls.user_a = cls.user
        cls.user_b = new_test_user(
            cls.env,
            login="kb_user_b",
            groups="mcp_crew.group_mcp_crew_manager",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.item_a = cls.Knowledge.browse(
            cls.Knowledge.with_user(cls.user_a).store(dict(SCREW))["id"]
        )
        cls.item_b = cls.Knowledge.browse(
            cls.Knowledge.with_user(cls.user_b).store(dict(RETURNS))["id"]
        )

    def test_company_b_sees_none_of_company_a_records(self):
        for model in (
            "mcp.knowledge",
            "mcp.knowledge.tag",
            "mcp.knowledge.version",
            "mcp.knowledge.event",
            "mcp.knowledge.word",
        ):
            records_b = self.env[model].with_user(self.user_b).search([])
            self.assertTrue(records_b, model)
            self.assertTrue(all(r.company_id == self.company_b for r in records_b), model)
            records_a = self.env[model].sudo().search([("company_id", "=", self.company_a.id)])
            self.assertTrue(records_a, model)
            self.assertFalse(records_a & records_b, model)
        with self.assertRaises(AccessError):
            self.item_a.with_user(self.user_b).read(["content"])

    def test_company_b_search_never_returns_company_a_items(self):
        results_b = self.Knowledge.with_user(self.user_b).search_knowledge("parafuso inox")
        self.assertEqual(results_b, [])
        results_a = self.Knowledge.with_user(self.user_a).search_knowledge("parafuso inox")
        self.assertEqual(self.ids(results_a), [self.item_a.id])
        everything_b = self.Knowledge.with_user(self.user_b).search_knowledge("")
        self.assertEqual([r["id"] for r in everything_b], [self.item_b.id])

    def test_a_user_of_both_companies_searches_the_ones_the_request_names(self):
        user_ab = new_test_user(
            self.env,
            login="kb_user_ab",
            groups="mcp_crew.group_mcp_crew_user",
            company_id=self.company_a.id,
            company_ids=[(6, 0, (self.company_a | self.company_b).ids)],
        )
        knowledge = self.Knowledge.with_user(user_ab)
        for companies, expected in (
            (self.company_a, [self.item_a.id]),
            (self.company_b, []),
            (self.company_a, [self.item_a.id]),
            (self.company_b | self.company_a, [self.item_a.id]),
        ):
            found = knowledge.with_context(allowed_company_ids=companies.ids).search_knowledge(
                "parafuso inox"
            )
            self.assertEqual(self.ids(found), expected, companies.mapped("name"))
        in_b = knowledge.with_context(allowed_company_ids=self.company_b.ids)
        self.assertEqual(self.ids(in_b.search_knowledge("returned")), [self.item_b.id])

    def test_a_record_rule_applies_to_the_next_search_of_a_user_already_served(self):
        knowledge_a = self.Knowledge.with_user(self.user_a)
        self.assertEqual(self.ids(knowledge_a.search_knowledge("parafuso inox")), [self.item_a.id])
        # Global (no group): it restricts every user, as group rules only widen.
        rule = self.env["ir.rule"].create(
            {
                "name": "test: no fasteners",
                "model_id": self.env["ir.model"]._get_id("mcp.knowledge"),
                "domain_force": "[('topic', '!=', 'fixadores')]",
            }
        )
        self.assertEqual(self.ids(knowledge_a.search_knowledge("parafuso inox")), [])
        knowledge_b = self.Knowledge.with_user(self.user_b)
        self.assertEqual(self.ids(knowledge_b.search_knowledge("returned")), [self.item_b.id])
        rule.unlink()
        self.assertEqual(self.ids(knowledge_a.search_knowledge("parafuso inox")), [self.item_a.id])

    def test_company_b_cannot_write_into_company_a(self):
        knowledge_b = self.Knowledge.with_user(self.user_b)
        with self.assertRaisesRegex(ValidationError, "does not exist"):
            knowledge_b.store({"id": self.item_a.id, "content": "hijack"})
        with self.assertRaises(AccessError):
            knowledge_b.store(dict(SCREW, company_id=self.company_a.id))
        self.assertEqual(self.item_a.content, SCREW["content"])
        with self.assertRaises(AccessError):
            self.item_a.version_ids.with_user(self.user_b).action_restore()

    def test_dedupe_and_versioning_never_cross_companies(self):
        same_in_b = self.Knowledge.with_user(self.user_b).store(dict(SCREW))
        self.assertEqual(same_in_b["action"], "created")
        self.assertNotEqual(same_in_b["id"], self.item_a.id)
        self.assertEqual(self.Knowledge.browse(same_in_b["id"]).company_id, self.company_b)
        tags_b = self.Knowledge.browse(same_in_b["id"]).tag_ids
        self.assertTrue(tags_b)
        self.assertFalse(tags_b & self.item_a.tag_ids, "tags are per company")

    def test_events_go_to_each_company_stream_only(self):
        with self.private_redis_engine():
            client = get_engine().l2.client
            dbname = self.env.cr.dbname
            consumer_a = EventConsumer(client, CacheScope(dbname, self.company_a.id), "g", "a")
            consumer_b = EventConsumer(client, CacheScope(dbname, self.company_b.id), "g", "b")
            self.assertNotEqual(consumer_a.key, consumer_b.key)
            self.assertEqual(consumer_b.key, stream_key(CacheScope(dbname, self.company_b.id)))
            self.env["mcp.knowledge.event"]._publish_pending()
            events_a = consumer_a.fetch(block_ms=1000)
            events_b = consumer_b.fetch(block_ms=1000)
            self.assertEqual({e.knowledge_id for e in events_a}, {self.item_a.id})
            self.assertEqual({e.knowledge_id for e in events_b}, {self.item_b.id})
            self.assertEqual({e.company_id for e in events_b}, {self.company_b.id})
