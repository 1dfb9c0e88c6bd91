# Helpers here (fake_openai, processes, catalog_server) are shared with the
# plain-pytest engine tests, which import this package without Odoo.
try:
    import odoo  # noqa: F401  pylint: disable=unused-import
except ModuleNotFoundError as err:
    if err.name != "odoo":
        raise
else:
    from . import (
        test_ask_http,
        test_chat_ui,
        test_crew_runs,
        test_crews,
        test_dashboards,
        test_host_security,
        test_hot_paths,
        test_knowledge,
        test_knowledge_multi_company,
        test_mcp_endpoint,
        test_mcp_oauth,
        test_mcp_server,
        test_mcp_server_oauth,
        test_mcp_writes,
        test_metrics_endpoint,
        test_multi_company,
        test_register_odoo,
        test_run_insert,
        test_run_multi_company,
        test_run_sentences,
        test_runs,
        test_secret_logs,
        test_security_roles,
        test_settings_page,
        test_shipped_records,
        test_translations,
    )
