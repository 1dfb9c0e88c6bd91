odoo.define("mcp_crew.crew_chat_tour", function (require) {
    "use strict";

    const tour = require("web_tour.tour");

    // The Python test (test_chat_ui.py) stores the knowledge item this question finds.
    tour.register("mcp_crew_chat_tour", { test: true, url: "/web" }, [
        {
            content: "open the crew chat from the systray",
            trigger: ".o_mcp_crew_systray_toggle",
        },
        {
            content: "type a question the knowledge base answers",
            trigger: ".o_mcp_crew_chat_input",
            run: "text Qual é o prazo de devolução dos produtos?",
        },
        {
            content: "send it",
            trigger: ".o_mcp_crew_chat_send:enabled",
        },
        {
            content: "the answer is there, with its route and sources",
            trigger: ".o_mcp_crew_chat_run .o_mcp_crew_chat_text:contains(30 dias)",
            extra_trigger: ".o_mcp_crew_chat_route:contains(Knowledge base)",
            run: function () {},
        },
        {
            content: "steps can be opened",
            trigger: ".o_mcp_crew_chat_toggle_steps",
        },
        {
            content: "the knowledge search step is listed",
            trigger: ".o_mcp_crew_chat_steps li:contains(search_knowledge)",
            run: function () {},
        },
    ]);
});

odoo.define("mcp_crew.crew_chatter_tour", function (require) {
    "use strict";

    const tour = require("web_tour.tour");

    // Started on a partner's form by test_chat_ui.py.
    tour.register("mcp_crew_chatter_tour", { test: true }, [
        {
            content: "ask the crew from the record's chatter",
            trigger: ".o_ChatterTopbar .o_mcp_crew_ask_crew",
        },
        {
            content: "the chat opens with the record as context",
            trigger: ".o_mcp_crew_chat_record:contains(Acme Chatter)",
            run: function () {},
        },
        {
            content: "send with Enter",
            trigger: ".o_mcp_crew_chat_input",
            run: function (actions) {
                actions.text("Qual é o prazo de devolução dos produtos?", this.$anchor);
                this.$anchor[0].dispatchEvent(
                    new KeyboardEvent("keydown", { key: "Enter", bubbles: true })
                );
            },
        },
        {
            content: "post the answer to the chatter",
            trigger: ".o_mcp_crew_chat_run:last .o_mcp_crew_chat_post",
        },
        {
            content: "the note is on the record",
            trigger: ".o_Chatter .o_Message:contains(30 dias)",
            run: function () {},
        },
    ]);
});
