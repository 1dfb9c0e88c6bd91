#!/usr/bin/env python3
"""What a new user checks on a fresh `docker compose up`, over HTTP only.

Called by tools/docker-smoke.sh once the odoo service is healthy; standard
library only (no virtualenv needed). One line per check, `ok` or `FAIL`, and
the exit status is the number of failed checks (0: all passed).

    docker_smoke_checks.py [--url http://127.0.0.1:8069] [--db mcp_crew]
"""

import argparse
import http.cookiejar
import json
import sys
import urllib.error
import urllib.request

ADDONS = ("mcp_crew", "mcp_crew_sale", "mcp_crew_crm")
# docker/demo_setup.py registers the demo server under these names.
DEMO_SERVERS = ("Demo suppliers (HTTP)", "Demo suppliers (stdio)")
DEMO_TOOL = "supplier_offers"
KNOWLEDGE_QUESTION = "Qual é o prazo de devolução?"
# Demo data of docker/mcp_demo_server.py: the offers for this product.
TOOL_PRODUCT, TOOL_SUPPLIER = "Arruela lisa M8", "Fixadores Paulista"
TIMEOUT = 120


class CheckError(Exception):
    """A check's failure, with what was expected and what came instead."""


class Odoo:
    """The demo database over HTTP: JSON-RPC as an external system, and a web
    session (cookie) as the browser has it."""

    def __init__(self, url, db, login, password):
        self.url, self.db, self.login, self.password = url.rstrip("/"), db, login, password
        self.uid = None
        self.demo_server_id = None
        self.plain = urllib.request.build_opener()
        self.browser = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def post(self, path, payload, headers=None, opener=None):
        """(status, decoded body) of a JSON POST; HTTP errors are answers too."""
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with (opener or self.plain).open(request, timeout=TIMEOUT) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode(errors="replace")

    def rpc(self, path, params, opener=None):
        status, body = self.post(
            path, {"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}, opener=opener
        )
        answer = json.loads(body) if body.startswith("{") else {}
        if status != 200 or "error" in answer or "result" not in answer:
            error = answer.get("error", {})
            detail = error.get("data", {}).get("message") or error.get("message") or body[:200]
            raise CheckError("%s answered %s: %s" % (path, status, detail))
        return answer["result"]

    def execute(self, model, method, *args):
        return self.rpc(
            "/jsonrpc",
            {
                "service": "object",
                "method": "execute_kw",
                "args": [self.db, self.uid, self.password, model, method, list(args)],
            },
        )

    def call_kw(self, model, method, *args):
        """A method called as the web client calls it, in the browser session."""
        return self.rpc(
            "/web/dataset/call_kw/%s/%s" % (model, method),
            {"model": model, "method": method, "args": list(args), "kwargs": {}},
            opener=self.browser,
        )

    def get_status(self, path):
        """The HTTP status of an anonymous GET (no session, no token)."""
        try:
            with self.plain.open(self.url + path, timeout=TIMEOUT) as response:
                return response.status
        except urllib.error.HTTPError as err:
            return err.code


def check_login_page(odoo):
    status = odoo.get_status("/web/login")
    if status != 200:
        raise CheckError("HTTP %s, expected 200" % status)
    return "HTTP 200"


def check_rpc_login(odoo):
    odoo.uid = odoo.rpc(
        "/jsonrpc",
        {"service": "common", "method": "login", "args": [odoo.db, odoo.login, odoo.password]},
    )
    if not odoo.uid:
        raise CheckError("%s/%s refused on database %s" % (odoo.login, odoo.password, odoo.db))
    return "%s is user id %s on database %s" % (odoo.login, odoo.uid, odoo.db)


def check_addons(odoo):
    modules = odoo.execute(
        "ir.module.module", "search_read", [("name", "in", list(ADDONS))], ["name", "state"]
    )
    states = {module["name"]: module["state"] for module in modules}
    wrong = {name: states.get(name, "absent") for name in ADDONS if states.get(name) != "installed"}
    if wrong:
        raise CheckError("not installed: %s" % wrong)
    return ", ".join("%s installed" % name for name in ADDONS)


def check_demo_servers(odoo):
    domain = [("name", "in", list(DEMO_SERVERS))]
    servers = odoo.execute("mcp.server", "search_read", domain, ["name", "state", "tool_ids"])
    found = {server["name"]: server for server in servers}
    lines, problems = [], []
    for name in DEMO_SERVERS:
        server = found.get(name)
        if server is None:
            problems.append("%s: not registered" % name)
            continue
        tools = odoo.execute("mcp.tool", "read", server["tool_ids"], ["name"])
        names = sorted(tool["name"] for tool in tools)
        lines.append("%s [id %s] %s, %d tools (%s)" % (
            name, server["id"], server["state"], len(names), ", ".join(names)))
        if server["state"] != "ok" or DEMO_TOOL not in names:
            problems.append("%s: state %s, tools %s" % (name, server["state"], names))
    if problems:
        raise CheckError("; ".join(problems))
    # Both registrations offer the tool: `/tool <server id>:<tool>` picks one.
    odoo.demo_server_id = found[DEMO_SERVERS[0]]["id"]
    return "; ".join(lines)


def ask(odoo, message):
    result = odoo.execute("mcp.run", "ask", message)
    if result.get("status") != "done":
        raise CheckError("run %s is %s: %s" % (result.get("run_id"), result.get("status"),
                                                result.get("error") or result.get("answer")))
    return result


def check_ask_knowledge(odoo):
    result = ask(odoo, KNOWLEDGE_QUESTION)
    route, used = result.get("route") or {}, result.get("knowledge_used") or []
    if route.get("kind") != "knowledge" or not used:
        raise CheckError("routed to %s, knowledge used %s" % (route.get("kind"), used))
    return "%r -> run %s done, route knowledge, from %r: %s" % (
        KNOWLEDGE_QUESTION, result["run_id"], used[0]["title"], one_line(result["answer"]))


def check_ask_tool(odoo):
    message = '/tool %s:%s product="%s"' % (odoo.demo_server_id, DEMO_TOOL, TOOL_PRODUCT)
    result = ask(odoo, message)
    steps = [step for step in result.get("steps") or [] if step.get("name") == DEMO_TOOL]
    if not steps or steps[0].get("status") != "ok" or TOOL_SUPPLIER not in result.get("answer", ""):
        answer = one_line(result.get("answer"))
        raise CheckError("steps %s, answer %s" % (result.get("steps"), answer))
    return "%r -> run %s done, %s step %s: %s" % (
        message, result["run_id"], DEMO_TOOL, steps[0]["status"], one_line(result["answer"]))


def new_api_key(odoo):
    """An API key made as a user makes one in the preferences: the description
    wizard, then the password check Odoo asks for (res.users.identitycheck)."""
    odoo.rpc(
        "/web/session/authenticate",
        {"db": odoo.db, "login": odoo.login, "password": odoo.password},
        opener=odoo.browser,
    )
    wizard = odoo.call_kw("res.users.apikeys.description", "create", {"name": "docker smoke"})
    action = odoo.call_kw("res.users.apikeys.description", "make_key", [wizard])
    if action.get("res_model") == "res.users.identitycheck":
        check = action["res_id"]
        odoo.call_kw("res.users.identitycheck", "write", [check], {"password": odoo.password})
        action = odoo.call_kw("res.users.identitycheck", "run_check", [check])
    key = (action.get("context") or {}).get("default_key")
    if not key:
        raise CheckError("no key in %s" % action)
    return key


def check_mcp_tools_list(odoo):
    key = new_api_key(odoo)
    status, body = odoo.post(
        "/mcp",
        {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
        headers={
            "Authorization": "Bearer %s" % key,
            "Accept": "application/json, text/event-stream",
        },
    )
    tools = []
    if status == 200 and body.startswith("{"):
        tools = [tool["name"] for tool in json.loads(body).get("result", {}).get("tools", [])]
    if "odoo_search_read" not in tools:
        raise CheckError("HTTP %s: %s" % (status, body[:300]))
    return "HTTP 200 with a new API key, %d tools (%s)" % (len(tools), ", ".join(tools))


def check_metrics_off(odoo):
    status = odoo.get_status("/mcp_crew/metrics")
    if status != 404:
        raise CheckError("HTTP %s, expected 404 (no MCP_CREW_METRICS_TOKEN)" % status)
    return "HTTP 404 (no MCP_CREW_METRICS_TOKEN)"


def one_line(text, width=100):
    text = " ".join(str(text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


CHECKS = [
    ("/web/login", check_login_page),
    ("JSON-RPC login", check_rpc_login),
    ("addons", check_addons),
    ("demo servers", check_demo_servers),
    ("ask (knowledge)", check_ask_knowledge),
    ("ask (demo tool)", check_ask_tool),
    ("/mcp tools/list", check_mcp_tools_list),
    ("/mcp_crew/metrics", check_metrics_off),
]
# Checks that make no sense once these have failed.
NEEDS = {
    "addons": "JSON-RPC login",
    "demo servers": "JSON-RPC login",
    "ask (knowledge)": "JSON-RPC login",
    "ask (demo tool)": "demo servers",
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--db", default="mcp_crew")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    options = parser.parse_args(argv)
    odoo = Odoo(options.url, options.db, options.login, options.password)
    failed = []
    for name, check in CHECKS:
        if NEEDS.get(name) in failed:
            failed.append(name)
            print("FAIL %-18s skipped: %s failed" % (name, NEEDS[name]), flush=True)
            continue
        try:
            print("ok   %-18s %s" % (name, check(odoo)), flush=True)
        except (CheckError, OSError, ValueError, KeyError) as err:
            failed.append(name)
            print("FAIL %-18s %s" % (name, err), flush=True)
    return len(failed)


if __name__ == "__main__":
    sys.exit(main())
