import datetime
import time

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tests.common import new_test_user

from ..runtime import get_engine
from ..services.knowledge.events import EventConsumer
from ..services.spec import CacheScope
from .common import McpCrewCase
from .fake_openai import FakeOpenAI

SCREW = {
    "title": "Parafuso sextavado inox",
    "content": "O parafuso sextavado de aço inox M8 é vendido em caixas com 100 unidades "
    "pelo fornecedor ACME, com entrega em cinco dias úteis para todo o Brasil.",
    "knowledge_type": "product_info",
    "topic": "fixadores",
    "tags": ["parafuso", "inox"],
}
RETURNS = {
    "title": "Return policy",
    "content": "Products can be returned within thirty days when the customer keeps the "
    "receipt and the packaging is intact; refunds are paid to the original card.",
    "knowledge_type": "general_fact",
    "topic": "after-sales",
    "tags": ["returns"],
}


class KnowledgeCase(McpCrewCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Knowledge = cls.env["mcp.knowledge"]
        cls.user = new_test_user(
            cls.env,
            login="kb_user",
            groups="mcp_crew.group_mcp_crew_user",
            company_id=cls.company_a.id,
        )
        # A database with demo data has items of its own: tests look at theirs.
        cls.items_before = cls.Knowledge.with_context(active_test=False).search([])

    def items_made(self):
        """Every item the test made, archived ones included."""
        return self.Knowledge.with_context(active_test=False).search([]) - self.items_before

    def made(self, results):
        """The search results that are items the test made, in their order."""
        return [result for result in results if result["id"] not in self.items_before.ids]

    def ids(self, results):
        return [result["id"] for result in self.made(results)]

    def store(self, vals, user=None):
        knowledge = self.Knowledge.with_user(user) if user else self.Knowledge
        return knowledge.store(dict(vals))

    def outbox(self, company=None):
        company = company or self.company_a
        return self.env["mcp.knowledge.event"].search([("company_id", "=", company.id)])


@tagged("post_install", "-at_install", "mcp_crew")
class TestKnowledgeStore(KnowledgeCase):
    def test_store_creates_an_item_with_derived_values(self):
        result = self.store(SCREW, user=self.user)
        self.assertEqual(result["action"], "created")
        item = self.Knowledge.browse(result["id"])
        self.assertEqual(item.version, 1)
        self.assertEqual(item.language, "pt")
        self.assertEqual(set(item.tag_ids.mapped("name")), {"parafuso", "inox"})
        self.assertEqual(item.company_id, self.company_a)
        self.assertEqual(len(item.content_hash), 64)
        self.assertEqual(len(item.dedupe_signature.split()), 5)
        self.assertEqual(item.version_ids.version, 1)
        self.assertEqual(item.version_ids.create_uid, self.user)
        self.assertEqual(self.outbox().mapped("event"), ["created"])

    def test_same_item_gets_a_new_version_that_keeps_history(self):
        first = self.store(SCREW, user=self.user)
        second = self.store(
            dict(SCREW, content=SCREW["content"].replace("100", "50"), confidence=0.95),
            user=self.manager,
        )
        self.assertEqual(second, {"id": first["id"], "action": "versioned", "version": 2})
        item = self.Knowledge.browse(first["id"])
        history = item.version_ids.sorted("version")
        self.assertEqual(history.mapped("version"), [1, 2])
        self.assertEqual(history[1].create_uid, self.manager)
        self.assertEqual(history[1].changed_fields, "content, confidence")
        self.assertIn("100 unidades", history[0].content)
        self.assertIn("50 unidades", item.content)
        self.assertIn("<del", history[1].content_diff)
        self.assertEqual(self.outbox().mapped("event"), ["created", "versioned"])
        self.assertEqual(self.outbox().mapped("version"), [1, 2])

    def test_storing_the_same_values_again_only_refreshes(self):
        first = self.store(dict(SCREW, ttl_days=1))
        again = self.store(dict(SCREW, ttl_days=10))
        self.assertEqual(again["action"], "refreshed")
        item = self.Knowledge.browse(first["id"])
        self.assertEqual(item.version, 1)
        self.assertGreater(item.expires_at, fields.Datetime.now() + datetime.timedelta(days=9))

    def test_explicit_id_versions_that_item(self):
        first = self.store(SCREW)
        result = self.store({"id": first["id"], "content": "Novo conteúdo do item."})
        self.assertEqual(result["action"], "versioned")
        self.assertEqual(self.Knowledge.browse(first["id"]).content, "Novo conteúdo do item.")

    def test_restore_makes_an_old_version_current_as_a_new_version(self):
        first = self.store(SCREW)
        self.store(dict(SCREW, content="Conteúdo errado que precisa ser desfeito."))
        item = self.Knowledge.browse(first["id"])
        version_1 = item.version_ids.filtered(lambda v: v.version == 1)
        version_1.with_user(self.user).action_restore()
        self.assertEqual(item.version, 3)
        self.assertEqual(item.content, SCREW["content"])
        latest = item.version_ids.sorted("version")[-1]
        self.assertEqual(latest.change_note, "Restored from version 1")
        with self.assertRaises(AccessError):
            version_1.with_user(self.manager).write({"content": "rewriting history"})

    def test_exact_duplicate_refreshes_instead_of_creating(self):
        first = self.store(dict(SCREW, confidence=0.6, ttl_days=1))
        duplicate = self.store(
            dict(
                SCREW,
                title="PARAFUSO  sextavado, inox!",
                topic="outro",
                confidence=0.9,
                ttl_days=20,
            )
        )
        self.assertEqual(duplicate["action"], "duplicate")
        self.assertEqual(duplicate["id"], first["id"])
        item = self.Knowledge.browse(first["id"])
        self.assertEqual(item.confidence, 0.9)
        self.assertGreater(item.expires_at, fields.Datetime.now() + datetime.timedelta(days=19))
        self.assertEqual(len(self.items_made()), 1)

    def test_near_duplicate_by_trigram_similarity_is_not_created(self):
        first = self.store(SCREW)
        near = self.store(
            dict(
                SCREW,
                title="Parafusos inox M8",
                topic="estoque",
                content=SCREW["content"].replace("cinco", "seis"),
            )
        )
        self.assertEqual(near, {"id": first["id"], "action": "duplicate", "version": 1})
        different = self.store(dict(RETURNS))
        self.assertEqual(different["action"], "created")

    def test_dedupe_threshold_is_a_setting(self):
        self.env["ir.config_parameter"].set_param("mcp_crew.dedupe_threshold", "0.999")
        self.store(SCREW)
        near = self.store(
            dict(SCREW, title="Outro", content=SCREW["content"].replace("cinco", "seis"))
        )
        self.assertEqual(near["action"], "created")

    def test_expiry_from_type_default_setting_or_explicit(self):
        self.env["ir.config_parameter"].set_param("mcp_crew.knowledge_ttl_market_data", "2")
        now = fields.Datetime.now()
        market = self.Knowledge.browse(
            self.store(dict(RETURNS, knowledge_type="market_data"))["id"]
        )
        self.assertAlmostEqual((market.expires_at - now).total_seconds(), 2 * 86400, delta=120)
        fact = self.Knowledge.browse(self.store(dict(SCREW, knowledge_type="general_fact"))["id"])
        self.assertFalse(fact.expires_at, "general facts never expire by default")
        explicit = self.Knowledge.browse(
            self.store(
                dict(
                    SCREW,
                    title="Outro",
                    content="Texto diferente de tudo.",
                    expires_at="2031-01-02 03:04:05",
                )
            )["id"]
        )
        self.assertEqual(explicit.expires_at, datetime.datetime(2031, 1, 2, 3, 4, 5))

    def test_source_links_the_originating_record(self):
        result = self.store(
            dict(
                SCREW,
                source={
                    "kind": "mcp_server",
                    "label": "catalog",
                    "model": "res.partner",
                    "res_id": self.env.user.partner_id.id,
                },
            )
        )
        item = self.Knowledge.browse(result["id"])
        self.assertEqual((item.source_kind, item.source_label), ("mcp_server", "catalog"))
        self.assertEqual(
            (item.res_model, item.res_id), ("res.partner", self.env.user.partner_id.id)
        )

    def test_titles_are_matched_literally_not_as_patterns(self):
        first = self.store(dict(SCREW, title="Desconto 50% à vista"))
        other = self.store(
            dict(SCREW, title="Desconto 50_ à vista", content="Outro assunto, outro texto.")
        )
        self.assertEqual(other["action"], "created")
        self.assertNotEqual(other["id"], first["id"])

    def test_language_detected_unless_chosen(self):
        item = self.Knowledge.create(
            {
                "name": "Return policy",
                "content": RETURNS["content"],
                "knowledge_type": "general_fact",
            }
        )
        self.assertEqual(item.language, "en")
        item.language = "simple"
        item.content = "O cliente pode devolver o produto em até trinta dias."
        self.assertEqual(item.language, "simple", "an explicit choice sticks")
        self.assertEqual(item.version, 2)

    def test_bad_input_gets_clear_errors_and_writes_nothing(self):
        cases = [
            ("not a dict", "expects a dictionary"),
            (dict(SCREW, colour="blue"), "Unknown knowledge value"),
            (dict(SCREW, title=" "), "needs a title"),
            (dict(SCREW, knowledge_type="gossip"), "Unknown knowledge type gossip"),
            (dict(SCREW, confidence=1.5), "between 0 and 1"),
            (dict(SCREW, confidence="high"), "must be a number"),
            (dict(SCREW, tags="parafuso"), "list of names"),
            (dict(SCREW, source={"kind": "oracle"}), "Source must be"),
            (dict(SCREW, language="fr"), "pt, en or simple"),
            (dict(SCREW, content="x" * 100_001), "limited to"),
            ({"id": 999_999_999, "content": "x"}, "does not exist"),
        ]
        for vals, message in cases:
            with self.subTest(message=message), self.assertRaisesRegex(ValidationError, message):
                self.Knowledge.store(vals)
        self.assertFalse(self.items_made())
        self.assertFalse(self.outbox())


@tagged("post_install", "-at_install", "mcp_crew")
class TestKnowledgeSearch(KnowledgeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.screw = cls.Knowledge.browse(cls.Knowledge.store(dict(SCREW))["id"])
        cls.returns = cls.Knowledge.browse(cls.Knowledge.store(dict(RETURNS))["id"])
        cls.product = cls.Knowledge.browse(
            cls.Knowledge.store(
                {
                    "title": "Catálogo de verão",
                    "content": "O produto mais vendido da coleção é a cadeira de praia dobrável.",
                    "knowledge_type": "market_data",
                    "confidence": 0.4,
                }
            )["id"]
        )
        cls.pii = cls.Knowledge.browse(
            cls.Knowledge.store(
                {
                    "title": "Cliente Maria Souza",
                    "content": "Maria Souza (CPF 529.982.247-25, maria.souza@exemplo.com.br, "
                    "+55 (11) 91234-5678) prefere entregas pela manhã.",
                    "knowledge_type": "customer_insight",
                }
            )["id"]
        )
        cls.secret = cls.Knowledge.browse(
            cls.Knowledge.store(
                {
                    "title": "Margem negociada com ACME",
                    "content": "A margem negociada com a ACME para parafusos é de 42 por cento.",
                    "knowledge_type": "analysis_result",
                    "sensitive": True,
                }
            )["id"]
        )

    def test_typo_still_finds_the_item(self):
        results = self.made(self.Knowledge.search_knowledge("parafuzo"))
        self.assertEqual(self.ids(results)[0], self.screw.id)
        self.assertGreater(results[0]["scores"]["trigram"], 0.5)
        # Corrected from the company vocabulary, so full text matched too.
        self.assertGreater(results[0]["scores"]["text"], 0.0)
        self.assertTrue(
            self.env["mcp.knowledge.word"].search(
                [("word", "=", "parafuso"), ("company_id", "=", self.company_a.id)]
            )
        )
        # A typo in the content, not the title.
        self.assertEqual(
            self.ids(self.Knowledge.search_knowledge("dobravel cadera"))[0], self.product.id
        )

    def test_portuguese_stemming_plural_finds_singular(self):
        results = self.made(self.Knowledge.search_knowledge("produtos"))
        self.assertEqual(self.ids(results), [self.product.id])
        self.assertGreater(results[0]["scores"]["text"], 0)
        self.assertIn("«produto»", results[0]["snippet"])

    def test_english_stemming_and_accent_folding(self):
        self.assertEqual(
            self.ids(self.Knowledge.search_knowledge("returning refund")), [self.returns.id]
        )
        self.assertEqual(
            self.ids(self.Knowledge.search_knowledge("catalogo verao"))[0], self.product.id
        )

    def test_results_explain_their_rank(self):
        result = self.made(self.Knowledge.search_knowledge("parafuso inox"))[0]
        self.assertEqual(result["id"], self.screw.id)
        scores = result["scores"]
        self.assertEqual(set(scores), {"text", "trigram", "confidence", "recency"})
        weighted = (
            0.55 * scores["text"]
            + 0.2 * scores["trigram"]
            + 0.15 * scores["confidence"]
            + 0.1 * scores["recency"]
        )
        self.assertAlmostEqual(result["score"], weighted, places=4)
        self.assertEqual(result["tags"], ["inox", "parafuso"])
        self.assertEqual(result["source"]["kind"], "user")
        self.assertEqual(result["version"], 1)

    def test_filters_by_type_tag_confidence_and_expiry(self):
        search = self.Knowledge.search_knowledge
        self.assertEqual(self.ids(search("", types=["market_data"])), [self.product.id])
        self.assertEqual(self.ids(search("", tags=["inox"])), [self.screw.id])
        self.assertNotIn(self.product.id, self.ids(search("", min_confidence=0.5)))
        self.screw.write({"expires_at": fields.Datetime.now() - datetime.timedelta(minutes=1)})
        self.assertNotIn(self.screw.id, self.ids(search("parafuso")))

    def test_bad_search_arguments(self):
        for kwargs, message in [
            ({"query": 42}, "must be text"),
            ({"query": "x" * 1001}, "limited to"),
            ({"query": "x", "limit": 0}, "limit must be"),
            ({"query": "x", "limit": "10"}, "limit must be"),
            ({"query": "x", "types": ["gossip"]}, "Unknown knowledge type"),
            ({"query": "x", "min_confidence": 2}, "between 0 and 1"),
            ({"query": "x", "tags": [1]}, "list of names"),
        ]:
            with self.subTest(kwargs=kwargs), self.assertRaisesRegex(ValidationError, message):
                self.Knowledge.search_knowledge(**kwargs)

    def test_identifiers_masked_for_users_not_for_managers(self):
        as_user = self.Knowledge.with_user(self.user).search_knowledge("Maria Souza")[0]
        self.assertEqual(as_user["id"], self.pii.id)
        for secret in ("529.982.247-25", "maria.souza@", "91234-5678"):
            self.assertNotIn(secret, as_user["content"])
            self.assertNotIn(secret, as_user["snippet"] or "")
        self.assertIn("***.***.***-25", as_user["content"])
        self.assertIn("m***@exemplo.com.br", as_user["content"])
        as_manager = self.Knowledge.with_user(self.manager).search_knowledge("Maria Souza")[0]
        self.assertIn("529.982.247-25", as_manager["content"])

    def test_sensitive_items_only_for_managers(self):
        user_results = self.Knowledge.with_user(self.user).search_knowledge("margem ACME")
        self.assertNotIn(self.secret.id, self.ids(user_results))
        self.assertNotIn(self.secret, self.Knowledge.with_user(self.user).search([]))
        with self.assertRaises(AccessError):
            self.secret.with_user(self.user).read(["content"])
        with self.assertRaises(AccessError):
            self.secret.version_ids.with_user(self.user).read(["content"])
        manager_results = self.Knowledge.with_user(self.manager).search_knowledge("margem ACME")
        self.assertEqual(self.ids(manager_results)[0], self.secret.id)

    def test_users_may_file_sensitive_items_they_cannot_read_back(self):
        result = self.store(
            {
                "title": "Salário",
                "content": "Informação confidencial de RH.",
                "knowledge_type": "general_fact",
                "sensitive": True,
            },
            user=self.user,
        )
        self.assertEqual(result["action"], "created")
        self.assertFalse(self.Knowledge.with_user(self.user).search([("id", "=", result["id"])]))

    def test_vanity_queries_do_not_break(self):
        for query in ("", "o que", "'; DROP TABLE mcp_knowledge; --", "a & b | !c", "%_", "::"):
            with self.subTest(query=query):
                self.assertIsInstance(self.Knowledge.search_knowledge(query), list)
        self.assertTrue(self.screw.exists())


@tagged("post_install", "-at_install", "mcp_crew")
class TestKnowledgeExpiry(KnowledgeCase):
    def test_cron_archives_expired_then_purges_after_retention(self):
        past = fields.Datetime.now() - datetime.timedelta(hours=1)
        expired = self.Knowledge.browse(self.store(dict(SCREW, expires_at=past))["id"])
        alive = self.Knowledge.browse(self.store(dict(RETURNS, ttl_days=5))["id"])
        self.outbox().unlink()
        self.assertEqual(self.Knowledge._cron_expire_knowledge(), {"expired": 1, "deleted": 0})
        self.assertFalse(expired.active)
        self.assertTrue(expired.archived_at)
        self.assertTrue(alive.active)
        self.assertEqual(self.outbox().mapped("event"), ["expired"])
        self.assertEqual(self.outbox().knowledge_id, expired.id)

        self.env.cr.execute(
            "UPDATE mcp_knowledge SET archived_at = now() - interval '31 days' WHERE id = %s",
            (expired.id,),
        )
        expired.invalidate_recordset()
        self.assertEqual(self.Knowledge._cron_expire_knowledge(), {"expired": 0, "deleted": 1})
        self.assertFalse(expired.exists())
        self.assertEqual(self.outbox().mapped("event"), ["expired", "deleted"])

    def test_cron_works_in_batches_and_retriggers(self):
        past = fields.Datetime.now() - datetime.timedelta(hours=1)
        for index in range(3):
            self.store(
                dict(
                    RETURNS,
                    title="Item %d" % index,
                    content="Conteúdo número %d bem distinto." % index,
                    expires_at=past,
                )
            )
        cron = self.env.ref("mcp_crew.ir_cron_mcp_expire_knowledge")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        self.assertEqual(self.Knowledge._cron_expire_knowledge(batch_size=2)["expired"], 2)
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers + 1
        )
        self.assertEqual(self.Knowledge._cron_expire_knowledge(batch_size=2)["expired"], 1)

    def test_expired_item_stored_again_comes_back(self):
        past = fields.Datetime.now() - datetime.timedelta(hours=1)
        item = self.Knowledge.browse(self.store(dict(SCREW, expires_at=past))["id"])
        self.Knowledge._cron_expire_knowledge()
        result = self.store(dict(SCREW, id=item.id, ttl_days=3))
        self.assertEqual(result["id"], item.id)
        self.assertTrue(item.active)
        self.assertFalse(item.archived_at)


@tagged("post_install", "-at_install", "mcp_crew")
class TestKnowledgeEvents(KnowledgeCase):
    def consumer(self, name="crew", company=None, **kwargs):
        scope = CacheScope(self.env.cr.dbname, (company or self.company_a).id)
        return EventConsumer(get_engine().l2.client, scope, "test-group", name, **kwargs)

    def test_events_reach_a_consumer_group_in_order(self):
        with self.private_redis_engine():
            Event = self.env["mcp.knowledge.event"]
            consumer = self.consumer()
            a = self.store(SCREW)
            self.store(dict(SCREW, confidence=0.99))
            b = self.store(RETURNS)
            self.assertTrue(self.env.cr.postcommit.data["mcp_crew.knowledge_events"])
            self.assertEqual(Event._publish_pending(), 3)
            self.assertFalse(self.outbox())
            events = consumer.fetch(block_ms=1000)
            self.assertEqual(
                [(e.event, e.knowledge_id, e.version) for e in events],
                [("created", a["id"], 1), ("versioned", a["id"], 2), ("created", b["id"], 1)],
            )
            self.assertEqual(events[0].type, "product_info")
            self.assertEqual(events[0].topic, "fixadores")
            self.assertEqual(set(events[0].tags), {"parafuso", "inox"})
            self.assertEqual(sorted(e.outbox_id for e in events), [e.outbox_id for e in events])

    def test_restarted_consumer_catches_up(self):
        with self.private_redis_engine():
            Event = self.env["mcp.knowledge.event"]
            consumer = self.consumer(types=["product_info"])
            self.store(SCREW)
            Event._publish_pending()
            unacked = consumer.fetch(block_ms=1000)
            self.assertEqual(len(unacked), 1)
            # The consumer dies before acknowledging; meanwhile more happens.
            self.store(dict(SCREW, confidence=0.5))
            self.store(RETURNS)  # general_fact: filtered out for this subscriber
            Event._publish_pending()
            restarted = self.consumer(types=["product_info"])
            replayed = restarted.fetch()
            self.assertEqual([e.stream_id for e in replayed], [e.stream_id for e in unacked])
            restarted.ack(*replayed)
            fresh = restarted.fetch(block_ms=1000)
            self.assertEqual([(e.event, e.version) for e in fresh], [("versioned", 2)])
            restarted.ack(*fresh)
            self.assertEqual(restarted.fetch(block_ms=100), [])

    def test_write_with_redis_stopped_is_published_when_it_returns(self):
        with self.private_redis_engine() as redis_server:
            Event = self.env["mcp.knowledge.event"]
            redis_server.stop()
            first = self.store(SCREW)
            self.store(dict(SCREW, confidence=0.7))
            self.store(RETURNS)
            with self.assertLogs("odoo.addons.mcp_crew.services.cache", "WARNING") as logs:
                self.assertEqual(Event._publish_pending(), 0)
            self.assertIn("knowledge events wait in the database", logs.output[0])
            self.assertEqual(len(self.outbox()), 3, "events wait in the database")
            self.assertEqual(self.Knowledge.browse(first["id"]).version, 2)

            redis_server.start()
            consumer = self.consumer(start="0")
            deadline = time.monotonic() + 30  # generous: a busy machine
            published = 0
            while not published and time.monotonic() < deadline:
                time.sleep(0.05)  # the engine retries Redis after its back-off
                published = Event._publish_pending()
            self.assertEqual(published, 3)
            events = consumer.fetch(block_ms=1000)
            self.assertEqual(
                [(e.event, e.version) for e in events],
                [("created", 1), ("versioned", 2), ("created", 1)],
            )
            self.assertFalse(self.outbox())


@tagged("post_install", "-at_install", "mcp_crew")
class TestKnowledgeEmbeddings(KnowledgeCase):
    """Re-ranking against the loopback OpenAI-compatible server (the only fake)."""

    def setUp(self):
        super().setUp()
        self.fake = FakeOpenAI().start()
        self.addCleanup(self.fake.stop)
        params = self.env["ir.config_parameter"]
        params.set_param("mcp_crew.embeddings_base_url", self.fake.base_url)
        params.set_param("mcp_crew.embeddings_api_key", "sk-bench-key")
        params.set_param("mcp_crew.embeddings_timeout", "1")
        self.pump = self.Knowledge.browse(
            self.store(
                {
                    "title": "Bomba d'água",
                    "content": "Bomba de entrega rápida para obras.",
                    "knowledge_type": "product_info",
                }
            )["id"]
        )
        self.engine_item = self.Knowledge.browse(
            self.store(
                {
                    "title": "Motor de bomba",
                    "content": "Motor de entrega para bomba hidráulica.",
                    "knowledge_type": "product_info",
                }
            )["id"]
        )

    def test_vectors_rerank_candidates_and_are_cached(self):
        query = "bomba entrega"
        self.fake.script_embedding(query, [1.0, 0.0])
        self.fake.script_embedding("%s\n%s" % (self.pump.name, self.pump.content), [0.0, 1.0])
        self.fake.script_embedding(
            "%s\n%s" % (self.engine_item.name, self.engine_item.content), [1.0, 0.1]
        )
        results = self.made(self.Knowledge.search_knowledge(query))
        self.assertEqual([r["id"] for r in results][0], self.engine_item.id)
        self.assertGreater(results[0]["scores"]["vector"], 0.99)
        self.assertAlmostEqual(
            next(r for r in results if r["id"] == self.pump.id)["scores"]["vector"], 0.0
        )
        self.assertTrue(self.pump.embedding, "the vector is kept for the next search")
        calls = len(self.fake.requests_to("/v1/embeddings"))
        self.Knowledge.search_knowledge(query)
        last = self.fake.requests_to("/v1/embeddings")[-1]
        self.assertEqual(len(self.fake.requests_to("/v1/embeddings")), calls + 1)
        self.assertEqual(last["json"]["input"], [query], "only the query is embedded again")

    def test_failing_endpoint_keeps_the_lexical_ranking(self):
        self.fake.set_failure(status=500)
        with self.assertLogs("odoo.addons.mcp_crew.models.mcp_knowledge_search", "WARNING") as logs:
            results = self.made(self.Knowledge.search_knowledge("bomba entrega"))
        self.assertEqual(len(results), 2)
        self.assertTrue(all("vector" not in r["scores"] for r in results))
        self.assertIn("without embeddings", logs.output[0])
        self.assertNotIn("sk-bench-key", logs.output[0])
