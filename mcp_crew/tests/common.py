"""Test helpers: real MCP servers (the SDK-built ``catalog_server.py``), a private
Redis behind the process engine, and users."""

import asyncio
import contextlib
import dataclasses
import sys

import httpx
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from odoo.tests.common import TransactionCase, new_test_user

from .. import runtime
from ..runtime import get_engine
from ..services.engine import McpEngine
from ..services.settings import EngineSettings
from .processes import CATALOG_SERVER, PrivateRedis, start_catalog_server


def run_mcp_session(url, api_key, work, timeout=60):
    """``await work(session)`` in an MCP SDK session (streamable HTTP) opened on
    ``url`` with ``api_key`` as bearer token; shared by the glue modules' tests."""

    async def main():
        headers = {"Authorization": "Bearer %s" % api_key}
        async with httpx.AsyncClient(headers=headers, timeout=30) as client:
            async with streamable_http_client(url, http_client=client) as streams:
                async with ClientSession(streams[0], streams[1]) as session:
                    await session.initialize()
                    return await work(session)

    return asyncio.run(asyncio.wait_for(main(), timeout))


def call_mcp_tool(url, api_key, name, arguments):
    async def work(session):
        return await session.call_tool(name, arguments)

    return run_mcp_session(url, api_key, work)


def setup_two_companies(cls, logins, partner_names, company_b="MCP Company B"):
    """On a test class: company A (the current one) and a new company B, each
    with an MCP user (partner manager; password = login) and a partner only
    that company sees — ``company_a/b``, ``user_a/b``, ``partner_a/b``."""
    cls.company_a = cls.env.company
    cls.company_b = cls.env["res.company"].create({"name": company_b})
    companies = (cls.company_a, cls.company_b)
    cls.user_a, cls.user_b = (
        new_test_user(
            cls.env,
            login=login,
            password=login,
            groups="base.group_partner_manager,mcp_crew.group_mcp_crew_user",
            company_id=company.id,
            company_ids=[(6, 0, company.ids)],
        )
        for login, company in zip(logins, companies, strict=True)
    )
    cls.partner_a, cls.partner_b = (
        cls.env["res.partner"].create({"name": name, "company_id": company.id})
        for name, company in zip(partner_names, companies, strict=True)
    )


async def tools_and_partners(session, domain, fields=("name",)):
    """``(tools/list, odoo_search_read of res.partner)`` in one SDK session."""
    tools = await session.list_tools()
    found = await session.call_tool(
        "odoo_search_read", {"model": "res.partner", "domain": domain, "fields": list(fields)}
    )
    return tools, found


def mcp_api_key(user, name, writes="allow"):
    """A new API key of ``user`` and what it lets tools that change data do on
    /mcp (``writes``: allow, confirm or read), as if chosen when creating it."""
    keys = user.env["res.users.apikeys"].with_user(user)
    return keys.with_context(mcp_writes=writes)._generate(None, name)


def assert_writes_need_confirmation(case, url, key, calls):
    """Each tool of ``calls`` (name → arguments) is refused for ``key``, left on
    'confirm each change', with the MCP SDK 1.x client: it cannot confirm."""
    for name, arguments in calls.items():
        with case.subTest(tool=name):
            refused = call_mcp_tool(url, key, name, arguments)
            case.assertTrue(refused.isError)
            case.assertIn(
                "%s changes data and needs your confirmation" % name, refused.content[0].text
            )


# The test MCP servers listen on loopback, which the network policy refuses
# unless [mcp_crew] allowed_hosts allows it.
LOOPBACK = "127.0.0.1"


@contextlib.contextmanager
def engine_settings(**values):
    """The process engine with some settings replaced (``allowed_hosts``,
    ``stdio_commands``…), as odoo.conf's ``[mcp_crew]`` would set them."""
    engine = get_engine()
    previous = engine.settings
    engine.settings = dataclasses.replace(previous, **values)
    try:
        yield engine
    finally:
        engine.settings = previous


def allow_this_odoo(case):
    """For the rest of an HttpCase test: ``web.base.url`` is the test server and
    its loopback ``host:port`` may be reached (for "Register this Odoo")."""
    case.env["ir.config_parameter"].set_param("web.base.url", case.base_url())
    port = case.base_url().rsplit(":", 1)[1]
    allowed = engine_settings(allowed_hosts="%s:%s" % (LOOPBACK, port))
    allowed.__enter__()
    case.addCleanup(allowed.__exit__, None, None, None)


@contextlib.contextmanager
def private_redis_engine(**settings_values):
    """The process engine on a Redis this test may stop; yields the PrivateRedis.

    Short retry interval, so a restarted Redis is used again within 0.2 s.
    """
    redis_server = PrivateRedis().start()
    settings = EngineSettings(
        redis_url=redis_server.url, redis_retry_interval=0.2, **settings_values
    )
    engine = McpEngine(settings)
    previous, runtime._engine = runtime._engine, engine
    try:
        yield redis_server
    finally:
        runtime._engine = previous
        engine.close()
        redis_server.stop()


def run_queued_runs(model, limit=5):
    """Run the queued runs for real, as the runs cron does (``model`` is an
    ``mcp.run`` recordset of the caller's environment; returns how many ran).

    The cron gives each run a transaction of its own; in Odoo's registry test
    mode (which HttpCase is in already) that is a savepoint of the test's, so
    the test sees what the runs committed and nothing outlives the test.
    """
    env = model.env
    registry = env.registry
    entering = not registry.in_test_mode()
    env.flush_all()  # the cron's cursor reads the database, not this cache
    if entering:
        registry.enter_test_mode(env.cr)
    try:
        return model._cron_process_runs(limit)
    finally:
        if entering:
            registry.leave_test_mode()
        env.invalidate_all()  # and this cache must not hide what it wrote


def stdio_server_values(name="catalog", *options, **values):
    """``mcp.server`` values of the catalog server over stdio; HttpCase tests,
    which cannot inherit :class:`McpCrewCase`, create theirs with these too."""
    vals = {
        "name": name,
        "transport": "stdio",
        "command": sys.executable,
        "args_text": "\n".join([CATALOG_SERVER, "stdio", *options]),
        "kind": "database",
        "timeout": 15,
    }
    vals.update(values)
    return vals


class McpCrewCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.engine = get_engine()
        cls.company_a = cls.env.company
        cls.manager = new_test_user(
            cls.env,
            login="mcp_manager",
            groups="mcp_crew.group_mcp_crew_manager",
            company_id=cls.company_a.id,
        )

    @classmethod
    def create_stdio_server(cls, name="catalog", *options, company=None, **values):
        if company:
            values["company_id"] = company.id
        return cls.env["mcp.server"].create(stdio_server_values(name, *options, **values))

    def redis_key_exists(self, server):
        return bool(self.engine.l2.client.exists(server._engine_spec().catalog_key()))

    def start_http_server(self, *options):
        """Start the catalog server over streamable HTTP; returns (url, process).

        Loopback is allowed for the rest of the test."""
        url, server = start_catalog_server(*options)
        self.addCleanup(server.kill)
        self.enter_context(engine_settings(allowed_hosts=LOOPBACK))
        return url, server.process

    def enter_context(self, manager):
        """``unittest``'s ``enterContext`` (Python 3.11) for Python 3.10."""
        result = manager.__enter__()
        self.addCleanup(manager.__exit__, None, None, None)
        return result

    # Also usable by HttpCase tests, which cannot inherit this class.
    private_redis_engine = staticmethod(private_redis_engine)
