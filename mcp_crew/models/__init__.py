from . import mcp_catalog_mixin
from . import mcp_server
from . import mcp_server_param
from . import mcp_tool
from . import mcp_resource
from . import mcp_prompt
from . import res_config_settings
