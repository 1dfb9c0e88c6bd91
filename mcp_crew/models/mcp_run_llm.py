"""The LLM a run's crew talks to, and what its tokens cost."""

import json
import os

from odoo import api, models
from odoo.tools import config

from ..services import crew_runner, tool_calling
from ..services.functional_settings import SETTINGS
from ..services.settings import configured
from .functional_settings import get_setting

# The tool calling mode auto learnt per model (JSON: "<base url>|<model>" -> mode):
# internal state shared by the workers, not a setting.
LEARNT_TOOL_CALLING_PARAM = "mcp_crew.llm_tool_calling_learnt"


class McpRunLlmMixin(models.AbstractModel):
    _name = "mcp.run.llm.mixin"
    _description = "Run LLM settings"

    @api.model
    def _llm_settings(self):
        """The LLM from odoo.conf ``[mcp_crew] llm_*`` / ``MCP_CREW_LLM_*`` (these win) or
        the settings page; ``None`` when no model is configured."""
        section = config.misc.get("mcp_crew", {})

        def value(name):
            raw = configured(name, section, os.environ)
            return get_setting(self.env, name) if raw is None else SETTINGS[name].parse(raw)

        model = value("llm_model")
        if not model:
            return None
        return crew_runner.LlmSettings(
            model=model,
            base_url=value("llm_base_url"),
            api_key=value("llm_api_key"),
            timeout=value("llm_timeout"),
            max_tokens=value("llm_max_tokens"),
            tool_calling=value("llm_tool_calling"),
        )

    @api.model
    def _tool_calling_memory(self):
        """What auto mode learnt, from the system parameter every worker shares (an
        admin clears it to have models probed again)."""
        memory = tool_calling.ToolCallingMemory()
        raw = self.env["ir.config_parameter"].sudo().get_param(LEARNT_TOOL_CALLING_PARAM)
        try:
            learnt = json.loads(raw or "{}")
        except ValueError:
            learnt = {}
        for key, mode in learnt.items() if isinstance(learnt, dict) else ():
            if mode in tool_calling.MODES:
                memory.restore(key, mode)
        return memory

    @api.model
    def _remember_tool_calling(self, memory):
        self.env["ir.config_parameter"].sudo().set_param(
            LEARNT_TOOL_CALLING_PARAM, json.dumps(memory.learnt(), sort_keys=True)
        )

    def _record_usage(self, usage):
        price_prompt = get_setting(self.env, "llm_price_prompt")
        price_completion = get_setting(self.env, "llm_price_completion")
        prompt = self.prompt_tokens + usage["prompt_tokens"]
        completion = self.completion_tokens + usage["completion_tokens"]
        self._set(
            prompt_tokens=prompt,
            completion_tokens=completion,
            total_tokens=prompt + completion,
            # Prices are per million tokens.
            cost=(prompt * price_prompt + completion * price_completion) / 1_000_000,
        )
