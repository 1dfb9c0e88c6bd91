/** @odoo-module **/

import { ormService } from "@web/core/orm_service";
import { registry } from "@web/core/registry";
import { makeTestEnv } from "@web/../tests/helpers/mock_env";
import { makeFakeUserService } from "@web/../tests/helpers/mock_services";
import { click, editInput, getFixture, mount, nextTick } from "@web/../tests/helpers/utils";
import { CrewChatPanel, CrewChatSystray, OPEN_CHAT_EVENT } from "@mcp_crew/chat/crew_chat";

const { EventBus } = owl;

function answer(runId, overrides = {}) {
    return {
        run_id: runId,
        message: "Qual é o prazo de devolução?",
        status: "done",
        answer: "Encontrei isto na base de conhecimento:\n1. Prazo de devolução — 30 dias",
        error: "",
        route: { kind: "knowledge", name: "knowledge base", confidence: 0.8, language: "pt",
                 reason: "", candidates: [] },
        crew: null,
        steps: [{ id: 10 + runId, sequence: 1, kind: "knowledge", name: "search_knowledge",
                  agent: "", server: "", arguments: {}, result: "", error: "",
                  latency_ms: 3.2, status: "ok", approval_deadline: "", decided_by: "" }],
        knowledge_used: [{ id: 5, title: "Prazo de devolução", type: "general_fact" }],
        usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, cost: 0 },
        ...overrides,
    };
}

QUnit.module("mcp_crew", (hooks) => {
    let target;
    let fakeBus;
    let calls;
    let isApprover;

    async function setup(history = [], onAsk = null) {
        calls = [];
        const mockRPC = async (route, args) => {
            calls.push({ route, args });
            if (route === "/mcp_crew/ask") {
                return onAsk ? onAsk(args) : answer(99, { message: args.message });
            }
            if (args.method === "search_read") {
                return history.map((run) => ({ id: run.run_id }));
            }
            if (args.method === "get_results") {
                return [...history].reverse();
            }
            if (["action_approve", "action_reject", "message_post"].includes(args.method)) {
                return true;
            }
        };
        const env = await makeTestEnv({ mockRPC });
        return env;
    }

    hooks.beforeEach(() => {
        target = getFixture();
        fakeBus = new EventBus();
        isApprover = false;
        const services = registry.category("services");
        services.add("orm", ormService);
        services.add("user", makeFakeUserService(async () => isApprover));
        services.add("bus_service", { start: () => fakeBus });
    });

    QUnit.test("shows the history with route, sources and collapsible steps", async (assert) => {
        const env = await setup([answer(1)]);
        await mount(CrewChatPanel, target, { env, props: { close: () => {} } });
        assert.containsOnce(target, ".o_mcp_crew_chat_run");
        assert.strictEqual(target.querySelector(".o_mcp_crew_chat_question").textContent.trim(),
            "Qual é o prazo de devolução?");
        assert.strictEqual(target.querySelector(".o_mcp_crew_chat_route").textContent,
            "Knowledge base");
        assert.containsOnce(target, ".o_mcp_crew_chat_sources .badge");
        assert.containsNone(target, ".o_mcp_crew_chat_steps");
        await click(target, ".o_mcp_crew_chat_toggle_steps");
        assert.containsOnce(target, ".o_mcp_crew_chat_steps li");
        assert.ok(target.querySelector(".o_mcp_crew_chat_steps").textContent.includes("3 ms"));
    });

    QUnit.test("sends with Enter to /mcp_crew/ask and shows the answer", async (assert) => {
        const env = await setup();
        await mount(CrewChatPanel, target, { env, props: { close: () => {} } });
        assert.containsOnce(target, ".o_mcp_crew_chat_empty");
        await editInput(target, ".o_mcp_crew_chat_input", "Qual é o prazo?");
        const input = target.querySelector(".o_mcp_crew_chat_input");
        input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
        await nextTick();
        await nextTick();
        const ask = calls.find((call) => call.route === "/mcp_crew/ask");
        assert.deepEqual(ask.args, { message: "Qual é o prazo?", ask_context: { channel: "chat" } });
        assert.containsOnce(target, ".o_mcp_crew_chat_run");
        assert.ok(target.querySelector(".o_mcp_crew_chat_text").textContent.includes("30 dias"));
        assert.strictEqual(input.value, "", "the box is emptied once the answer is in");
    });

    QUnit.test("errors are shown plainly and the message is kept", async (assert) => {
        const env = await setup([], () => {
            const error = new Error("The message is too long");
            error.data = { message: "The message is too long (5000 characters; at most 4000)." };
            throw error;
        });
        await mount(CrewChatPanel, target, { env, props: { close: () => {} } });
        await editInput(target, ".o_mcp_crew_chat_input", "x");
        await click(target, ".o_mcp_crew_chat_send");
        await nextTick();
        assert.strictEqual(target.querySelector(".o_mcp_crew_chat_error").textContent,
            "The message is too long (5000 characters; at most 4000).");
        assert.strictEqual(target.querySelector(".o_mcp_crew_chat_input").value, "x");
    });

    QUnit.test("background progress and answers arrive on the bus", async (assert) => {
        const env = await setup();
        await mount(CrewChatPanel, target, { env, props: { close: () => {} } });
        const running = answer(7, { status: "running", answer: "A equipe está trabalhando",
            crew: { id: 1, name: "Product research" }, route: { kind: "crew",
            name: "Product research" }, steps: [], knowledge_used: [] });
        fakeBus.trigger("notification", [{ type: "mcp_crew/run", payload: running }]);
        await nextTick();
        assert.strictEqual(target.querySelector(".o_mcp_crew_chat_route").textContent,
            "Crew: Product research");
        assert.strictEqual(target.querySelector(".o_mcp_crew_chat_status").textContent, "Working");
        fakeBus.trigger("notification", [{ type: "mcp_crew/run",
            payload: { ...running, status: "done", answer: "Fornecedor A" } }]);
        await nextTick();
        assert.containsOnce(target, ".o_mcp_crew_chat_run", "the same run, updated");
        assert.strictEqual(target.querySelector(".o_mcp_crew_chat_status").textContent, "Answered");
        assert.strictEqual(target.querySelector(".o_mcp_crew_chat_text").textContent,
            "Fornecedor A");
    });

    QUnit.test("approvers get Approve and Reject buttons", async (assert) => {
        isApprover = true;
        const waiting = answer(8, { status: "waiting_approval", route: { kind: "tool",
            name: "delete_record" }, steps: [{ id: 81, name: "delete_record",
            status: "pending_approval", latency_ms: 0, error: "" }], knowledge_used: [] });
        const env = await setup([waiting]);
        await mount(CrewChatPanel, target, { env, props: { close: () => {} } });
        fakeBus.trigger("notification", [{ type: "mcp_crew/approval", payload: {
            run_id: 8, step: waiting.steps[0], message: "/tool delete_record", requester: "Ana" } }]);
        await nextTick();
        assert.containsOnce(target, ".o_mcp_crew_chat_approval");
        await click(target, ".o_mcp_crew_chat_approval .o_mcp_crew_approve");
        const approve = calls.find((call) => call.args && call.args.method === "action_approve");
        assert.deepEqual(approve.args.args, [[81]]);
        assert.containsNone(target, ".o_mcp_crew_chat_approval");
        // One's own waiting runs carry no buttons: someone else decides on them.
        assert.containsNone(target, ".o_mcp_crew_chat_run .o_mcp_crew_reject");
    });

    QUnit.test("users who are not approvers see no buttons", async (assert) => {
        const waiting = answer(8, { status: "waiting_approval", steps: [{ id: 81,
            name: "delete_record", status: "pending_approval", latency_ms: 0, error: "" }] });
        const env = await setup([waiting]);
        await mount(CrewChatPanel, target, { env, props: { close: () => {} } });
        fakeBus.trigger("notification", [{ type: "mcp_crew/approval", payload: {
            run_id: 8, step: waiting.steps[0], message: "x", requester: "Ana" } }]);
        await nextTick();
        assert.containsNone(target, ".o_mcp_crew_approve");
    });

    QUnit.test("from a chatter: record context, and the answer posted as a note",
        async (assert) => {
        const env = await setup();
        await mount(CrewChatSystray, target, { env });
        assert.containsNone(target, ".o_mcp_crew_chat");
        env.bus.trigger(OPEN_CHAT_EVENT, { model: "res.partner", id: 3, name: "Acme" });
        await nextTick();
        await nextTick();
        assert.strictEqual(target.querySelector(".o_mcp_crew_chat_record").textContent.trim(),
            "Acme");
        await editInput(target, ".o_mcp_crew_chat_input", "Resuma este cliente");
        await click(target, ".o_mcp_crew_chat_send");
        await nextTick();
        const ask = calls.find((call) => call.route === "/mcp_crew/ask");
        assert.deepEqual(ask.args.ask_context, { channel: "chatter", model: "res.partner",
            res_id: 3 });
        await click(target, ".o_mcp_crew_chat_post");
        const post = calls.find((call) => call.args && call.args.method === "message_post");
        assert.strictEqual(post.args.model, "res.partner");
        assert.deepEqual(post.args.args, [[3]]);
        assert.strictEqual(post.args.kwargs.subtype_xmlid, "mail.mt_note");
        assert.containsNone(target, ".o_mcp_crew_chat_post", "posted once");
        const input = target.querySelector(".o_mcp_crew_chat_input");
        input.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
        await nextTick();
        assert.containsNone(target, ".o_mcp_crew_chat", "Escape closes the panel");
    });
});
