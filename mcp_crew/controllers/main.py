from odoo import http
from odoo.http import request

# Channels the web client may claim; "jsonrpc" and "cron" belong to other doors.
WEB_CHANNELS = ("chat", "chatter")


class McpCrewController(http.Controller):
    @http.route("/mcp_crew/ask", type="json", auth="user", methods=["POST"])
    def ask(self, message=None, ask_context=None):
        """The web client's door to :meth:`mcp.run.ask`: same checks, same answer shape.

        ``ask_context`` is ask()'s ``context`` (JSON-RPC keeps the ``context``
        parameter for Odoo's own); its ``channel`` defaults to ``chat`` (the
        chatter action sends ``chatter`` with the record's model and id).
        """
        context = ask_context
        if context is None:
            context = {}
        if isinstance(context, dict):  # anything else gets ask()'s clear error
            context = dict(context)
            if context.get("channel") not in WEB_CHANNELS:
                context["channel"] = "chat"
        return request.env["mcp.run"].ask(message, context)
