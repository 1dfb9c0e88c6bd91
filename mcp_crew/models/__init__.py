# The mixins mcp.knowledge, mcp.run and the crews (mcp_shipped) are made of:
# registered before them.
from . import mcp_knowledge_expiry, mcp_knowledge_search, mcp_knowledge_store  # isort: skip
from . import mcp_run_answers, mcp_run_crew, mcp_run_gate, mcp_run_llm  # isort: skip
from . import mcp_run_routing  # isort: skip
from . import mcp_shipped  # isort: skip
from . import (
    mcp_cache_stats,
    mcp_cached_state,
    mcp_catalog_mixin,
    mcp_company_guard,
    mcp_crew,
    mcp_endpoint,
    mcp_endpoint_confirmation,
    mcp_knowledge,
    mcp_knowledge_event,
    mcp_knowledge_tag,
    mcp_knowledge_version,
    mcp_knowledge_word,
    mcp_oauth,
    mcp_prompt,
    mcp_resource,
    mcp_run,
    mcp_run_execute,
    mcp_run_step,
    mcp_server,
    mcp_server_oauth,
    mcp_server_param,
    mcp_server_secret,
    mcp_tool,
    res_company,
    res_config_settings,
    res_users,
    res_users_apikeys,
)

# Extends mcp.run, mcp.run.step and mcp.knowledge: loaded after them.
from . import mcp_redacted  # isort: skip
