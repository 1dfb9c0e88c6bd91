/** @odoo-module **/

import { Component, onWillStart, useEffect, useRef, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useBus, useService } from "@web/core/utils/hooks";
import { _t } from "@web/core/l10n/translation";

const HISTORY_SIZE = 20;
export const OPEN_CHAT_EVENT = "MCP_CREW:OPEN_CHAT";

/**
 * The conversation: the user's last runs, a message box, and each answer with
 * the route or crew that gave it, its steps (collapsible) and the knowledge it
 * used. Answers of background runs and approval requests arrive on the bus
 * ("mcp_crew/run", "mcp_crew/approval"); nothing polls.
 */
export class CrewChatPanel extends Component {
    setup() {
        this.rpc = useService("rpc");
        this.orm = useService("orm");
        this.user = useService("user");
        this.state = useState({
            runs: [],
            approvals: [],
            message: "",
            sending: false,
            error: "",
            expanded: {},
            isApprover: false,
        });
        this.input = useRef("input");
        this.history = useRef("history");
        // The newest answer is the one to read: keep the end of the history in view.
        useEffect(
            (el) => {
                if (el) {
                    el.scrollTop = el.scrollHeight;
                }
            },
            () => [this.history.el, this.state.runs.length, this.lastStatus()]
        );
        useBus(this.env.services.bus_service, "notification", ({ detail }) =>
            this.onNotifications(detail)
        );
        onWillStart(async () => {
            this.state.isApprover = await this.user.hasGroup("mcp_crew.group_mcp_crew_approver");
            await this.loadHistory();
        });
    }

    lastStatus() {
        const last = this.state.runs[this.state.runs.length - 1];
        return last ? `${last.run_id}:${last.status}` : "";
    }

    get record() {
        return this.props.record || null;
    }

    async loadHistory() {
        const runs = await this.orm.searchRead(
            "mcp.run",
            [["requester_id", "=", this.user.userId]],
            ["id"],
            { limit: HISTORY_SIZE, order: "id desc" }
        );
        if (runs.length) {
            const results = await this.orm.call("mcp.run", "get_results", [
                runs.map((run) => run.id),
            ]);
            this.state.runs = results.reverse();
        }
    }

    /** Insert or replace a run (the bus sends a run again as it progresses). */
    upsert(result) {
        const index = this.state.runs.findIndex((run) => run.run_id === result.run_id);
        if (index === -1) {
            this.state.runs.push(result);
        } else {
            this.state.runs[index] = result;
        }
    }

    onNotifications(notifications) {
        for (const { type, payload } of notifications) {
            if (type === "mcp_crew/run") {
                this.upsert(payload);
                this.state.approvals = this.state.approvals.filter(
                    (approval) => approval.run_id !== payload.run_id || payload.status === "waiting_approval"
                );
            } else if (type === "mcp_crew/approval" && this.state.isApprover) {
                this.state.approvals.push(payload);
            }
        }
    }

    async send() {
        const message = this.state.message.trim();
        if (!message || this.state.sending) {
            return;
        }
        this.state.sending = true;
        this.state.error = "";
        const context = { channel: this.record ? "chatter" : "chat" };
        if (this.record) {
            Object.assign(context, { model: this.record.model, res_id: this.record.id });
        }
        try {
            const result = await this.rpc("/mcp_crew/ask", { message, ask_context: context });
            this.upsert(result);
            this.state.message = "";
        } catch (error) {
            this.state.error = (error.data && error.data.message) || error.message || String(error);
        } finally {
            this.state.sending = false;
            if (this.input.el) {
                this.input.el.focus();
            }
        }
    }

    onKeydown(ev) {
        if (ev.key === "Enter" && !ev.shiftKey) {
            ev.preventDefault();
            this.send();
        } else if (ev.key === "Escape") {
            ev.stopPropagation();
            this.props.close();
        }
    }

    toggleSteps(run) {
        this.state.expanded[run.run_id] = !this.state.expanded[run.run_id];
    }

    async decide(step, method) {
        try {
            await this.orm.call("mcp.run.step", method, [[step.id]]);
            this.state.approvals = this.state.approvals.filter((a) => a.step.id !== step.id);
        } catch (error) {
            this.state.error = (error.data && error.data.message) || error.message;
        }
    }

    async postToChatter(run) {
        await this.orm.call(this.record.model, "message_post", [[this.record.id]], {
            body: run.answer,
            message_type: "comment",
            subtype_xmlid: "mail.mt_note",
        });
        run.posted = true;
        await this.refreshChatter();
    }

    /** Show the new note in the record's chatter, which does not watch RPCs. */
    async refreshChatter() {
        const service = this.env.services.messaging;
        if (!service) {
            return;
        }
        const messaging = await service.get();
        const thread = messaging.models["Thread"].insert({
            id: this.record.id,
            model: this.record.model,
        });
        await thread.fetchData(["messages"]);
    }

    statusLabel(run) {
        const labels = {
            running: _t("Working"),
            waiting_approval: _t("Waiting for approval"),
            done: _t("Answered"),
            failed: _t("Failed"),
            rejected: _t("Rejected"),
            refused: _t("Refused"),
        };
        return labels[run.status] || run.status;
    }

    routeLabel(run) {
        if (run.crew) {
            return _t("Crew: ") + run.crew.name;
        }
        const labels = {
            knowledge: _t("Knowledge base"),
            tool: _t("Tool"),
            intent: _t("Intent"),
            llm_required: _t("Needs an LLM"),
        };
        const label = labels[run.route.kind] || run.route.kind;
        return run.route.kind === "tool" || run.route.kind === "intent"
            ? `${label}: ${run.route.name}`
            : label;
    }
}
CrewChatPanel.template = "mcp_crew.CrewChatPanel";
CrewChatPanel.props = { close: Function, record: { type: Object, optional: true } };

/** The systray icon; opens the panel, also on request from a chatter. */
export class CrewChatSystray extends Component {
    setup() {
        this.state = useState({ open: false, record: null });
        useBus(this.env.bus, OPEN_CHAT_EVENT, ({ detail }) => {
            this.state.record = detail || null;
            this.state.open = true;
        });
    }

    toggle() {
        this.state.open = !this.state.open;
        if (!this.state.open) {
            this.state.record = null;
        }
    }

    close() {
        this.state.open = false;
        this.state.record = null;
    }
}
CrewChatSystray.template = "mcp_crew.CrewChatSystray";
CrewChatSystray.components = { CrewChatPanel };
CrewChatSystray.props = {};

registry.category("systray").add("mcp_crew.crew_chat", { Component: CrewChatSystray }, {
    sequence: 25,
});
