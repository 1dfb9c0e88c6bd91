"""Issue 16's probes of the host, the secrets and the network, replayed as the
real roles over ``/jsonrpc`` ``execute_kw`` (API keys) and ``/mcp``.

Each test is the probe that succeeded before the fix; the comment on it says
what it did then.
"""

import collections
import json
import os
import shutil
import stat
import sys
import tempfile

from odoo.tests import HttpCase, tagged
from odoo.tests.common import new_test_user

from odoo.addons.mcp_crew.models.mcp_run_states import RunState

from .common import (
    LOOPBACK,
    allow_this_odoo,
    call_mcp_tool,
    engine_settings,
    stdio_server_values,
)
from .processes import CATALOG_SERVER, Listener, start_catalog_server

Outcome = collections.namedtuple("Outcome", "ok result error text")
HEADER_SECRET = "Bearer S3cr3t-header-4f1e9a7c"
ENV_SECRET = "env-s3cr3t-0b7d2e91"


@tagged("post_install", "-at_install", "mcp_crew")
class TestHostAndSecrets(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.manager = new_test_user(
            env, login="h16_manager", groups="mcp_crew.group_mcp_crew_manager"
        )
        cls.manager2 = new_test_user(
            env, login="h16_manager2", groups="mcp_crew.group_mcp_crew_manager"
        )
        cls.sysadmin = new_test_user(
            env,
            login="h16_sysadmin",
            groups="base.group_system,mcp_crew.group_mcp_crew_manager",
        )
        cls.keys = {
            user: env["res.users.apikeys"].with_user(user)._generate(None, "issue 16")
            for user in (cls.manager, cls.manager2, cls.sysadmin)
        }
        cls.tmp = tempfile.mkdtemp(prefix="mcp_crew_h16_")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.marker = os.path.join(cls.tmp, "marker")
        cls.admin_stdio = env["mcp.server"].create(
            stdio_server_values(
                "h16 admin stdio",
                param_ids=[
                    (
                        0,
                        0,
                        {
                            "param_type": "env",
                            "name": "API_TOKEN",
                            "is_secret": True,
                            "secret_value": ENV_SECRET,
                        },
                    )
                ],
            )
        )

    # -- helpers ----------------------------------------------------------------

    def rpc(self, user, model, method, args, kwargs=None):
        """``execute_kw`` over ``/jsonrpc`` with ``user``'s API key."""
        params = {
            "service": "object",
            "method": "execute_kw",
            "args": [
                self.env.cr.dbname,
                user.id,
                self.keys[user],
                model,
                method,
                args,
                kwargs or {},
            ],
        }
        response = self.url_open(
            "/jsonrpc",
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}),
            headers={"Content-Type": "application/json"},
            timeout=120,
        )
        body = response.json()
        if "error" in body:
            data = body["error"]["data"]
            return Outcome(False, None, data["name"].rsplit(".", 1)[-1], response.text)
        return Outcome(True, body["result"], None, response.text)

    def assertRefused(self, outcome, error="AccessError"):
        self.assertFalse(outcome.ok, "the call succeeded: %s" % (outcome.result,))
        self.assertEqual(outcome.error, error, outcome.text[:500])

    def http_server_with_secret(self, url, name="h16 http"):
        return self.env["mcp.server"].create(
            {
                "name": name,
                "transport": "streamable_http",
                "url": url,
                "timeout": 10,
                "param_ids": [
                    (
                        0,
                        0,
                        {
                            "param_type": "header",
                            "name": "Authorization",
                            "is_secret": True,
                            "secret_value": HEADER_SECRET,
                        },
                    )
                ],
            }
        )

    def listener(self, **kwargs):
        listener = Listener(**kwargs)
        self.addCleanup(listener.close)
        return listener

    def allow_loopback(self):
        allowed = engine_settings(allowed_hosts=LOOPBACK)
        allowed.__enter__()
        self.addCleanup(allowed.__exit__, None, None, None)

    # -- host code execution ----------------------------------------------------

    def test_a_manager_cannot_run_a_command_on_the_host(self):
        """Before: the create succeeded and test connection wrote the marker."""
        shell = {
            "name": "probe",
            "transport": "stdio",
            "command": "/bin/sh",
            "args_text": "-c\nid > %s" % self.marker,
        }
        created = self.rpc(self.manager, "mcp.server", "create", [shell])
        if created.ok:
            self.rpc(self.manager, "mcp.server", "action_test_connection", [[created.result]])
        edits = [
            {"command": "/bin/sh", "args_text": "-c\nid > %s" % self.marker},
            {"args_text": "-c\nid > %s" % self.marker},
            {"transport": "streamable_http"},
        ]
        written = [
            self.rpc(self.manager, "mcp.server", "write", [[self.admin_stdio.id], vals])
            for vals in edits
        ]
        self.rpc(self.manager, "mcp.server", "action_discover", [[self.admin_stdio.id]])
        self.env["mcp.server"]._cron_refresh_discovery()
        self.assertFalse(os.path.exists(self.marker), "the manager's command ran on the host")
        self.assertRefused(created)
        for outcome in written:
            self.assertRefused(outcome)
        # "Test connection" starts the process and sends the secrets: not for users.
        user = new_test_user(self.env, login="h16_user", groups="mcp_crew.group_mcp_crew_user")
        self.keys[user] = self.env["res.users.apikeys"].with_user(user)._generate(None, "u")
        self.assertRefused(
            self.rpc(user, "mcp.server", "action_test_connection", [[self.admin_stdio.id]])
        )

    def test_loader_environment_names_are_refused_for_everyone(self):
        """Before: a PYTHONPATH (or LD_PRELOAD) parameter pointing at a file the
        manager placed made the administrator's server run the manager's code."""
        payload = os.path.join(self.tmp, "payload")
        os.makedirs(payload)
        with open(os.path.join(payload, "sitecustomize.py"), "w") as handle:
            handle.write("open(%r, 'w').write('owned')\n" % self.marker)
        outcomes = []
        for user in (self.manager, self.sysadmin):
            for name, value in (
                ("PYTHONPATH", payload),
                ("LD_PRELOAD", os.path.join(payload, "sitecustomize.py")),
                ("NODE_OPTIONS", "--require %s" % payload),
            ):
                vals = {
                    "server_id": self.admin_stdio.id,
                    "param_type": "env",
                    "name": name,
                    "value": value,
                }
                outcomes.append((user, self.rpc(user, "mcp.server.param", "create", [vals])))
        self.rpc(self.sysadmin, "mcp.server", "action_discover", [[self.admin_stdio.id]])
        self.assertFalse(os.path.exists(self.marker), "the planted module ran")
        for user, outcome in outcomes:
            # Managers may not add parameters at all; administrators not these names.
            self.assertRefused(
                outcome, "AccessError" if user == self.manager else "ValidationError"
            )

    def test_managers_run_only_allow_listed_commands(self):
        bindir = os.path.join(self.tmp, "bin")
        os.makedirs(bindir)
        wrapper = os.path.join(bindir, "catalog-mcp")
        with open(wrapper, "w") as handle:
            handle.write('#!/bin/sh\nexec "%s" "%s" "$@"\n' % (sys.executable, CATALOG_SERVER))
        os.chmod(wrapper, os.stat(wrapper).st_mode | stat.S_IXUSR)
        vals = {"name": "allowed", "transport": "stdio", "command": wrapper, "args_text": "stdio"}
        with engine_settings(stdio_commands="npx, %s/*" % bindir):
            created = self.rpc(self.manager, "mcp.server", "create", [vals])
            self.assertTrue(created.ok, created.text[:500])
            discovered = self.rpc(self.manager, "mcp.server", "action_discover", [[created.result]])
            self.assertEqual(discovered.result["params"]["type"], "success", discovered.text)
            for edit in (
                {"args_text": "-c\nimport os"},
                {"args_text": "stdio\n/etc/passwd"},
                {"args_text": "--eval=1"},
                {"command": "/bin/sh"},
                {"command": "%s/../../bin/sh" % bindir},
            ):
                self.assertRefused(
                    self.rpc(self.manager, "mcp.server", "write", [[created.result], edit])
                )
            self.assertRefused(
                self.rpc(self.manager, "mcp.server", "create", [dict(vals, command="/bin/sh")])
            )
        # The allow-list shrank: the manager's server no longer starts.
        server = self.env["mcp.server"].browse(created.result)
        self.env["mcp.server"]._cron_refresh_discovery()
        notice = self.rpc(self.manager, "mcp.server", "action_discover", [[server.id]])
        self.assertEqual(notice.result["params"]["type"], "danger")
        self.assertIn("administrator must confirm", notice.result["params"]["message"])

    # -- secrets ----------------------------------------------------------------

    def test_managers_reach_no_secret_value_through_the_orm(self):
        """Before: read_group returned the values; search_count and order leaked
        them letter by letter."""
        server = self.http_server_with_secret("https://mcp.example.com/mcp")
        param = server.param_ids
        # Sorting on a field that is not a column is ignored: no order, no leak.
        ordered = self.rpc(
            self.manager, "mcp.server.param", "search", [[]], {"order": "secret_value, id"}
        )
        self.assertEqual(ordered.result, sorted(ordered.result))
        probes = [
            ("mcp.server.param", "read_group", [[], ["name"], ["secret_value"]], {"lazy": False}),
            ("mcp.server.param", "search_count", [[("secret_value", "=like", "Bearer S%")]], {}),
            ("mcp.server.param", "search_read", [[("id", "=", param.id)], ["secret_value"]], {}),
            ("mcp.server.param", "read", [param.ids, ["secret_value"]], {}),
            ("mcp.server.param", "export_data", [param.ids, ["secret_value"]], {}),
            ("mcp.server.secret", "search_read", [[]], {}),
            ("mcp.server.secret", "read_group", [[], ["value"], ["value"]], {}),
            ("mcp.server.secret", "search_count", [[("value", "=like", "Bearer S%")]], {}),
        ]
        for model, method, args, kwargs in probes:
            with self.subTest(model=model, method=method):
                outcome = self.rpc(self.manager, model, method, args, kwargs)
                self.assertNotIn(HEADER_SECRET.split()[1], outcome.text)
                self.assertNotIn("S3cr3t", outcome.text)
                self.assertFalse(outcome.ok, outcome.text[:300])
        # The administrator still manages it.
        shown = self.rpc(self.sysadmin, "mcp.server.param", "read", [param.ids, ["secret_value"]])
        self.assertEqual(shown.result[0]["secret_value"], HEADER_SECRET)

    def test_managers_reach_no_secret_value_through_mcp(self):
        """Before: odoo_read_group on mcp.server.param grouped by secret_value
        returned the values."""
        server = self.http_server_with_secret("https://mcp.example.com/mcp")
        url = self.base_url() + "/mcp"
        probes = [
            ("odoo_read_group", {"model": "mcp.server.param", "groupby": ["secret_value"]}),
            (
                "odoo_search_read",
                {
                    "model": "mcp.server.param",
                    "domain": [["secret_value", "like", "S3cr3t"]],
                    "fields": ["name"],
                },
            ),
            (
                "odoo_search_read",
                {"model": "mcp.server.param", "fields": ["secret_value"], "order": "secret_value"},
            ),
            ("odoo_search_read", {"model": "mcp.server.secret"}),
            (
                "odoo_count",
                {"model": "mcp.server.param", "domain": [["secret_value", "!=", False]]},
            ),
        ]
        for name, arguments in probes:
            with self.subTest(tool=name, arguments=arguments):
                result = call_mcp_tool(url, self.keys[self.manager], name, arguments)
                dumped = json.dumps(result.model_dump(mode="json"))
                self.assertNotIn("S3cr3t", dumped)
                self.assertTrue(result.isError, dumped[:300])
        self.assertTrue(server.param_ids)

    def test_a_secret_parameter_never_moves(self):
        """Before: writing server_id or param_type moved the secret to a server
        the manager pointed at a listener."""
        self.allow_loopback()
        listener = self.listener()
        source = self.http_server_with_secret("https://mcp.example.com/mcp")
        target = self.rpc(
            self.manager,
            "mcp.server",
            "create",
            [{"name": "h16 target", "transport": "streamable_http", "url": listener.url}],
        )
        self.assertTrue(target.ok, target.text[:300])
        param = source.param_ids
        for user in (self.manager, self.sysadmin):
            for vals in ({"server_id": target.result}, {"param_type": "env"}):
                outcome = self.rpc(user, "mcp.server.param", "write", [param.ids, vals])
                self.rpc(user, "mcp.server", "action_discover", [[target.result]])
                self.assertRefused(outcome, "AccessError" if user == self.manager else "UserError")
        self.assertFalse(listener.received("S3cr3t"))
        self.assertEqual(param.server_id, source)

    def test_credentials_never_reach_a_changed_destination(self):
        """Before: a manager pointed the server's URL at a loopback listener and
        the next discovery delivered ``Authorization: Bearer …`` to it."""
        self.allow_loopback()
        url, catalog = start_catalog_server()
        self.addCleanup(catalog.kill)
        server = self.http_server_with_secret(url)
        ok = self.rpc(self.manager, "mcp.server", "action_discover", [[server.id]])
        self.assertEqual(ok.result["params"]["type"], "success", ok.text[:300])
        listener = self.listener()
        moved = self.rpc(self.manager, "mcp.server", "write", [[server.id], {"url": listener.url}])
        self.rpc(self.manager, "mcp.server", "action_discover", [[server.id]])
        self.assertFalse(listener.received("S3cr3t"), "the manager's listener got the secret")
        self.assertRefused(moved)
        # The path may change, the host not.
        same_host = self.rpc(self.manager, "mcp.server", "write", [[server.id], {"url": url + "/"}])
        self.assertTrue(same_host.ok, same_host.text[:300])
        # An HTTP redirect to another origin carries no credentials either.
        redirector = self.listener(reply=(307, {"Location": listener.url}, b""))
        server.sudo().url = redirector.url  # an administrator's edit: the secret is dropped
        self.assertFalse(server.sudo().param_ids.secret_value)
        self.rpc(
            self.sysadmin,
            "mcp.server.param",
            "write",
            [server.param_ids.ids, {"secret_value": HEADER_SECRET}],
        )
        self.rpc(self.sysadmin, "mcp.server", "action_discover", [[server.id]])
        self.assertTrue(redirector.received("S3cr3t"), "the configured server got its secret")
        self.assertFalse(listener.received("S3cr3t"))
        # An administrator moving the server must enter the secret again.
        self.rpc(self.sysadmin, "mcp.server", "write", [[server.id], {"url": listener.url}])
        failed = self.rpc(self.sysadmin, "mcp.server", "action_discover", [[server.id]])
        self.assertIn("has no value", failed.text)
        self.assertFalse(listener.received("S3cr3t"))

    def test_a_stdio_command_cannot_dump_the_secret_environment(self):
        """Before: pointing the command at printenv put the secret value in the
        server's last error and the notification."""
        dump = {"command": "/usr/bin/printenv", "args_text": "API_TOKEN"}
        edited = self.rpc(self.manager, "mcp.server", "write", [[self.admin_stdio.id], dump])
        notice = self.rpc(self.manager, "mcp.server", "action_discover", [[self.admin_stdio.id]])
        self.admin_stdio.invalidate_recordset()
        self.assertNotIn(ENV_SECRET, notice.text)
        self.assertNotIn(ENV_SECRET, self.admin_stdio.last_error or "")
        self.assertRefused(edited)
        # An administrator's new command does not inherit the old secrets.
        self.rpc(self.sysadmin, "mcp.server", "write", [[self.admin_stdio.id], dump])
        self.assertFalse(self.admin_stdio.sudo().param_ids.secret_value)
        notice = self.rpc(self.sysadmin, "mcp.server", "action_discover", [[self.admin_stdio.id]])
        self.assertNotIn(ENV_SECRET, notice.text)
        self.assertIn("has no value", notice.text)

    def test_the_registration_wizard_keeps_no_api_key(self):
        """Before: another manager read the key with search_read(['api_key'])."""
        allow_this_odoo(self)
        key = self.keys[self.manager]
        wizard = self.rpc(self.manager, "mcp.register.odoo", "create", [{"api_key": key}])
        self.assertTrue(wizard.ok, wizard.text[:500])
        # In-process: over /jsonrpc the discovery's own call to /mcp would wait
        # for the test cursor the calling request holds.
        wizards = self.env["mcp.register.odoo"].with_user(self.manager)
        action = wizards.browse(wizard.result).action_register()
        for user in (self.manager2, self.manager):
            seen = self.rpc(user, "mcp.register.odoo", "search_read", [[], ["api_key"]])
            self.assertNotIn(key, seen.text)
        self.env.cr.execute(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name = 'mcp_register_odoo' AND column_name = 'api_key'"
        )
        self.assertFalse(self.env.cr.fetchall(), "the key has no column")
        server = self.env["mcp.server"].browse(action["params"]["next"]["res_id"])
        self.assertEqual(server.sudo().param_ids.secret_value, "Bearer %s" % key)
        self.assertEqual(server.state, "ok")

    # -- the network ------------------------------------------------------------

    def test_probing_internal_ports_tells_nothing(self):
        """Before: the notifications named what answered (RemoteProtocolError for
        PostgreSQL, ReadError for Redis…)."""
        messages = []
        for port in (5432, 6379):
            created = self.rpc(
                self.manager,
                "mcp.server",
                "create",
                [
                    {
                        "name": "h16 probe %s" % port,
                        "transport": "streamable_http",
                        "url": "http://127.0.0.1:%s/" % port,
                        "timeout": 5,
                    }
                ],
            )
            self.assertTrue(created.ok, created.text[:300])
            label = "h16 probe %s (#%s)" % (port, created.result)
            for method in ("action_test_connection", "action_discover"):
                notice = self.rpc(self.manager, "mcp.server", method, [[created.result]])
                message = notice.result["params"]["message"]
                messages.append(message.replace(label, "LABEL"))
                self.assertNotIn("Error", message)
                self.assertIn("is not allowed", message)
        self.assertEqual(len(set(messages)), 1, messages)  # whatever listens on the port
        # Even where an administrator allowed the host, failures stay generic.
        self.allow_loopback()
        for port in (5432, 6379):
            server = self.env["mcp.server"].search([("name", "=", "h16 probe %s" % port)])
            self.env["mcp.server"].browse(server.id).action_clear_cache()
            notice = self.rpc(self.manager, "mcp.server", "action_test_connection", [[server.id]])
            message = notice.result["params"]["message"]
            self.assertNotIn("Error", message)
            self.assertNotIn("HTTP", message)

    def test_secrets_echoed_by_peers_are_stored_redacted(self):
        """Before: a secret echoed in a peer's error was stored in last_error and
        shown in the notification; echoed in a tool result, in the run's answer
        and step summary."""
        self.allow_loopback()

        def echo_authorization(headers):
            body = {
                "jsonrpc": "2.0",
                "id": 0,
                "error": {"code": -32001, "message": "bad %s" % headers.get("Authorization")},
            }
            return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

        peer = self.listener(reply=echo_authorization)
        server = self.http_server_with_secret(peer.url, name="h16 echo")
        notice = self.rpc(self.manager, "mcp.server", "action_discover", [[server.id]])
        self.assertTrue(peer.received("S3cr3t"))
        self.assertNotIn("S3cr3t", notice.text)
        self.assertIn("***", notice.result["params"]["message"])
        self.assertNotIn("S3cr3t", server.last_error)
        # A tool result echoing the environment secret, through ask.
        self.admin_stdio.action_discover()
        reply = self.rpc(
            self.manager,
            "mcp.run",
            "ask",
            ['/tool %s:echo {"text": "token %s"}' % (self.admin_stdio.id, ENV_SECRET)],
        )
        self.assertTrue(reply.ok, reply.text[:500])
        run = self.env["mcp.run"].browse(reply.result["run_id"])
        self.assertEqual(run.state, RunState.DONE, run.error)
        self.assertIn("token ***", run.answer)
        # (The request itself is the requester's own text, kept as typed.)
        shown = [reply.result["answer"], *(step["result"] for step in reply.result["steps"])]
        stored = [run.answer, *run.step_ids.mapped("result_summary")]
        for text in shown + stored:
            self.assertNotIn(ENV_SECRET, text)
