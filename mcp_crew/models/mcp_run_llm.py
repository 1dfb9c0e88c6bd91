"""The LLM a run's crew talks to, and what its tokens cost."""

import os

from odoo import api, models
from odoo.tools import config

from ..services import crew_runner
from ..services.settings import configured


class McpRunLlmMixin(models.AbstractModel):
    _name = "mcp.run.llm.mixin"
    _description = "Run LLM settings"

    @api.model
    def _llm_settings(self):
        """The LLM from odoo.conf ``[mcp_crew] llm_*`` / ``MCP_CREW_LLM_*`` (these win) or
        the settings page; ``None`` when no model is configured."""
        params = self.env["ir.config_parameter"].sudo()
        section = config.misc.get("mcp_crew", {})

        def value(name, default=""):
            return (
                configured(name, section, os.environ)
                or params.get_param("mcp_crew.%s" % name)
                or default
            )

        model = value("llm_model")
        if not model:
            return None
        return crew_runner.LlmSettings(
            model=model,
            base_url=value("llm_base_url"),
            api_key=value("llm_api_key"),
            timeout=float(value("llm_timeout", 60)),
        )

    def _record_usage(self, usage):
        params = self.env["ir.config_parameter"].sudo()
        price_prompt = float(params.get_param("mcp_crew.llm_price_prompt", 0) or 0)
        price_completion = float(params.get_param("mcp_crew.llm_price_completion", 0) or 0)
        prompt = self.prompt_tokens + usage["prompt_tokens"]
        completion = self.completion_tokens + usage["completion_tokens"]
        self._set(
            prompt_tokens=prompt,
            completion_tokens=completion,
            total_tokens=prompt + completion,
            # Prices are per million tokens.
            cost=(prompt * price_prompt + completion * price_completion) / 1_000_000,
        )
