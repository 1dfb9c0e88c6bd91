"""What the Odoo benchmarks share: Odoo set-up from odoo-bin options, a
database with mcp_crew installed, and the figures they print."""

import os
import statistics
import subprocess
import sys
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The test helpers are plain modules (no Odoo): the benches share them.
sys.path.insert(0, os.path.join(ROOT, "mcp_crew", "tests"))
from processes import free_port  # noqa: E402  pylint: disable=wrong-import-position


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def report(label, samples, baseline=None):
    median = statistics.median(samples)
    line = "%-46s median %7.2f ms  p95 %7.2f ms" % (
        label,
        median * 1e3,
        percentile(samples, 0.95) * 1e3,
    )
    if baseline is not None:
        line += "  ratio %.2fx (p95 %.2fx)" % (
            median / statistics.median(baseline),
            percentile(samples, 0.95) / percentile(baseline, 0.95),
        )
    print(line, flush=True)


def setup_odoo(odoo_args):
    """Odoo from ODOO_ROOT (a source tree) or the environment, configured by odoo-bin options."""
    if os.environ.get("ODOO_ROOT"):
        sys.path.insert(0, os.environ["ODOO_ROOT"])
    import odoo  # noqa: PLC0415 - only importable under Odoo's Python

    odoo.tools.config.parse_config(odoo_args)
    paths = odoo.tools.config["addons_path"].split(",")
    if ROOT not in paths:
        odoo.tools.config["addons_path"] = ",".join(paths + [ROOT])
    odoo.modules.module.initialize_sys_path()
    return odoo


def ensure_database(odoo, db):
    """``db`` with mcp_crew installed, or upgraded to this checkout's code."""
    with odoo.sql_db.db_connect("postgres").cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db,))
        exists = bool(cr.fetchone())
    if exists:
        # A database kept from an earlier run must follow the code's schema.
        odoo.tools.config["update"] = {"mcp_crew": 1}
    else:
        print("creating database %s with mcp_crew (a minute)..." % db, flush=True)
        odoo.service.db._create_empty_database(db)
        odoo.tools.config["init"] = {"mcp_crew": 1}
        odoo.tools.config["without_demo"] = "all"
    registry = odoo.modules.registry.Registry.new(db, update_module=True)
    odoo.tools.config["init"] = {}
    odoo.tools.config["update"] = {}
    return registry


def vacuum_analyze(cr, *tables):
    """Planner statistics for newly loaded rows; ``cr`` must hold no uncommitted work."""
    cr._cnx.autocommit = True  # VACUUM cannot run in a transaction
    for table in tables:
        cr.execute("VACUUM ANALYZE %s" % table)
    cr._cnx.autocommit = False


def start_odoo(odoo_args, db, port, workers=2):
    """``odoo-bin`` (``ODOO_BIN``) serving ``db`` with ``workers``; waits until it answers."""
    odoo_bin = os.environ.get("ODOO_BIN", "odoo-bin")
    command = [
        odoo_bin,
        *odoo_args,
        # One database and no --db-filter: Odoo then takes the database from
        # -d instead of listing PostgreSQL's databases (a new connection) on
        # every request that carries no session cookie.
        "-d",
        db,
        "--workers",
        str(workers),
        "--max-cron-threads",
        "1",
        "--http-port",
        str(port),
        "--gevent-port",
        str(free_port()),
        "--log-level",
        "warn",
        "--limit-time-real",
        "600",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get("http://127.0.0.1:%d/web/login" % port, timeout=2).ok:
                return process
        except requests.RequestException:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("odoo did not start: %s" % process.stderr.read().decode()[-2000:])


def start_bench(argv, db, prepare):
    """Odoo set-up from ``argv`` (odoo-bin options), the database ``db`` with
    ``prepare(odoo, registry)``'s data, and ``odoo-bin --workers 2`` serving it.

    Returns ``(odoo, registry, prepared, server process, port)``.
    """
    odoo = setup_odoo(argv)
    registry = ensure_database(odoo, db)
    prepared = prepare(odoo, registry)
    port = free_port()
    server = start_odoo(argv + ["--addons-path", odoo.tools.config["addons_path"]], db, port)
    return odoo, registry, prepared, server, port
