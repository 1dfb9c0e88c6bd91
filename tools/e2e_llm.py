#!/usr/bin/env python3
"""Crews against a real model, in a real Odoo, with the demo MCP server: the check
`make e2e-llm` runs (minutes per run on 2 cores; not part of `make test`).

Run by tools/e2e-llm.sh, which starts the local model (../shared/tools/local-llm.sh)
unless E2E_LLM_BASE_URL names an OpenAI-compatible endpoint, and passes Odoo's
options. Environment:

  E2E_LLM_BASE_URL, E2E_LLM_MODEL, E2E_LLM_API_KEY      the chat model
  E2E_EMBEDDINGS_BASE_URL, E2E_EMBEDDINGS_MODEL          the embeddings model
  E2E_LLM_TOOL_CALLING                                   auto (default), native or text
  E2E_LLM_TIMEOUT                                        seconds per LLM call (600)
  E2E_LLM_MAX_TOKENS                                     longest answer per LLM call (600)

A fresh database gets mcp_crew, the demo MCP server (stdio) and a few knowledge
items; each case is asked as a user would (``mcp.run.ask``), its queued run is
worked by the same code the cron runs, and the script prints the route, the
steps, the answer, the tokens and the time, then whether the case holds. It
exits 1 when a case does not hold, and drops the database.
"""

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from odoo_support import ensure_database, setup_odoo  # noqa: E402

DEMO_SERVER = os.path.join(ROOT, "docker", "mcp_demo_server.py")
CASES = (
    {
        "name": "product research calls supplier_offers through the gate and cites it",
        "message": "Qual fornecedor tem a melhor oferta para arruela lisa M8? Compare os preços.",
        "tools": ("supplier_offers",),
        "cites": ("Metalúrgica Sul", "0.04", "0,04"),
        "language": "pt",
    },
    {
        "name": "a request that needs two tools",
        "message": "How much is the cheapest offer for arruela lisa M8 in US dollars? "
        "Use the supplier offers and the exchange rate.",
        "tools": ("supplier_offers", "exchange_rate"),
        # Metalúrgica Sul's 0.04 BRL at the demo server's 5.40 BRL per USD: an
        # answer in dollars with another figure got the arithmetic wrong.
        "cites": ("0.007", "0,007"),
        "language": "en",
    },
    {
        "name": "a destructive tool waits for approval, then runs once",
        "message": "Cancel the supplier order PO-4471 with cancel_supplier_order.",
        "approve": "cancel_supplier_order",
    },
    {
        "name": "a Portuguese request is answered in Portuguese",
        "message": "Explique em poucas palavras o que é uma nota fiscal eletrônica.",
        "language": "pt",
        # On the subject: an answer in Portuguese about something else is no answer.
        "cites": ("nota fiscal", "Nota fiscal", "NF-e"),
    },
)
KNOWLEDGE = (
    (
        "Arruela lisa M8: fornecedores",
        "Arruela lisa M8 de aço zincado. Fornecedores: Metalúrgica Sul e Fixadores Paulista.",
    ),
    (
        "Parafuso sextavado M8",
        "Parafuso sextavado M8 x 30 mm, aço carbono, usado com arruela lisa M8.",
    ),
    ("Política de devolução B2B", "Clientes B2B devolvem itens sem uso em até 30 dias."),
    ("Bomba hidráulica BH-200", "Bomba hidráulica BH-200: 2 cv, garantia de 24 meses."),
)


def configure(env):
    params = env["ir.config_parameter"]
    for key, value in {
        "mcp_crew.llm_model": os.environ["E2E_LLM_MODEL"],
        "mcp_crew.llm_base_url": os.environ["E2E_LLM_BASE_URL"],
        "mcp_crew.llm_api_key": os.environ.get("E2E_LLM_API_KEY", ""),
        "mcp_crew.llm_timeout": os.environ.get("E2E_LLM_TIMEOUT", "600"),
        "mcp_crew.llm_max_tokens": os.environ.get("E2E_LLM_MAX_TOKENS", "600"),
        "mcp_crew.llm_tool_calling": os.environ.get("E2E_LLM_TOOL_CALLING", "auto"),
        "mcp_crew.embeddings_base_url": os.environ.get("E2E_EMBEDDINGS_BASE_URL", ""),
        "mcp_crew.embeddings_model": os.environ.get("E2E_EMBEDDINGS_MODEL", ""),
        "mcp_crew.embeddings_timeout": "60",
    }.items():
        params.set_param(key, value)
    server = env["mcp.server"].create(
        {
            "name": "Suppliers (demo)",
            "transport": "stdio",
            "command": sys.executable,
            "args_text": "%s\nstdio" % DEMO_SERVER,
            "kind": "external_api",
            "timeout": 60,
        }
    )
    server.action_discover()
    tools = sorted(server.tool_ids.mapped("name"))
    print("demo server: %s, tools %s" % (server.state, ", ".join(tools)))
    approver = env["res.users"].create(
        {
            "name": "E2E approver",
            "login": "e2e_approver",
            "groups_id": [(6, 0, [env.ref("mcp_crew.group_mcp_crew_approver").id])],
        }
    )
    for title, content in KNOWLEDGE:
        env["mcp.knowledge"].store(
            {"title": title, "content": content, "knowledge_type": "product_info"}
        )
    return approver


def work(env, run, deadline):
    """Work the queued run as the cron would, until it stops or ``deadline``."""
    while run.state == "running" and time.monotonic() < deadline:
        env.cr.commit()
        if not env["mcp.run"]._cron_process_runs():
            time.sleep(1)
        run.invalidate_recordset()
    return run


def show(run, seconds):
    print("  route: %s %s (%s)" % (run.route_kind, run.route_name or "", run.route_confidence))
    for step in run.step_ids.sorted("id"):
        print(
            "  step: %s %s %s -> %s%s"
            % (
                step.kind,
                step.name,
                step.arguments or "",
                (step.result_summary or "")[:200],
                " [%s]" % step.status,
            )
        )
    print("  state: %s%s" % (run.state, " (%s)" % run.error if run.error else ""))
    print("  answer: %s" % (run.answer or "").strip()[:1200])
    print(
        "  tokens: %d prompt + %d completion; time %.0f s"
        % (run.prompt_tokens, run.completion_tokens, seconds)
    )


def check(case, run, router_module):
    problems = []
    if run.state != "done":
        problems.append("state is %s, not done" % run.state)
    used = set(
        run.step_ids.filtered(lambda s: s.kind == "tool" and s.status == "ok").mapped("name")
    )
    missing = set(case.get("tools", ())) - used
    if missing:
        problems.append("tools not called through the gate: %s" % ", ".join(sorted(missing)))
    cites = case.get("cites")
    if cites and not any(fragment in (run.answer or "") for fragment in cites):
        problems.append("the answer cites none of %s" % (cites,))
    language = case.get("language")
    if language and router_module.detect_language(run.answer or "") != language:
        problems.append("the answer is not in %s" % language)
    return problems


def approve_and_finish(env, run, tool_name, approver, deadline):
    step = run.step_ids.filtered(lambda s: s.name == tool_name)
    if run.state != "waiting_approval" or step.status != "pending_approval":
        return [
            "%s did not wait for approval (run %s, step %s)" % (tool_name, run.state, step.status)
        ]
    print("  waiting for approval: %s %s" % (step.name, step.arguments))
    step.with_user(approver).action_approve()
    run = work(env, run, deadline)
    step.invalidate_recordset()
    calls = run.step_ids.filtered(lambda s: s.name == tool_name)
    problems = []
    if len(calls) != 1 or calls.status != "ok":
        problems.append(
            "%s ran %d time(s), status %s" % (tool_name, len(calls), calls.mapped("status"))
        )
    return problems


def knowledge_check(env):
    results = env["mcp.knowledge"].search_knowledge("preço da arruela M8", limit=4)
    print("knowledge search 'preço da arruela M8', re-ranked by the embeddings:")
    for item in results:
        print(
            "  %.3f %s (vector %s)" % (item["score"], item["title"], item["scores"].get("vector"))
        )
    if not results or any(item["scores"].get("vector") is None for item in results):
        return ["not every result was re-ranked by the embeddings"]
    titles = [item["title"] for item in results]
    washer, bolt = "Arruela lisa M8: fornecedores", "Parafuso sextavado M8"
    if washer not in titles or (bolt in titles and titles.index(bolt) < titles.index(washer)):
        return ["the washer item does not rank above the bolt"]
    return []


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", help="run only cases whose name contains this")
    options, odoo_args = parser.parse_known_args(argv)
    odoo = setup_odoo(odoo_args)
    db = "mcp_crew_e2e_llm_%d" % os.getpid()
    registry = ensure_database(odoo, db)
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415 - importable once set up

    from odoo.addons.mcp_crew.services import router as router_module  # noqa: PLC0415

    failures = {}
    try:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            approver = configure(env)
            cr.commit()
            admin = env.ref("base.user_admin")
            cases = [
                case
                for case in CASES
                if not options.case or any(part in case["name"] for part in options.case)
            ]
            for case in cases:
                print("\n== %s\n  request: %s" % (case["name"], case["message"]), flush=True)
                started = time.monotonic()
                deadline = started + 3600
                result = env["mcp.run"].with_user(admin).ask(case["message"])
                run = env["mcp.run"].browse(result["run_id"])
                run = work(env, run, deadline)
                problems = []
                if case.get("approve"):
                    problems += approve_and_finish(env, run, case["approve"], approver, deadline)
                else:
                    problems += check(case, run, router_module)
                show(run, time.monotonic() - started)
                print("  holds" if not problems else "  DOES NOT HOLD: %s" % "; ".join(problems))
                if problems:
                    failures[case["name"]] = problems
            if not options.case:
                print("\n== knowledge search re-ranked with the real embeddings")
                problems = knowledge_check(env)
                print("  holds" if not problems else "  DOES NOT HOLD: %s" % "; ".join(problems))
                if problems:
                    failures["knowledge"] = problems
            learnt = env["ir.config_parameter"].get_param("mcp_crew.llm_tool_calling_learnt")
            print("\ntool calling learnt by auto mode: %s" % (learnt or "nothing"))
    finally:
        odoo.sql_db.close_db(db)
        odoo.service.db.exp_drop(db)
    print("\n%d case(s) do not hold" % len(failures) if failures else "\nevery case holds")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
