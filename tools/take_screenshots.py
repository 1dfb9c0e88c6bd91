"""Screenshots of the chat and the dashboards for the README, from a real
headless Chromium driven over the DevTools protocol against a running Odoo.

    python tools/take_screenshots.py --url http://localhost:8069 --db mcp_crew \\
        --login admin --password admin --out docs/screenshots

Needs ``chromium`` and the ``websocket-client`` package. The database should
hold some runs (ask a few questions first) so the dashboards show something.
"""

import argparse
import base64
import json
import os
import subprocess
import tempfile
import time
import urllib.request

import websocket

# (file name, URL fragment after /web#, what to do before the shot)
PAGES = [
    ("dashboard-runs-graph.png", "action=mcp_crew.mcp_run_action_analysis&view_type=graph", None),
    ("dashboard-runs-pivot.png", "action=mcp_crew.mcp_run_action_analysis&view_type=pivot", None),
    ("dashboard-servers.png", "action=mcp_crew.mcp_server_action_dashboard", None),
    ("dashboard-cache.png", "action=mcp_crew.mcp_cache_stats_action_server", None),
    (
        "dashboard-knowledge.png",
        "action=mcp_crew.mcp_knowledge_action_analysis&view_type=graph",
        None,
    ),
    ("run-form.png", "action=mcp_crew.mcp_run_action", "open_first_row"),
]


class Chrome:
    def __init__(self, port=9333, size=(1366, 860)):
        self.profile = tempfile.mkdtemp(prefix="mcp-crew-shots-")
        self.process = subprocess.Popen(
            [
                "chromium",
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--remote-debugging-port=%d" % port,
                "--user-data-dir=%s" % self.profile,
                "--window-size=%d,%d" % size,
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port) as reply:
                    targets = json.load(reply)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        self.serial = 0
        self.send("Page.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=size[0],
            height=size[1],
            deviceScaleFactor=1,
            mobile=False,
        )

    def send(self, method, **params):
        self.serial += 1
        self.ws.send(json.dumps({"id": self.serial, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.serial:
                if "error" in message:
                    raise RuntimeError("%s: %s" % (method, message["error"]))
                return message.get("result", {})

    def js(self, expression):
        result = self.send(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if result.get("exceptionDetails"):
            raise RuntimeError("%s: %s" % (expression[:80], result["exceptionDetails"]))
        return result.get("result", {}).get("value")

    def goto(self, url, settle=2.5):
        self.send("Page.navigate", url=url)
        time.sleep(settle)

    def wait_for(self, selector, timeout=15):
        deadline = time.monotonic() + timeout
        while not self.js("!!document.querySelector(%s)" % json.dumps(selector)):
            if time.monotonic() > deadline:
                raise TimeoutError(selector)
            time.sleep(0.2)

    def shot(self, path):
        data = self.send("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(data))
        print("saved", path)

    def close(self):
        self.ws.close()
        self.process.terminate()


def type_and_send(chrome, message):
    chrome.js(
        "(() => { const box = document.querySelector('.o_mcp_crew_chat_input');"
        " box.value = %s; box.dispatchEvent(new Event('input', {bubbles: true}));"
        " box.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true})); })()"
        % json.dumps(message)
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", required=True)
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--partner", default="Deco Addict", help="record for the chatter shot")
    parser.add_argument("--out", default="docs/screenshots")
    options = parser.parse_args()
    os.makedirs(options.out, exist_ok=True)
    chrome = Chrome()
    try:
        chrome.goto("%s/web/login?db=%s" % (options.url, options.db))
        chrome.js(
            "(() => { document.querySelector('#login').value = %s;"
            " document.querySelector('#password').value = %s;"
            " document.querySelector('form.oe_login_form').submit(); })()"
            % (json.dumps(options.login), json.dumps(options.password))
        )
        time.sleep(4)
        chrome.wait_for(".o_mcp_crew_systray_toggle")
        chrome.js("document.querySelector('.o_mcp_crew_systray_toggle').click()")
        chrome.wait_for(".o_mcp_crew_chat_input")
        type_and_send(chrome, "Qual é o prazo de devolução dos produtos?")
        time.sleep(2)
        chrome.js(
            "document.querySelector('.o_mcp_crew_chat_run:last-child "
            ".o_mcp_crew_chat_toggle_steps')?.click()"
        )
        time.sleep(0.5)
        chrome.shot(os.path.join(options.out, "chat.png"))
        partner = chrome.js(
            "fetch('/web/dataset/call_kw/res.partner/search', {method: 'POST', headers: "
            "{'Content-Type': 'application/json'}, body: JSON.stringify({jsonrpc: '2.0', "
            "method: 'call', params: {model: 'res.partner', method: 'search', args: "
            "[[['name', '=', %s]]], kwargs: {limit: 1}}})}).then(r => r.json())"
            ".then(r => r.result[0])" % json.dumps(options.partner)
        )
        chrome.goto("%s/web#model=res.partner&id=%s&view_type=form" % (options.url, partner), 4)
        chrome.wait_for(".o_mcp_crew_ask_crew")
        chrome.js("document.querySelector('.o_mcp_crew_ask_crew').click()")
        chrome.wait_for(".o_mcp_crew_chat_input")
        type_and_send(chrome, "Quais ferramentas estão disponíveis?")
        time.sleep(2)
        chrome.shot(os.path.join(options.out, "chatter.png"))
        chrome.js("document.querySelector('.o_mcp_crew_chat .btn-close')?.click()")
        for name, fragment, action in PAGES:
            chrome.goto("%s/web#%s" % (options.url, fragment), 4)
            if action == "open_first_row":
                chrome.js("document.querySelector('.o_data_row .o_data_cell')?.click()")
                time.sleep(2)
            chrome.shot(os.path.join(options.out, name))
    finally:
        chrome.close()


if __name__ == "__main__":
    main()
