"""``mcp.run.ask`` latency on the paths that need no LLM, against a running
Odoo with 2 workers, at 1, 10 and 50 concurrent clients.

Needs Odoo 16 (run it with Odoo's Python) and PostgreSQL + Redis:

    ODOO_ROOT=/path/to/odoo ODOO_BIN=/path/to/odoo-bin \\
        /path/to/odoo-venv/bin/python bench/bench_ask.py -c /path/to/odoo.conf

It creates (or reuses) the database ``mcp_crew_bench_ask`` with mcp_crew,
a user with an API key, 2,000 knowledge items and the SDK-built catalog MCP
server over stdio, then starts ``odoo-bin --workers 2`` on it and measures,
each client a thread with its own keep-alive HTTP session:

- baseline: ``/jsonrpc`` ``execute_kw`` ``res.partner.search_read`` of one
  record with the same API key (Odoo's own cost of an authenticated call);
- ``ask`` of a question the knowledge base answers (``/jsonrpc`` ``execute_kw``);
- ``ask`` of a direct tool command, ``/tool add`` (a real MCP call);
- the web client's ``/mcp_crew/ask`` with a session cookie (knowledge answer).

Each load is measured back to back (every client sends its next request as
soon as it has the answer: the server's saturation point) and, at 50
clients, with clients that pause about a second between requests, as users
of a chat do.

With ``haproxy`` on the PATH every figure is measured twice: straight to
Odoo, and through HAProxy holding at most one request per worker (``maxconn
2``) and queueing the rest — how prefork Odoo is run in production, since its
own accept queue is only 8 connections per worker and a burst of 50 clients
overflows it (dropped SYNs come back after a 1 s retransmit, or reset).

With ``ab`` (ApacheBench) on the PATH, the 50 back-to-back clients through
HAProxy are measured once more with it as the load generator: one C thread
instead of 50 Python ones, which on a 2-core machine take CPU from the server
they measure. ab cannot read the JSON answers, so each of its runs is checked
in the database instead (the runs it created, by status).

Then one crew request with an LLM (the loopback scripted OpenAI-compatible
server) to show that the request returns at once and the answer arrives
from the background cron worker.

Not part of the test suite: it prints figures, it asserts nothing.
"""

import concurrent.futures
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import requests
from odoo_support import free_port, percentile, start_bench, vacuum_analyze

DB = "mcp_crew_bench_ask"
LOGIN, PASSWORD = "bench_asker", "bench_asker_pw"
CONCURRENCY = (1, 10, 50)
# Clients that pause between requests, as users do (a JMeter-style timer):
# 50 clients with ~1 s think time offer ~50 requests/s.
PACED_CLIENTS, PACED_THINK, PACED_REQUESTS = 50, 1.0, 20
REQUESTS = {1: 200, 10: 600, 50: 1000}
KNOWLEDGE_ITEMS = 2000
QUESTIONS = (
    "Qual é o prazo de devolução dos produtos?",
    "What is the warranty of the hydraulic pump?",
    "Qual o prazo de entrega para São Paulo?",
)
from fake_openai import FakeOpenAI  # noqa: E402  pylint: disable=wrong-import-position
from processes import (  # noqa: E402  pylint: disable=wrong-import-position
    CATALOG_SERVER,
    wait_for_port,
)


def prepare(odoo, registry):
    """User, API key, knowledge and the MCP server; returns (uid, api key)."""
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        user = env["res.users"].search([("login", "=", LOGIN)])
        if not user:
            user = env["res.users"].create(
                {
                    "name": "Bench Asker",
                    "login": LOGIN,
                    "password": PASSWORD,
                    "groups_id": [
                        (
                            6,
                            0,
                            [
                                env.ref("mcp_crew.group_mcp_crew_user").id,
                                env.ref("base.group_user").id,
                            ],
                        )
                    ],
                }
            )
        api_key = prepare_no_llm_asker(env, user)
        if not env["mcp.server"].search([("name", "=", "catalog")]):
            server = env["mcp.server"].create(
                {
                    "name": "catalog",
                    "transport": "stdio",
                    "command": sys.executable,
                    "args_text": "%s\nstdio" % CATALOG_SERVER,
                    "kind": "database",
                    "timeout": 10,
                }
            )
            server.action_discover()
        return user.id, api_key


def prepare_no_llm_asker(env, user):
    """A fresh API key for ``user``, no LLM (the no-LLM paths are measured) and the
    bench's knowledge items, loaded once; returns the key."""
    env["res.users.apikeys"].search([("user_id", "=", user.id)]).unlink()
    api_key = env["res.users.apikeys"].with_user(user)._generate(None, "bench")
    for name in ("llm_model", "llm_base_url", "llm_api_key"):
        env["ir.config_parameter"].set_param("mcp_crew.%s" % name, False)
    Knowledge = env["mcp.knowledge"]
    if Knowledge.search_count([]) < KNOWLEDGE_ITEMS:
        load_knowledge(Knowledge)
        env.cr.commit()
        vacuum_analyze(env.cr, "mcp_knowledge", "mcp_knowledge_word")
    return api_key


def load_knowledge(Knowledge):
    rng = random.Random(3)
    facts = [
        (
            "Prazo de devolução",
            "Clientes podem devolver produtos em até 30 dias com a nota fiscal.",
        ),
        ("Hydraulic pump warranty", "The BH-200 hydraulic pump has a 24 month warranty."),
        ("Prazo de entrega em São Paulo", "Entregas na capital paulista levam 2 dias úteis."),
    ]
    words = (
        "parafuso porca arruela cabo motor bomba válvula sensor painel caixa lote "
        "bolt nut washer cable engine pump valve sensor panel box batch"
    ).split()
    for index in range(KNOWLEDGE_ITEMS - len(facts)):
        title = "Item %d %s" % (index, " ".join(rng.sample(words, 3)))
        facts.append((title, " ".join(rng.choices(words, k=40))))
    for title, content in facts:
        Knowledge.store({"title": title, "content": content, "knowledge_type": "general_fact"})


HAPROXY_CONFIG = """
defaults
    mode http
    timeout connect 5s
    timeout client 120s
    timeout server 120s
    timeout queue 120s
frontend ask
    bind 127.0.0.1:%(port)d
    default_backend odoo
backend odoo
    server odoo 127.0.0.1:%(odoo_port)d maxconn %(workers)d
"""


def start_haproxy(odoo_port, workers=2):
    """HAProxy in front of Odoo, or None when it is not installed."""
    if not shutil.which("haproxy"):
        return None, None
    port = free_port()
    config = tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False)  # noqa: SIM115
    with config:
        config.write(HAPROXY_CONFIG % {"port": port, "odoo_port": odoo_port, "workers": workers})
    process = subprocess.Popen(
        ["haproxy", "-db", "-f", config.name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for_port(port, timeout=10, process=process)
    except (RuntimeError, TimeoutError):  # it exited, or never listened
        process.kill()
        return None, None
    return process, "http://127.0.0.1:%d" % port


def rpc_body(params):
    return {"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}


def execute_kw_params(uid, api_key, model, method, args, kwargs=None):
    return {
        "service": "object",
        "method": "execute_kw",
        "args": [DB, uid, api_key, model, method, args, kwargs or {}],
    }


class Client:
    def __init__(self, base, uid, api_key):
        self.base, self.uid, self.api_key = base, uid, api_key
        self.session = requests.Session()

    def post(self, path, params):
        response = self.session.post(
            self.base + path,
            json=rpc_body(params),
            timeout=60,
        )
        reply = response.json()
        if response.status_code != 200 or "error" in reply:
            raise RuntimeError(json.dumps(reply.get("error"))[:300])
        return reply["result"]

    def execute_kw(self, model, method, args, kwargs=None):
        return self.post(
            "/jsonrpc", execute_kw_params(self.uid, self.api_key, model, method, args, kwargs)
        )

    def login(self):
        self.post("/web/session/authenticate", {"db": DB, "login": LOGIN, "password": PASSWORD})


def scenarios(uid, api_key):
    """(label, path, JSON-RPC params of request n, answer route to expect, needs a
    session cookie) of each measured call."""

    def execute_kw(*call):
        return execute_kw_params(uid, api_key, *call)

    def question(n):
        return QUESTIONS[n % len(QUESTIONS)]

    return (
        (
            "baseline: execute_kw search_read (1 partner)",
            "/jsonrpc",
            lambda _n: execute_kw(
                "res.partner", "search_read", [[["id", "=", 1]]], {"fields": ["name"]}
            ),
            None,
            False,
        ),
        (
            "ask via execute_kw: knowledge answer",
            "/jsonrpc",
            lambda n: execute_kw("mcp.run", "ask", [question(n)]),
            "knowledge",
            False,
        ),
        (
            "ask via execute_kw: direct tool call",
            "/jsonrpc",
            lambda n: execute_kw("mcp.run", "ask", ['/tool add {"a": %d, "b": 1}' % n]),
            "tool",
            False,
        ),
        (
            "ask via /mcp_crew/ask: knowledge answer",
            "/mcp_crew/ask",
            lambda n: {"message": question(n)},
            "knowledge",
            True,
        ),
    )


def expect(result, route):
    if result["status"] != "done" or result["route"]["kind"] != route:
        raise RuntimeError(
            "unexpected answer: %s %s %s"
            % (result["status"], result["route"]["kind"], result.get("error"))
        )


def measure(base, uid, api_key, request, concurrency, think=0.0):
    path, params, route, needs_login = request

    def call(client, n):
        result = client.post(path, params(n))
        if route:
            expect(result, route)

    clients = [Client(base, uid, api_key) for _ in range(concurrency)]
    for client in clients:
        if needs_login:
            client.login()
        call(client, 0)  # warm the connection and the worker
    total = REQUESTS[concurrency] if not think else concurrency * PACED_REQUESTS
    latencies, errors = [], []

    def worker(index):
        client = clients[index]
        for n in range(index, total, concurrency):
            started = time.perf_counter()
            try:
                call(client, n)
            except Exception as err:  # noqa: BLE001 - counted and reported
                errors.append(str(err))
                continue
            latencies.append(time.perf_counter() - started)
            if think:
                time.sleep(think * random.uniform(0.5, 1.5))

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, range(concurrency)))
    elapsed = time.perf_counter() - started
    return latencies, errors, total / elapsed


AB_CLIENTS, AB_REQUESTS = 50, 2000
# Little's law: N clients sending back to back wait N / throughput on average,
# so a latency target needs at least this throughput at AB_CLIENTS.
TARGET_P95 = 0.150


def run_ab(url, body, concurrency, count, cookie=None):
    """One ApacheBench run: (median ms, p95 ms, req/s, failed requests)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json") as payload:
        json.dump(body, payload)
        payload.flush()
        # -l: answers differ in length (run ids); -r: count socket errors, go on.
        command = ["ab", "-q", "-l", "-r", "-s", "60", "-n", str(count), "-c", str(concurrency)]
        command += ["-p", payload.name, "-T", "application/json"]
        if cookie:
            command += ["-C", cookie]
        output = subprocess.run(command + [url], capture_output=True, text=True, check=False).stdout

    def number(pattern):
        found = re.search(pattern, output, re.M)
        if not found:
            raise RuntimeError("ab printed no %r: %s" % (pattern, output[-500:]))
        return float(found.group(1))

    failed = number(r"^Failed requests:\s+(\d+)")
    non_2xx = re.search(r"^Non-2xx responses:\s+(\d+)", output, re.M)
    failed += int(non_2xx.group(1)) if non_2xx else 0
    return (
        number(r"^\s+50%\s+(\d+)"),
        number(r"^\s+95%\s+(\d+)"),
        number(r"^Requests per second:\s+([\d.]+)"),
        failed,
    )


def run_counts(registry, uid):
    """The bench user's runs by status."""
    with registry.cursor() as cr:
        cr.execute(
            "SELECT state, count(*) FROM mcp_run WHERE requester_id = %s GROUP BY state", (uid,)
        )
        return dict(cr.fetchall())


def ab_table(registry, url, uid, api_key):
    client = Client(url, uid, api_key)
    client.login()
    cookie = "session_id=%s" % client.session.cookies["session_id"]
    print(
        "%d concurrent clients, back to back, ApacheBench, %d requests per scenario:"
        % (AB_CLIENTS, AB_REQUESTS)
    )
    baseline_rate = None
    for label, path, params, _route, needs_login in scenarios(uid, api_key):
        # ab sends one fixed body: each scenario's request 0.
        body, session = rpc_body(params(0)), cookie if needs_login else None
        run_ab(url + path, body, AB_CLIENTS, AB_CLIENTS, session)  # warm-up
        before = run_counts(registry, uid)
        median, p95, rate, failed = run_ab(url + path, body, AB_CLIENTS, AB_REQUESTS, session)
        after = run_counts(registry, uid)
        created = {state: after.get(state, 0) - before.get(state, 0) for state in after}
        checked = (
            ", runs created: %s"
            % ", ".join(
                "%d %s" % (count, state) for state, count in sorted(created.items()) if count
            )
            if any(created.values())
            else ""
        )
        print(
            "  %-46s median %5.0f ms  p95 %5.0f ms  %6.0f req/s  errors %d%s"
            % (label, median, p95, rate, failed, checked),
            flush=True,
        )
        baseline_rate = baseline_rate or rate
    print(
        "  p95 <= %.0f ms for %d clients back to back needs at least %.0f req/s (Little's law); "
        "Odoo's own baseline call reaches %.0f req/s here."
        % (TARGET_P95 * 1000, AB_CLIENTS, AB_CLIENTS / TARGET_P95, baseline_rate)
    )


def crew_in_background(odoo, registry, base, uid, api_key):
    with FakeOpenAI() as fake, registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        env["ir.config_parameter"].set_param("mcp_crew.llm_model", "fake-chat")
        env["ir.config_parameter"].set_param("mcp_crew.llm_base_url", fake.base_url)
        cr.commit()
        registry.signal_changes()  # the workers' cached parameters are stale now
        fake.queue_chat({"content": "Arruelas: o fornecedor A é 8% mais barato."})
        client = Client(base, uid, api_key)
        started = time.perf_counter()
        result = client.execute_kw(
            "mcp.run", "ask", ["Compare os preços de arruelas entre fornecedores"]
        )
        returned = time.perf_counter() - started
        while result["status"] == "running" and time.perf_counter() - started < 120:
            time.sleep(0.2)
            result = client.execute_kw("mcp.run", "get_results", [[result["run_id"]]])[0]
        answered = time.perf_counter() - started
        for name in ("llm_model", "llm_base_url"):
            env["ir.config_parameter"].set_param("mcp_crew.%s" % name, False)
        cr.commit()
        registry.signal_changes()
    print("\ncrew request with an LLM (scripted loopback server):")
    print(
        "  ask returned in %.0f ms with status running; crew %s"
        % (returned * 1000, result["crew"]["name"] if result["crew"] else "-")
    )
    print(
        "  background answer after %.2f s: status %s, answer %r, tokens %d"
        % (answered, result["status"], result["answer"][:60], result["usage"]["total_tokens"])
    )


def run_table(base, uid, api_key, concurrency, think=0.0):
    if think:
        print(
            "%d concurrent clients, each pausing ~%.1f s between requests, %d requests per "
            "scenario:" % (concurrency, think, concurrency * PACED_REQUESTS)
        )
    else:
        print(
            "%d concurrent client(s), back to back, %d requests per scenario:"
            % (concurrency, REQUESTS[concurrency])
        )
    baseline = None
    for label, *request in scenarios(uid, api_key):
        latencies, errors, rate = measure(base, uid, api_key, request, concurrency, think)
        median, p95 = statistics.median(latencies), percentile(latencies, 0.95)
        line = "  %-46s median %7.1f ms  p95 %7.1f ms  %6.0f req/s  errors %d" % (
            label,
            median * 1e3,
            p95 * 1e3,
            rate,
            len(errors),
        )
        if baseline:
            line += "  (%.2fx / p95 %.2fx baseline)" % (median / baseline[0], p95 / baseline[1])
        else:
            baseline = (median, p95)
        print(line, flush=True)
        for error in sorted(set(errors))[:3]:
            print("    error: %s" % error)


def main():
    if {"-h", "--help"} & set(sys.argv[1:]):
        print(__doc__)
        return 0
    odoo, registry, (uid, api_key), server, port = start_bench(sys.argv[1:], DB, prepare)
    base = "http://127.0.0.1:%d" % port
    proxy, proxied = start_haproxy(port)
    try:
        print(
            "odoo --workers 2 on %s; %d knowledge items; MCP server over stdio"
            % (base, KNOWLEDGE_ITEMS)
        )
        fronts = [("straight to Odoo", base)]
        if proxied:
            fronts.append(("through HAProxy (maxconn 2 = workers, the rest queued)", proxied))
        for front, url in fronts:
            print("\n== %s" % front)
            for concurrency in CONCURRENCY:
                run_table(url, uid, api_key, concurrency)
            run_table(url, uid, api_key, PACED_CLIENTS, PACED_THINK)
        if proxied and shutil.which("ab"):
            print("\n== through HAProxy, ApacheBench as the load generator")
            ab_table(registry, proxied, uid, api_key)
        crew_in_background(odoo, registry, base, uid, api_key)
    finally:
        if proxy:
            proxy.terminate()
        server.terminate()
        server.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
