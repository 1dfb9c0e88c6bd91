"""Knowledge base benchmark: search and store latency at 10k and 100k items per
company, against a plain ILIKE search (and a plain INSERT) on the same data,
in the same run.

Needs Odoo 16 importable (run it with Odoo's Python) and PostgreSQL + Redis:

    ODOO_ROOT=/path/to/odoo /path/to/odoo-venv/bin/python bench/bench_knowledge.py \
        -c /path/to/odoo.conf

It creates (or reuses) one database per size, ``mcp_crew_bench_kb_<size>``,
with mcp_crew installed and two companies, bulk-loads generated items with the same derived
values ``store()`` computes (hash, MinHash bands, language), and measures:

- ``search_knowledge()`` as a knowledge user (record rules, ranking, masking)
  against ``SELECT ... WHERE name ILIKE or content ILIKE ... LIMIT 10``;
- ``store()`` of new items, each in its own transaction, commit and the
  after-commit event publication to Redis included, against a plain INSERT
  and commit of the same row.

Not part of the test suite: it prints figures, it asserts nothing.
"""

import collections
import io
import random
import sys
import time

from odoo_support import ensure_database, report, setup_odoo, vacuum_analyze

DB_PREFIX = "mcp_crew_bench_kb_"
SIZES = (10_000, 100_000)
QUERIES = 300
STORES = 300

# A Zipf-distributed vocabulary of real Portuguese and English business words
# plus generated ones, so common words match thousands of items and rare
# ones a few, as in a real knowledge base.
PT_WORDS = (
    "produto cliente pedido entrega estoque preço fornecedor garantia contrato "
    "pagamento nota fiscal desconto prazo frete devolução qualidade suporte "
    "atendimento reclamação venda compra parafuso porca arruela cabo motor bomba "
    "válvula sensor painel caixa unidade lote fábrica armazém região campanha "
    "margem receita custo previsão demanda sazonalidade promoção catálogo manual "
    "instalação manutenção peça reposição modelo série versão política regra"
).split()
EN_WORDS = (
    "product customer order delivery stock price supplier warranty contract "
    "payment invoice discount deadline shipping return quality support service "
    "complaint sale purchase bolt nut washer cable engine pump valve sensor panel "
    "box unit batch factory warehouse region campaign margin revenue cost forecast "
    "demand seasonality promotion catalog manual installation maintenance part"
).split()
PT_GLUE = "o a de do da em para com que não por os as um uma no na".split()
EN_GLUE = "the of and to in for with that is on by a an at from".split()
TYPES = [
    "product_info",
    "customer_insight",
    "conversation_summary",
    "analysis_result",
    "recommendation",
    "market_data",
    "technical_spec",
    "general_fact",
]


def generated_vocabulary(rng, size=6000):
    syllables = (
        "ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo la le li lo "
        "ma me mi mo mu na ne ni no pa pe pi po ra re ri ro sa se si so ta te ti to va ve vi"
    )
    syllables = syllables.split()
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


class Corpus:
    def __init__(self, seed=7):
        self.rng = random.Random(seed)
        extra = generated_vocabulary(self.rng)
        self.vocab = {"pt": PT_WORDS + extra, "en": EN_WORDS + extra}
        self.weights = {
            lang: [1.0 / (rank + 1) ** 0.9 for rank in range(len(words))]
            for lang, words in self.vocab.items()
        }
        self.glue = {"pt": PT_GLUE, "en": EN_GLUE}
        self.topics = ["%s %s" % pair for pair in zip(extra[:400], extra[400:800], strict=True)]

    def words(self, lang, count):
        return self.rng.choices(self.vocab[lang], weights=self.weights[lang], k=count)

    def sentence(self, lang, count):
        out = []
        for word in self.words(lang, count):
            out.append(word)
            if self.rng.random() < 0.4:
                out.append(self.rng.choice(self.glue[lang]))
        return " ".join(out)

    def item(self):
        lang = "pt" if self.rng.random() < 0.7 else "en"
        title = self.sentence(lang, self.rng.randint(3, 6)).capitalize()
        content = ". ".join(
            self.sentence(lang, self.rng.randint(8, 16)).capitalize()
            for _ in range(self.rng.randint(3, 7))
        )
        return {
            "title": title,
            "content": content + ".",
            "knowledge_type": self.rng.choice(TYPES),
            "topic": self.rng.choice(self.topics),
            "language": lang,
            "confidence": round(self.rng.uniform(0.3, 1.0), 2),
        }

    def query(self):
        lang = "pt" if self.rng.random() < 0.7 else "en"
        words = self.words(lang, self.rng.randint(1, 3))
        if self.rng.random() < 0.2:  # a typo in the longest word
            longest = max(words, key=len)
            position = self.rng.randrange(1, len(longest))
            words[words.index(longest)] = longest[:position] + "x" + longest[position + 1 :]
        return " ".join(words)


def companies_and_users(odoo, registry):
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        companies = env["res.company"].search([], order="id", limit=2)
        if len(companies) < 2:
            companies |= env["res.company"].create({"name": "Bench Company B"})
        users = []
        for company in companies:
            login = "bench_kb_user_%d" % company.id
            user = env["res.users"].search([("login", "=", login)])
            if not user:
                user = env["res.users"].create(
                    {
                        "name": login,
                        "login": login,
                        "company_id": company.id,
                        "company_ids": [(6, 0, company.ids)],
                        "groups_id": [(6, 0, [env.ref("mcp_crew.group_mcp_crew_user").id])],
                    }
                )
            users.append(user.id)
        return companies.ids, users


def bulk_load(registry, corpus, company_id, count):
    """Insert ``count`` generated items with COPY, derived values as store() makes them."""
    from odoo.addons.mcp_crew.services.knowledge import text  # noqa: PLC0415

    buffer = io.StringIO()
    now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    for _ in range(count):
        item = corpus.item()
        age = "%d days" % corpus.rng.randint(0, 365)
        row = [
            item["title"],
            item["content"],
            item["knowledge_type"],
            item["topic"],
            item["language"],
            str(item["confidence"]),
            str(company_id),
            text.content_hash(item["title"], item["content"]),
            text.dedupe_signature(item["content"]),
            age,
        ]
        buffer.write("\t".join(value.replace("\t", " ") for value in row) + "\n")
    buffer.seek(0)
    with registry.cursor() as cr:
        cr.execute(
            "CREATE TEMP TABLE bench_load (name varchar, content text, knowledge_type varchar, "
            "topic varchar, language varchar, confidence float8, company_id int, "
            "content_hash varchar, dedupe_signature varchar, age interval)"
        )
        cr._obj.copy_from(buffer, "bench_load")
        cr.execute(
            """
            INSERT INTO mcp_knowledge (name, content, knowledge_type, topic, language,
                   confidence, company_id, content_hash, dedupe_signature, active,
                   source_kind, version, expires_at, create_uid, write_uid,
                   create_date, write_date)
            SELECT name, content, knowledge_type, topic, language, confidence, company_id,
                   content_hash, dedupe_signature, true, 'agent', 1,
                   %s::timestamp + interval '365 days', 1, 1,
                   %s::timestamp - age, %s::timestamp - age
              FROM bench_load
            """,
            (now, now, now),
        )


def item_count(registry, company_id):
    with registry.cursor() as cr:
        cr.execute("SELECT count(*) FROM mcp_knowledge WHERE company_id = %s", (company_id,))
        return cr.fetchone()[0]


def bench_search(odoo, registry, corpus, company_id, user_id):
    queries = [corpus.query() for _ in range(QUERIES)]
    ranked, ilike, found = [], [], 0
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, user_id, {"allowed_company_ids": [company_id]})
        knowledge = env["mcp.knowledge"]
        knowledge.search_knowledge(queries[0])  # warm caches and the plan
        for query in queries:
            start = time.perf_counter()
            results = knowledge.search_knowledge(query)
            ranked.append(time.perf_counter() - start)
            found += bool(results)
            start = time.perf_counter()
            cr.execute(
                "SELECT id, name, content FROM mcp_knowledge WHERE company_id = %s AND active "
                "AND sensitive IS NOT TRUE AND (name ILIKE %s OR content ILIKE %s) "
                "ORDER BY write_date DESC LIMIT 10",
                (company_id, "%" + query + "%", "%" + query + "%"),
            )
            cr.fetchall()
            ilike.append(time.perf_counter() - start)
    return ranked, ilike, found


def bench_store(odoo, registry, company_id, user_id):
    from odoo.addons.mcp_crew.runtime import get_engine  # noqa: PLC0415
    from odoo.addons.mcp_crew.services.knowledge.events import stream_key  # noqa: PLC0415
    from odoo.addons.mcp_crew.services.spec import CacheScope  # noqa: PLC0415

    # A fresh seed: items new to the database, so each store creates (and emits).
    corpus = Corpus(seed=time.time_ns())
    redis_client = get_engine().l2.client
    key = stream_key(CacheScope(registry.db_name, company_id))
    stream_before = redis_client.xlen(key)
    stored, inserted, actions = [], [], collections.Counter()
    for _ in range(STORES):
        vals = corpus.item()
        vals.pop("language")
        start = time.perf_counter()
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, user_id, {"allowed_company_ids": [company_id]})
            actions[env["mcp.knowledge"].store(vals)["action"]] += 1
        # Leaving the block committed and ran the after-commit publication.
        stored.append(time.perf_counter() - start)
        start = time.perf_counter()
        with registry.cursor() as cr:
            cr.execute(
                "INSERT INTO mcp_knowledge (name, content, knowledge_type, topic, language, "
                "confidence, company_id, active, source_kind, version) "
                "VALUES (%s, %s, %s, %s, 'pt', %s, %s, true, 'agent', 1)",
                (
                    vals["title"],
                    vals["content"],
                    vals["knowledge_type"],
                    vals["topic"],
                    vals["confidence"],
                    company_id,
                ),
            )
        inserted.append(time.perf_counter() - start)
    with registry.cursor() as cr:
        cr.execute("SELECT count(*) FROM mcp_knowledge_event WHERE company_id = %s", (company_id,))
        queued = cr.fetchone()[0]
    return stored, inserted, actions, queued, redis_client.xlen(key) - stream_before


def main():
    if {"-h", "--help"} & set(sys.argv[1:]):
        print(__doc__)
        return 0
    odoo = setup_odoo(sys.argv[1:])
    from odoo.addons.mcp_crew.services.knowledge.search import (  # noqa: PLC0415
        rebuild_vocabulary,
    )

    corpus = Corpus()
    for size in SIZES:
        registry = ensure_database(odoo, DB_PREFIX + str(size))
        company_ids, user_ids = companies_and_users(odoo, registry)
        loaded = False
        for company_id in company_ids:
            missing = size - item_count(registry, company_id)
            if missing > 0:
                loaded = True
                print("loading %d items into company %d..." % (missing, company_id), flush=True)
                bulk_load(registry, corpus, company_id, missing)
        with registry.cursor() as cr:
            cr.execute("SELECT count(*) FROM mcp_knowledge_word")
            if loaded or not cr.fetchone()[0]:
                print("rebuilding the vocabulary...", flush=True)
                rebuild_vocabulary(cr)
        with registry.cursor() as cr:
            vacuum_analyze(cr, "mcp_knowledge", "mcp_knowledge_word")
        company_id, user_id = company_ids[0], user_ids[0]
        print(
            "\n%d items per company (%d companies), %d queries, %d stores"
            % (item_count(registry, company_id), len(company_ids), QUERIES, STORES)
        )
        ranked, ilike, found = bench_search(odoo, registry, corpus, company_id, user_id)
        report("plain ILIKE search (baseline)", ilike)
        report("search_knowledge (FTS + trigram, ranked)", ranked, ilike)
        print("  queries with results: %d/%d" % (found, QUERIES))
        stored, inserted, actions, queued, published = bench_store(
            odoo, registry, company_id, user_id
        )
        report("plain INSERT + commit (baseline)", inserted)
        report("store() + commit + event to Redis", stored, inserted)
        print(
            "  store actions: %s; events published: %d, still queued: %d"
            % (dict(actions), published, queued)
        )


if __name__ == "__main__":
    sys.exit(main())
