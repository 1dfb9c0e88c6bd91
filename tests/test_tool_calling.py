"""Tool calling per model (native, text, auto) and answers that are no answers,
with CrewAI talking to the loopback OpenAI-compatible server and a real MCP server
behind the gate."""

import json

import pytest

from conftest import stdio_spec
from mcp_crew.services import crew_runner, tool_calling
from mcp_crew.services.errors import LlmAnswerUnusable, McpCrewError
from test_crew_runner import ADD, ECHO, EngineGate, llm, one_agent_crew, tool_call

# What Qwen2.5-Coder under llama.cpp answers when offered OpenAI tools.
WRITTEN_CALL = '```json\n{"name": "%s", "arguments": {"a": 2, "b": 40}}\n```' % ADD.function_name


def react_call(tool, arguments):
    return {
        "content": "Thought: I should use a tool.\nAction: %s\nAction Input: %s"
        % (tool.function_name, json.dumps(arguments))
    }


def react_final(answer):
    return {"content": "Thought: I now know the final answer\nFinal Answer: %s" % answer}


def chat_requests(fake):
    return [request["json"] for request in fake.requests_to("/chat/completions")]


def test_native_mode_refuses_a_call_written_as_text_and_says_what_to_change(fake, engine, scope):
    gate = EngineGate(engine, stdio_spec(scope))
    fake.queue_chat({"content": WRITTEN_CALL})
    with pytest.raises(LlmAnswerUnusable) as caught:
        crew_runner.run_crew(
            one_agent_crew(),
            [ECHO, ADD],
            llm(fake, tool_calling="native"),
            {"request": "add 2 and 40"},
            gate,
            memory=tool_calling.ToolCallingMemory(),
        )
    message = str(caught.value)
    assert caught.value.kind == "tool_call"
    assert "wrote a call to the tool %s as its answer" % ADD.function_name in message
    assert "set the LLM's tool calling to 'text'" in message
    assert gate.steps == []
    assert len(chat_requests(fake)) == 1  # native means native: not asked again


def test_auto_mode_switches_a_model_that_writes_calls_to_the_text_format(fake, engine, scope):
    memory = tool_calling.ToolCallingMemory()
    gate = EngineGate(engine, stdio_spec(scope))
    fake.queue_chat({"content": WRITTEN_CALL})
    fake.queue_chat(react_call(ADD, {"a": 2, "b": 40}))
    fake.queue_chat(react_final("2 + 40 = 42"))
    settings = llm(fake)
    assert settings.tool_calling == tool_calling.AUTO
    result = crew_runner.run_crew(
        one_agent_crew(), [ECHO, ADD], settings, {"request": "add 2 and 40"}, gate, memory
    )
    assert result.answer == "2 + 40 = 42"
    assert (result.tool_calling, result.learnt_tool_calling) == ("text", True)
    assert gate.steps == [("add", {"a": 2, "b": 40}, "ok")]
    first, *text_mode = chat_requests(fake)
    assert "tools" in first
    # The text format: no OpenAI tools, the ReAct instructions and the real result.
    assert all("tools" not in request for request in text_mode)
    assert "Action Input" in json.dumps(text_mode[0]["messages"])
    assert '{"sum": 42}' in "\n".join(m["content"] for m in text_mode[1]["messages"])
    # Usage of both attempts is counted.
    assert result.usage["requests"] == 3
    assert memory.learnt() == {memory.key(settings.base_url, settings.model): "text"}

    # Remembered: the next run of that model starts in the text format.
    fake.queue_chat(react_final("hello"))
    again = crew_runner.run_crew(
        one_agent_crew(), [ECHO, ADD], settings, {"request": "hi"}, EngineGate(engine, None), memory
    )
    assert (again.answer, again.tool_calling, again.learnt_tool_calling) == (
        "hello",
        "text",
        False,
    )
    assert "tools" not in chat_requests(fake)[-1]


def test_text_mode_uses_the_react_format_from_the_start(fake, engine, scope):
    gate = EngineGate(engine, stdio_spec(scope))
    fake.queue_chat(react_call(ECHO, {"text": "olá"}))
    fake.queue_chat(react_final("olá"))
    result = crew_runner.run_crew(
        one_agent_crew(),
        [ECHO, ADD],
        llm(fake, tool_calling="text"),
        {"request": "repeat olá"},
        gate,
        memory=tool_calling.ToolCallingMemory(),
    )
    assert result.answer == "olá"
    assert result.tool_calling == "text"
    assert gate.steps == [("echo", {"text": "olá"}, "ok")]
    assert all("tools" not in request for request in chat_requests(fake))


def test_auto_mode_does_not_ask_again_once_a_tool_ran(fake, engine, scope):
    """A second attempt would repeat the calls already made: fail instead."""
    memory = tool_calling.ToolCallingMemory()
    gate = EngineGate(engine, stdio_spec(scope))
    fake.queue_chat(
        {
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": ECHO.function_name, "arguments": '{"text": "x"}'},
                }
            ]
        }
    )
    fake.queue_chat({"content": WRITTEN_CALL})
    with pytest.raises(LlmAnswerUnusable, match="wrote a call to the tool"):
        crew_runner.run_crew(
            one_agent_crew(), [ECHO, ADD], llm(fake), {"request": "x"}, gate, memory
        )
    assert gate.steps == [("echo", {"text": "x"}, "ok")]
    assert memory.learnt() == {}


def test_text_mode_scaffolding_without_final_answer_is_not_an_answer(fake):
    fake.queue_chat({"content": "Final Answer: Thought: I should call a tool.\nAction: none"})
    with pytest.raises(LlmAnswerUnusable) as caught:
        crew_runner.run_crew(
            one_agent_crew(tools=()),
            [],
            llm(fake, tool_calling="text"),
            {"request": "x"},
            crew_runner.ToolGate(),
            memory=tool_calling.ToolCallingMemory(),
        )
    assert caught.value.kind == "scaffolding"
    assert "did not follow the text tool format" in str(caught.value)


def test_an_unknown_mode_is_refused_before_anything_runs():
    with pytest.raises(McpCrewError, match="unknown tool calling mode 'json'"):
        crew_runner.LlmSettings("m", tool_calling="json").validate()


@pytest.mark.parametrize(
    "answer, kind, offered",
    [
        ("", "empty", False),
        ("   \n", "empty", False),
        (WRITTEN_CALL, "tool_call", True),
        ('{"name": "add", "arguments": {"a": 1}}', "tool_call", True),
        ('<tool_call>\n{"name": "add", "arguments": {}}\n</tool_call>', "tool_call", True),
        ('[{"name": "add", "parameters": {}}]', "tool_call", True),
        ('{"type": "function", "function": {"name": "add", "arguments": "{}"}}', "tool_call", True),
        ('{"name": "delete_everything", "arguments": {}}', "tool_call", False),
        ("Thought: I need a rate.\nAction: exchange_rate\nAction Input: {}", "scaffolding", False),
    ],
)
def test_answers_that_are_no_answers(answer, kind, offered):
    problem = tool_calling.unusable_answer(answer, {"add", ADD.function_name})
    assert problem is not None
    assert (problem.kind, problem.offered) == (kind, offered)


@pytest.mark.parametrize(
    "answer",
    [
        "Metalúrgica Sul, 0.04 BRL",
        '{"supplier": "Metalúrgica Sul", "price": 0.04}',  # data, not a call
        '{"name": "Arruela lisa M8", "price": 0.04, "currency": "BRL", "stock": 10}',
        "Thought: compared both offers.\nFinal Answer: Metalúrgica Sul is cheaper (0.04 BRL).",
        'Use the add tool: {"name": "add", "arguments": {}} is how it is called.',
    ],
)
def test_real_answers_pass(answer):
    assert tool_calling.unusable_answer(answer, {"add"}) is None


def test_memory_keeps_the_configured_mode_unless_auto():
    memory = tool_calling.ToolCallingMemory()
    memory.remember("http://h/v1/", "m", "text")
    assert memory.mode_for("http://h/v1", "m", "auto") == "text"
    assert memory.mode_for("http://h/v1", "m", "native") == "native"
    assert memory.mode_for("http://h/v1", "other", "auto") == "native"


def in_portuguese(fake, request, **settings):
    """A one-agent crew without tools asked ``request``, to answer in Portuguese."""
    return crew_runner.run_crew(
        one_agent_crew(tools=()),
        [],
        llm(fake, tool_calling="native", **settings),
        {"request": request},
        crew_runner.ToolGate(),
        memory=tool_calling.ToolCallingMemory(),
        answer_language="pt",
    )


def test_tasks_ask_for_the_answer_in_the_request_language(fake):
    fake.queue_chat({"content": "Olá!"})
    in_portuguese(fake, "oi")
    messages = chat_requests(fake)[0]["messages"]
    prompt = "\n".join(m["content"] for m in messages)
    assert "A short answer Write it in Portuguese (português do Brasil)." in prompt
    # The agent's system prompt says it too: small models heed it most.
    system = next(m["content"] for m in messages if m["role"] == "system")
    assert "Always answer in Portuguese (português do Brasil)." in system
    assert len(chat_requests(fake)) == 1  # answered in Portuguese: nothing to rewrite


ENGLISH_ANSWER = (
    "An electronic invoice is the digital tax document that replaces the paper one; "
    "it is signed and sent to the tax authority before the goods leave."
)
PORTUGUESE_ANSWER = (
    "A nota fiscal eletrônica é o documento fiscal digital que substitui o de papel; "
    "ela é assinada e enviada ao fisco antes de a mercadoria sair."
)


def test_an_answer_in_another_language_is_rewritten_in_the_requests(fake):
    """Seen with Qwen2.5-Coder 1.5B: asked in Portuguese, told to answer in
    Portuguese, it answered in English after reading a tool's result."""
    fake.queue_chat({"content": ENGLISH_ANSWER})
    fake.queue_chat({"content": PORTUGUESE_ANSWER})
    result = in_portuguese(fake, "Explique o que é uma nota fiscal eletrônica.")
    assert result.answer == PORTUGUESE_ANSWER
    assert result.rewritten_in == "pt"
    crew_request, rewrite = chat_requests(fake)
    assert "Portuguese" in rewrite["messages"][0]["content"]
    assert rewrite["messages"][1]["content"] == ENGLISH_ANSWER
    # Both completions are counted on the run.
    assert result.usage["requests"] == 2


def test_a_failed_rewrite_keeps_the_crews_answer(fake):
    fake.queue_chat({"content": ENGLISH_ANSWER})  # nothing queued for the rewrite
    result = in_portuguese(fake, "Explique o que é uma nota fiscal eletrônica.", timeout=5)
    assert result.answer == ENGLISH_ANSWER
    assert result.rewritten_in == ""
    assert len(chat_requests(fake)) >= 2  # the rewrite was asked, and failed


def test_a_tool_result_handed_back_as_the_answer_is_not_one(fake, engine, scope):
    """Seen with Qwen2.5-Coder 1.5B: asked to explain something, it called a tool
    and returned its JSON unchanged."""
    gate = EngineGate(engine, stdio_spec(scope))
    fake.queue_chat(react_call(ADD, {"a": 2, "b": 40}))
    fake.queue_chat(react_final('```json\n{"sum": 42}\n```'))
    with pytest.raises(LlmAnswerUnusable) as caught:
        crew_runner.run_crew(
            one_agent_crew(),
            [ECHO, ADD],
            llm(fake, tool_calling="text"),
            {"request": "explain addition"},
            gate,
            memory=tool_calling.ToolCallingMemory(),
        )
    assert caught.value.kind == "tool_result"
    assert "a tool's raw result instead of an answer" in str(caught.value)
    assert caught.value.usage["requests"] == 2  # spent all the same
    assert gate.steps == [("add", {"a": 2, "b": 40}, "ok")]


def test_an_answer_quoting_a_result_in_prose_is_one():
    assert tool_calling.unusable_answer("The sum is 42.", (), ['{"sum": 42}']) is None
    problem = tool_calling.unusable_answer('{"sum":42}', (), ['{"sum": 42}'])
    assert problem.kind == "tool_result"


def demo_tool(name):
    return crew_runner.ToolSpec("7:%s" % name, name, name, {"type": "object"})


def test_the_tools_a_request_names_are_found_by_their_names():
    tools = [demo_tool(name) for name in ("supplier_offers", "exchange_rate", "freight_estimate")]
    named = crew_runner.named_tools(
        "How much is the cheapest offer for arruela lisa M8 in US dollars? "
        "Use the supplier offers and the exchange rate.",
        tools,
    )
    assert [tool.name for tool in named] == ["supplier_offers", "exchange_rate"]
    # In the order the request names them, whatever the catalog's order.
    named = crew_runner.named_tools(
        "Use the supplier offers, then the exchange rate.", list(reversed(tools))
    )
    assert [tool.name for tool in named] == ["supplier_offers", "exchange_rate"]
    assert [
        t.name for t in crew_runner.named_tools("Use exchange_rate, then freight_estimate", tools)
    ] == [
        "exchange_rate",
        "freight_estimate",
    ]
    # Words of a name apart, or inside other words, name nothing.
    assert crew_runner.named_tools("The exchange was rated well by our supplier", tools) == []
    assert crew_runner.named_tools("Qual o frete para MG?", tools) == []
    # A one-word name is an everyday word unless marked as a tool's.
    add = [ADD]
    assert crew_runner.named_tools("Add a new customer called Globex", add) == []
    for marked in ("Use the add tool for 2 and 40", "usa a ferramenta add", "call `add`"):
        assert crew_runner.named_tools(marked, add) == add, marked


def test_a_task_tells_its_agent_to_call_the_tools_the_request_names(fake):
    fake.queue_chat({"content": "42"})
    crew_runner.run_crew(
        one_agent_crew(tools=("1:echo", "1:add")),
        [ECHO, ADD],
        llm(fake, tool_calling="native"),
        {"request": "Use the add tool to sum 2 and 40"},
        crew_runner.ToolGate(),
        memory=tool_calling.ToolCallingMemory(),
    )
    prompt = "\n".join(m["content"] or "" for m in chat_requests(fake)[0]["messages"])
    assert "The request names these tools: %s. Call each of them" % ADD.function_name in prompt
    assert ECHO.function_name not in prompt.split("The request names these tools:")[1]


def test_a_tool_the_agent_is_not_offered_is_not_asked_for(fake):
    fake.queue_chat({"content": "ok"})
    crew_runner.run_crew(
        one_agent_crew(tools=("1:echo",)),
        [ECHO],
        llm(fake, tool_calling="native"),
        {"request": "Use the add tool to sum 2 and 40"},
        crew_runner.ToolGate(),
        memory=tool_calling.ToolCallingMemory(),
    )
    prompt = "\n".join(m["content"] or "" for m in chat_requests(fake)[0]["messages"])
    assert "The request names these tools" not in prompt


NAMING_BOTH = "Use the add tool on 2 and 40, then the echo tool on the sum"
ADDED = (tool_call(ADD, {"a": 2, "b": 40}), {"content": "The sum is 42."})


def run_scripted(fake, engine, scope, request, replies):
    """A one-agent crew (echo, add) on ``request``, the model's ``replies`` scripted:
    ``(result, gate)``."""
    gate = EngineGate(engine, stdio_spec(scope))
    for reply in replies:
        fake.queue_chat(reply)
    result = crew_runner.run_crew(
        one_agent_crew(),
        [ECHO, ADD],
        llm(fake, tool_calling="native"),
        {"request": request},
        gate,
        memory=tool_calling.ToolCallingMemory(),
    )
    return result, gate


def test_a_named_tool_left_uncalled_gets_one_more_pass(fake, engine, scope):
    """Seen with Qwen2.5-Coder 1.5B: asked to use the supplier offers and the
    exchange rate, it called one and answered."""
    second = (tool_call(ECHO, {"text": "42"}), {"content": "42, and the echo tool says 42."})
    result, gate = run_scripted(fake, engine, scope, NAMING_BOTH, ADDED + second)
    assert result.answer == "42, and the echo tool says 42."
    assert gate.steps == [("add", {"a": 2, "b": 40}, "ok"), ("echo", {"text": "42"}, "ok")]
    assert result.usage["requests"] == 4  # both passes are counted
    second_pass = "\n".join(m["content"] or "" for m in chat_requests(fake)[2]["messages"])
    assert "Still to do: call %s" % ECHO.function_name in second_pass
    assert "Draft answer: The sum is 42." in second_pass
    assert '%s({"a": 2, "b": 40}) returned' % ADD.function_name in second_pass


def test_no_second_pass_when_every_named_tool_ran(fake, engine, scope):
    result, _gate = run_scripted(fake, engine, scope, "Use the add tool on 2 and 40", ADDED)
    assert result.answer == "The sum is 42."
    assert len(chat_requests(fake)) == 2


@pytest.mark.parametrize(
    "second_reply, requests",
    [
        ({"content": WRITTEN_CALL}, 3),  # no answer: a call written as text
        ({"content": ""}, 2),  # the pass fails (CrewAI reports no usage for it)
    ],
)
def test_a_second_pass_without_a_usable_answer_keeps_the_first(
    fake, engine, scope, second_reply, requests
):
    result, gate = run_scripted(fake, engine, scope, NAMING_BOTH, ADDED + (second_reply,))
    assert result.answer == "The sum is 42."
    assert gate.steps == [("add", {"a": 2, "b": 40}, "ok")]
    assert result.usage["requests"] == requests


def test_a_call_repeated_in_a_run_gets_its_first_result(fake, engine, scope):
    """The second pass is told what ran; a model that calls it again anyway must
    not run it twice (it could be a write)."""
    second = (
        tool_call(ADD, {"a": 2, "b": 40}),
        tool_call(ECHO, {"text": "42"}, call_id="call_2"),
        {"content": "42, echoed."},
    )
    result, gate = run_scripted(fake, engine, scope, NAMING_BOTH, ADDED + second)
    assert result.answer == "42, echoed."
    assert gate.steps == [("add", {"a": 2, "b": 40}, "ok"), ("echo", {"text": "42"}, "ok")]
    assert gate.calls == 3
    # The repeated call read the first one's result.
    repeated = next(m for m in chat_requests(fake)[3]["messages"] if m["role"] == "tool")
    assert json.loads(repeated["content"]) == {"sum": 42}
