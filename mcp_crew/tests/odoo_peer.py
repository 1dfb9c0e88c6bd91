"""A second Odoo database, with mcp_crew installed, served by a second Odoo
HTTP server on loopback: the remote end of the tests that connect this
database to another one's ``/mcp``, as one company's Odoo connects another's.

It is made by the test that needs it, from the same Odoo and addons as the
test run (``odoo-bin -i mcp_crew --stop-after-init`` on a new database, then
``odoo-bin -d <it> --db-filter`` on a free port), and dropped with its filestore
afterwards. The server dies with the test process even when that one is killed
(``PR_SET_PDEATHSIG``); ``tools/odoo-test.sh`` also drops ``<test db>_peer``.
"""

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from urllib.parse import parse_qsl, urlsplit

import httpx
from psycopg2 import OperationalError, sql

import odoo
from odoo.service.db import _drop_conn
from odoo.tools import config

from .processes import free_port, wait_for_port
from .test_mcp_oauth import read_form

# Installing base, mail and mcp_crew takes ~30 s on an idle machine.
INSTALL_TIMEOUT = 900
PR_SET_PDEATHSIG = 1
ADMIN = ("admin", "admin")


def _die_with_parent():
    if sys.platform.startswith("linux"):  # elsewhere the class cleanup alone stops it
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _addons_path():
    """This run's addons path as odoo-bin's ``--addons-path`` accepts it: a config
    file may list a folder holding no module (the official nightly keeps every
    addon in ``odoo/addons``, so the Docker image's ``/opt/odoo/addons`` is empty),
    which the command-line option refuses."""
    paths = [path.strip() for path in config["addons_path"].split(",") if path.strip()]
    return ",".join(path for path in paths if os.path.isdir(path) and config._is_addons_path(path))


class PeerOdoo:
    """``PeerOdoo(name).start()``: database ``name`` served at ``self.url``."""

    def __init__(self, name):
        self.db = name
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log_path = tempfile.mkstemp(prefix="%s_" % name, suffix=".log")[1]
        self.process = None

    def _command(self, *args):
        """This Odoo (the test run's odoo package and options) with ``args``."""
        options = ["--addons-path=%s" % _addons_path(), "--data-dir=%s" % config["data_dir"]]
        if os.path.isfile(config.rcfile):
            options.insert(0, "--config=%s" % config.rcfile)
        for key in ("db_host", "db_port", "db_user"):
            if config[key]:
                options.append("--%s=%s" % (key, config[key]))
        return [sys.executable, "-c", "import odoo; odoo.cli.main()", *options, *args]

    def _env(self):
        env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(odoo.__file__)))
        if config["db_password"]:
            env["PGPASSWORD"] = config["db_password"]  # not on a command line
        return env

    def start(self):
        self.drop()  # a leftover of a killed run
        with open(self.log_path, "ab") as log:
            installed = subprocess.run(
                self._command(
                    "-d",
                    self.db,
                    "-i",
                    "mcp_crew",
                    "--without-demo=all",
                    "--no-http",
                    "--stop-after-init",
                    "--max-cron-threads=0",
                    "--log-level=warn",
                ),
                env=self._env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=INSTALL_TIMEOUT,
                check=False,
            )
        if installed.returncode:
            raise RuntimeError("installing mcp_crew on %s failed:\n%s" % (self.db, self.log()))
        self.process = subprocess.Popen(
            self._command(
                "-d",
                self.db,
                "--db-filter=^%s$" % self.db,
                "--http-interface=127.0.0.1",
                "--http-port=%d" % self.port,
                "--max-cron-threads=0",
                "--workers=0",
                "--logfile=%s" % self.log_path,
                "--log-level=info",
            ),
            env=self._env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        wait_for_port(self.port, timeout=120, process=self.process)
        # Its OAuth issuer and /mcp resource are named after web.base.url.
        self.execute("ir.config_parameter", "set_param", "web.base.url", self.url)
        return self

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as log:
            return log.read()

    def execute(self, model, method, *args, user=ADMIN, **kwargs):
        """``model.method(*args, **kwargs)`` in the peer database over JSON-RPC as
        ``user`` (login, password); the first call waits for its registry."""
        response = httpx.post(
            self.url + "/jsonrpc",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {
                    "service": "object",
                    "method": "execute_kw",
                    "args": [self.db, self.uid(user), user[1], model, method, args, kwargs],
                },
            },
            timeout=120,
        )
        answer = response.json()
        if "error" in answer:
            raise RuntimeError(answer["error"]["data"]["message"])
        return answer["result"]

    def uid(self, user):
        response = httpx.post(
            self.url + "/jsonrpc",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {"service": "common", "method": "login", "args": [self.db, *user]},
            },
            timeout=120,
        ).json()
        if not response.get("result"):
            raise RuntimeError("cannot log in to %s as %s: %s" % (self.db, user[0], response))
        return response["result"]

    def ref(self, xmlid):
        module, name = xmlid.split(".")
        (data,) = self.execute(
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            fields=["res_id"],
        )
        return data["res_id"]

    def consent(self, authorization_url, user, write=True):
        """``user`` (login, password) signs in to the peer with a browser, opens
        ``authorization_url`` and allows: the query of the redirect back."""
        with httpx.Client(base_url=self.url, timeout=60) as browser:
            credentials = {"db": self.db, "login": user[0], "password": user[1]}
            signed_in = browser.post(
                "/web/session/authenticate", json={"jsonrpc": "2.0", "params": credentials}
            ).json()
            if not signed_in.get("result", {}).get("uid"):
                raise RuntimeError("cannot sign in to %s as %s" % (self.db, user[0]))
            page = browser.get(authorization_url)
            fields, text = read_form(page.text)
            if page.status_code != 200 or "csrf_token" not in fields:
                raise RuntimeError("no consent page at %s: %s" % (page.url, text[:500]))
            decision = dict(fields, decision="allow", **({"write": "1"} if write else {}))
            answer = browser.post("/mcp/oauth/authorize", data=decision)
        if answer.status_code not in (302, 303):
            raise RuntimeError("the consent was not accepted: %s" % answer.text[:500])
        location = answer.headers["location"]
        return location, dict(parse_qsl(urlsplit(location).query))

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)
        self.drop()
        os.unlink(self.log_path)

    def drop(self):
        """Drop the database and its filestore (Odoo's own database manager may
        be switched off by ``list_db``)."""
        odoo.sql_db.close_db(self.db)
        drop = sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(self.db))
        with odoo.sql_db.db_connect("postgres").cursor() as cr:
            cr._cnx.autocommit = True
            for _attempt in range(20):
                _drop_conn(cr, self.db)
                try:
                    cr.execute(drop)
                    break
                except OperationalError:
                    time.sleep(0.5)  # its server's last connection is still closing
        shutil.rmtree(config.filestore(self.db), ignore_errors=True)
