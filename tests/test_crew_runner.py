"""Crews run by CrewAI against the loopback OpenAI-compatible server, with
their tool calls going through the gate to a real MCP server."""

import dataclasses
import json
import logging
import socket
import time

import pytest

from conftest import stdio_spec
from mcp_crew.services import crew_runner
from mcp_crew.services.errors import InvalidArguments, LlmUnavailable, McpCrewError

ECHO = crew_runner.ToolSpec(
    "1:echo",
    "echo",
    "Echo the text back",
    {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
)
ADD = crew_runner.ToolSpec(
    "1:add",
    "add",
    "Add two integers",
    {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
    },
)
SECRET = "sk-test-0123456789-secret"


def one_agent_crew(tools=("1:echo", "1:add")):
    return crew_runner.CrewSpec(
        "helpers",
        (crew_runner.AgentSpec("Helper", "Answer requests", "You use tools.", tools=tools),),
        (crew_runner.TaskSpec("Answer this request: {request}", "A short answer", 0),),
    )


def tool_call(tool, arguments, call_id="call_1"):
    return {
        "tool_calls": [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": tool.function_name, "arguments": json.dumps(arguments)},
            }
        ]
    }


class EngineGate(crew_runner.ToolGate):
    """The adapter's gate reduced to its core: a real engine call, recorded."""

    def __init__(self, engine, spec, destructive=()):
        super().__init__()
        self.engine, self.spec, self.destructive = engine, spec, destructive
        self.steps = []

    def execute(self, tool, arguments):
        if tool.name in self.destructive:
            self.steps.append((tool.name, arguments, "pending_approval"))
            self.pause("tool %s waits for a human approval" % tool.name)
            return "Approval requested for %s." % tool.name
        try:
            result = self.engine.call_tool(self.spec, tool.name, arguments)
        except McpCrewError:
            self.steps.append((tool.name, arguments, "error"))
            raise
        self.steps.append((tool.name, arguments, "error" if result["is_error"] else "ok"))
        return crew_runner.tool_result_text(result)


def llm(fake, **overrides):
    return crew_runner.LlmSettings(
        **{"model": "fake-chat", "base_url": fake.base_url, "api_key": SECRET, **overrides}
    )


def test_crew_calls_a_real_mcp_tool_through_the_gate(fake, engine, scope):
    spec = stdio_spec(scope)
    gate = EngineGate(engine, spec)
    fake.queue_chat(tool_call(ADD, {"a": 2, "b": 40}))
    fake.queue_chat({"content": "2 + 40 = 42"})
    result = crew_runner.run_crew(
        one_agent_crew(), [ECHO, ADD], llm(fake), {"request": "add 2 and 40"}, gate
    )
    assert result.answer == "2 + 40 = 42"
    assert gate.steps == [("add", {"a": 2, "b": 40}, "ok")]
    # The model read the real server's structured result.
    second = fake.requests_to("/chat/completions")[1]["json"]["messages"]
    tool_message = next(m for m in second if m["role"] == "tool")
    assert json.loads(tool_message["content"]) == {"sum": 42}
    assert result.usage["requests"] == 2
    assert result.usage["total_tokens"] == (
        result.usage["prompt_tokens"] + result.usage["completion_tokens"]
    )
    assert result.usage["total_tokens"] > 0
    # The key is sent as a bearer token, and only there.
    request = fake.requests_to("/chat/completions")[0]
    assert request["headers"]["authorization"] == "Bearer %s" % SECRET
    offered = [tool["function"]["name"] for tool in request["json"]["tools"]]
    assert sorted(offered) == sorted([ECHO.function_name, ADD.function_name])


def test_agents_only_get_the_tools_they_were_given(fake):
    class Refusing(crew_runner.ToolGate):
        def execute(self, tool, arguments):
            raise AssertionError("no tool should run")

    fake.queue_chat({"content": "done"})
    crew_runner.run_crew(
        one_agent_crew(tools=("1:echo",)), [ECHO, ADD], llm(fake), {"request": "x"}, Refusing()
    )
    offered = fake.requests_to("/chat/completions")[0]["json"]["tools"]
    assert [tool["function"]["name"] for tool in offered] == [ECHO.function_name]


def test_invalid_arguments_reach_the_agent_as_a_failure_not_a_crash(fake, engine, scope):
    spec = stdio_spec(scope)

    class Validating(crew_runner.ToolGate):
        def execute(self, tool, arguments):
            # The engine validates against the server's schema before sending.
            return crew_runner.tool_result_text(engine.call_tool(spec, tool.name, arguments))

    fake.queue_chat(tool_call(ADD, {"a": 1, "b": 2}))
    fake.queue_chat({"content": "ok"})
    with pytest.raises(InvalidArguments):
        engine.call_tool(spec, "add", {"a": "one", "b": 2})
    result = crew_runner.run_crew(
        one_agent_crew(), [ADD], llm(fake), {"request": "add"}, Validating()
    )
    assert result.answer == "ok"
    gate = Validating()
    assert gate.call(ADD, {"a": "one", "b": 2}).startswith("Tool add failed: Invalid arguments")


def test_a_pending_approval_pauses_every_further_call(fake, engine, scope):
    spec = stdio_spec(scope)
    delete = crew_runner.ToolSpec(
        "1:delete_record",
        "delete_record",
        "Delete a record",
        {"type": "object", "properties": {"record_id": {"type": "integer"}}},
    )
    gate = EngineGate(engine, spec, destructive=("delete_record",))
    fake.queue_chat(tool_call(delete, {"record_id": 7}))
    fake.queue_chat(tool_call(ECHO, {"text": "sneaky"}, "call_2"))
    fake.queue_chat({"content": "Waiting for approval."})
    crew = one_agent_crew(tools=("1:delete_record", "1:echo"))
    result = crew_runner.run_crew(crew, [delete, ECHO], llm(fake), {"request": "delete 7"}, gate)
    assert result.answer == "Waiting for approval."
    # Nothing ran: neither the destructive call nor the one attempted after it.
    assert gate.steps == [("delete_record", {"record_id": 7}, "pending_approval")]
    third = fake.requests_to("/chat/completions")[2]["json"]["messages"]
    assert "Not run: tool delete_record waits for a human approval" in third[-1]["content"]


def test_unreachable_llm_fails_fast_with_a_clear_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = crew_runner.LlmSettings(
        "fake-chat", "http://127.0.0.1:%d/v1" % port, SECRET, timeout=2
    )
    started = time.monotonic()
    with pytest.raises(LlmUnavailable) as caught:
        crew_runner.run_crew(
            one_agent_crew(), [ECHO], settings, {"request": "hi"}, crew_runner.ToolGate()
        )
    # Refused at once; the bound only proves nothing hangs (a busy machine included).
    assert time.monotonic() - started < 30
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    "failure", [{"garbage": True}, {"status": 401}, {"status": 500}, {"delay": 20}]
)
def test_misbehaving_llm_raises_llm_unavailable_without_the_key(fake, failure):
    fake.set_failure(**failure)
    started = time.monotonic()
    with pytest.raises(LlmUnavailable) as caught:
        crew_runner.run_crew(
            one_agent_crew(),
            [ECHO],
            llm(fake, timeout=1.5),
            {"request": "hi"},
            crew_runner.ToolGate(),
        )
    # Cut by the 1.5 s timeout, not the 20 s delay (room for a busy machine).
    assert time.monotonic() - started < 12
    # The fake echoes the Authorization header in its failure bodies.
    assert SECRET not in str(caught.value)


def test_crew_specs_are_checked_before_anything_runs():
    agent = crew_runner.AgentSpec("A", "g", "b")
    bad_specs = [
        crew_runner.CrewSpec("x", (agent,), (crew_runner.TaskSpec("t", "o", 1),)),
        crew_runner.CrewSpec("x", (agent,), (crew_runner.TaskSpec("t", "o", 0, (0,)),)),
        crew_runner.CrewSpec("x", (agent,), ()),
        crew_runner.CrewSpec("x", (agent,), (crew_runner.TaskSpec("t", "o", 0),), "parallel"),
    ]
    for spec in bad_specs:
        with pytest.raises(McpCrewError):
            spec.validate()
    with pytest.raises(LlmUnavailable, match="no LLM model"):
        crew_runner.LlmSettings("").validate()


def test_function_names_are_safe_and_unique():
    first = crew_runner.ToolSpec("1:get weather/now", "get weather/now", "", {})
    second = crew_runner.ToolSpec("2:get weather/now", "get weather/now", "", {})
    assert first.function_name != second.function_name
    assert first.function_name.startswith("get_weather_now_")
    long_name = crew_runner.ToolSpec("3:" + "x" * 100, "x" * 100, "", {})
    assert len(long_name.function_name) <= 64


def test_tool_result_text_prefers_structured_content_and_marks_errors():
    assert crew_runner.tool_result_text({"structured_content": {"sum": 3}, "text": "3"}) == (
        '{"sum": 3}'
    )
    text = crew_runner.tool_result_text(
        {"structured_content": None, "text": "boom", "is_error": True}
    )
    assert text == "The tool reported an error: boom"
    long = crew_runner.tool_result_text({"structured_content": None, "text": "y" * 50}, limit=10)
    assert long == "y" * 10 + " […]"


def test_the_api_key_never_reaches_a_log_line(fake, caplog):
    # caplog's handler sits on the root logger, like Odoo's handlers.
    caplog.set_level(logging.DEBUG)
    fake.set_failure(status=401)  # the fake echoes the Authorization header
    with pytest.raises(LlmUnavailable):
        crew_runner.run_crew(
            one_agent_crew(), [ECHO], llm(fake), {"request": "hi"}, crew_runner.ToolGate()
        )
    handler = caplog.handler
    logged = "\n".join(handler.format(record) for record in caplog.records)
    assert "401" in logged  # CrewAI did log the failed response...
    assert SECRET not in logged  # ...without the key.
    assert "approximate input token count" not in logged


class _CountingGate(crew_runner.ToolGate):
    def __init__(self):
        super().__init__()
        self.executed = []

    def execute(self, tool, arguments):
        self.executed.append(tool.name)
        return "result %d" % len(self.executed)


def test_a_repeated_call_runs_once_unless_the_tool_only_reads():
    """A write asked for twice in a run runs once (the second call reads the first
    result); a read-only tool asked again reads again, as a write may have come
    in between."""
    read = dataclasses.replace(ECHO, read_only=True)
    gate = _CountingGate()
    assert gate.call(ADD, {"a": 1, "b": 2}) == "result 1"
    assert gate.call(read, {"text": "stock"}) == "result 2"
    assert gate.call(ADD, {"a": 1, "b": 2}) == "result 1"
    assert gate.call(read, {"text": "stock"}) == "result 3"
    assert gate.executed == ["add", "echo", "echo"]
    assert gate.calls == 4
