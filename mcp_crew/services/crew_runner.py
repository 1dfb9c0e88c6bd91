"""Crews run with CrewAI, their MCP tools behind one gate.

The adapter describes a crew in plain values (:class:`CrewSpec`, agents,
tasks, the tools each agent may use) and hands over a :class:`ToolGate`; this
module builds the CrewAI objects, runs the crew against an OpenAI-compatible
LLM and returns the answer with the token usage.

Every tool call an agent makes goes through ``ToolGate.call``: the adapter
validates, asks for approval, calls the MCP server over the addon's own pooled
sessions (never ``Agent(mcps=...)``, which reconnects per call) and records an
audit step. CrewAI may run tool calls in parallel threads; the gate serialises
them, so the adapter's database cursor is only ever used by one thread.

CrewAI is imported on first use (about 3 s and 150 MiB), with its telemetry and
version check switched off before the import.
"""

import dataclasses
import hashlib
import json
import logging
import os
import re
import threading
import warnings

from . import redaction, text, tool_calling
from .errors import LlmAnswerUnusable, LlmUnavailable, McpCrewError

_logger = logging.getLogger(__name__)

PROCESSES = ("sequential", "hierarchical")
_CREWAI_ENVIRONMENT = {
    "CREWAI_DISABLE_TELEMETRY": "true",
    "CREWAI_DISABLE_VERSION_CHECK": "true",
    "OTEL_SDK_DISABLED": "true",
    "CREWAI_TRACING_ENABLED": "false",
}
# OpenAI function names: letters, digits, "_" and "-", at most 64.
_TOOL_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_crewai = None
_import_lock = threading.Lock()


@dataclasses.dataclass(frozen=True)
class LlmSettings:
    model: str
    base_url: str = ""
    api_key: str = ""
    timeout: float = 60.0
    temperature: float = 0.2
    max_tokens: int = 0
    # How the model calls tools: tool_calling.NATIVE, TEXT or AUTO (see that module).
    tool_calling: str = tool_calling.AUTO

    def validate(self):
        if not self.model:
            raise LlmUnavailable("no LLM model is configured")
        if self.tool_calling not in tool_calling.MODES:
            raise McpCrewError(
                "unknown tool calling mode %r (use one of %s)"
                % (self.tool_calling, ", ".join(tool_calling.MODES))
            )


@dataclasses.dataclass(frozen=True)
class ToolSpec:
    """A discovered MCP tool as agents see it; ``ident`` is the adapter's key."""

    ident: str
    name: str
    description: str
    input_schema: dict
    # The server says the tool changes nothing (MCP readOnlyHint): asking again
    # reads again (see ToolGate.call).
    read_only: bool = False

    @property
    def function_name(self):
        """A name every OpenAI-compatible API accepts, unique per ``ident``."""
        safe = _TOOL_NAME_UNSAFE.sub("_", self.name).strip("_") or "tool"
        suffix = hashlib.sha1(self.ident.encode()).hexdigest()[:6]
        return "%s_%s" % (safe[:57], suffix)


@dataclasses.dataclass(frozen=True)
class AgentSpec:
    role: str
    goal: str
    backstory: str
    tools: tuple = ()  # ToolSpec.ident values
    allow_delegation: bool = False
    max_iterations: int = 8


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    description: str
    expected_output: str
    agent: int  # index into CrewSpec.agents
    context: tuple = ()  # indexes of earlier tasks whose output this one reads


@dataclasses.dataclass(frozen=True)
class CrewSpec:
    name: str
    agents: tuple
    tasks: tuple
    process: str = "sequential"

    def validate(self):
        if self.process not in PROCESSES:
            raise McpCrewError("crew %s: unknown process %r" % (self.name, self.process))
        if not self.agents or not self.tasks:
            raise McpCrewError("crew %s needs at least one agent and one task" % self.name)
        for index, task in enumerate(self.tasks):
            if not 0 <= task.agent < len(self.agents):
                raise McpCrewError("crew %s: task %d has no agent" % (self.name, index + 1))
            if any(not 0 <= earlier < index for earlier in task.context):
                raise McpCrewError(
                    "crew %s: task %d may only read earlier tasks" % (self.name, index + 1)
                )


@dataclasses.dataclass(frozen=True)
class CrewResult:
    answer: str
    usage: dict
    task_outputs: tuple
    # The tool format the answer was obtained with, and whether auto mode learnt it now.
    tool_calling: str = tool_calling.NATIVE
    learnt_tool_calling: bool = False
    # Whether the answer came in another language and was rewritten in the request's.
    rewritten_in: str = ""


class ToolGate:
    """The one door between agents and MCP tools.

    Subclasses implement :meth:`execute`, returning the text the agent reads.
    Once :meth:`pause` is called (an approval is pending) every further call is
    refused with a message that tells the agent to stop. A call repeated with
    the same arguments in one run (an agent asking again, or a second pass told
    what ran) gets the first one's result, as a write must not run twice; a
    read-only tool's runs again, as what it reads may have changed since.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self.paused_reason = None
        self.calls = 0
        self.done = []  # (tool, arguments, result) of each call that ran, in order

    @property
    def results(self):
        """What the tools answered, to tell an answer from a copy of one."""
        return [result for _tool, _arguments, result in self.done]

    def call(self, tool, arguments):
        with self._lock:
            self.calls += 1
            if self.paused_reason:
                return "Not run: %s. Stop now and report that." % self.paused_reason
            earlier = None if tool.read_only else self._earlier_result(tool, arguments)
            if earlier is not None:
                return earlier
            try:
                result = self.execute(tool, arguments)
            except McpCrewError as err:
                # The agent reads the failure and may try something else.
                return "Tool %s failed: %s" % (tool.name, err)
            self.done.append((tool, arguments, result))
            return result

    def _earlier_result(self, tool, arguments):
        """What the same call answered earlier in this run (``None`` if it did not run)."""
        return next(
            (
                result
                for done, done_arguments, result in self.done
                if done.ident == tool.ident and done_arguments == arguments
            ),
            None,
        )

    def execute(self, tool, arguments):
        raise NotImplementedError

    def pause(self, reason):
        self.paused_reason = reason


def crewai():
    """The crewai module, imported once with its network side effects off."""
    global _crewai
    if _crewai is None:
        with _import_lock:
            if _crewai is None:
                for name, value in _CREWAI_ENVIRONMENT.items():
                    os.environ.setdefault(name, value)
                # CrewAI warns about its own internals on every run; not ours to act on.
                warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"crewai\b")
                import crewai as module  # noqa: PLC0415 - deliberately lazy, see module doc

                # Said on every call to a model LiteLLM does not know: noise.
                logging.getLogger("crewai.llms.base_llm").addFilter(
                    lambda record: "approximate input token count" not in record.getMessage()
                )
                _crewai = module
    return _crewai


# The languages crews answer in, by the router's code of the request's language
# (named for the model, which reads the prompts in English).
LANGUAGE_NAMES = {"pt": "Portuguese (português do Brasil)", "en": "English"}
# A one-word tool name marked as one: "the add tool", "ferramenta add", `add`.
_ONE_WORD_TOOL = r"(?:\b(?:tool|ferramenta)\s+|[`'\"])%(name)s\b|\b%(name)s(?:\s+tool\b|[`'\"])"
# The longest rewritten answer, when the LLM settings set no maximum.
_REWRITE_TOKENS = 1024
REWRITE_INSTRUCTIONS = (
    "Rewrite the user's text in %s. Keep its meaning, every number, name and code "
    "exactly. Reply with the rewritten text only."
)


def run_crew(
    spec, tools, llm_settings, inputs, gate, memory=tool_calling.MEMORY, answer_language=""
):
    """Run ``spec`` with ``inputs`` (a dict interpolated into task texts).

    ``tools``: the :class:`ToolSpec` objects agents may use, by ident.
    Raises :class:`LlmUnavailable` when the LLM cannot be reached or answers
    garbage (the message never contains the API key), and
    :class:`LlmAnswerUnusable` when its final answer is no answer (a tool call
    written as text, empty, scaffolding). In ``auto`` tool calling, a model that
    writes a call to an offered tool as text before any tool ran is asked again
    in the text format, and ``memory`` keeps that choice for the model.
    ``answer_language`` (a code of :data:`LANGUAGE_NAMES`, e.g. ``pt``) is the
    language every task must answer in: the request's, whatever the crew's texts
    are in. A final answer written in the other one anyway (small models drift
    into English after reading a tool's result) is rewritten in it.
    """
    spec.validate()
    tools = list(tools)
    spec = _answering_in(spec, LANGUAGE_NAMES.get(answer_language, ""))
    named = named_tools(inputs.get("request", ""), tools)
    spec = _calling_named(spec, named)
    llm_settings.validate()
    redaction.protect(llm_settings.api_key)
    offered = {tool.function_name for tool in tools} | {tool.name for tool in tools}
    mode = memory.mode_for(llm_settings.base_url, llm_settings.model, llm_settings.tool_calling)
    result = _kickoff(spec, tools, llm_settings, inputs, gate, mode)
    problem = tool_calling.unusable_answer(result.answer, offered, gate.results)
    learnt = False
    if (
        problem
        and problem.offered
        and llm_settings.tool_calling == tool_calling.AUTO
        and mode == tool_calling.NATIVE
        and not gate.calls
    ):
        # No tool ran yet, so asking again cannot repeat any side effect.
        _logger.info(
            "mcp_crew: model %s writes tool calls as text; using the text tool format for it",
            llm_settings.model,
        )
        memory.remember(llm_settings.base_url, llm_settings.model, tool_calling.TEXT)
        mode, learnt = tool_calling.TEXT, True
        first_usage = result.usage
        result = _kickoff(spec, tools, llm_settings, inputs, gate, mode)
        result = dataclasses.replace(result, usage=_add_usage(first_usage, result.usage))
        problem = tool_calling.unusable_answer(result.answer, offered, gate.results)
    if problem:
        raise LlmAnswerUnusable(
            llm_settings.model,
            problem.message,
            _remedy(problem, mode),
            kind=problem.kind,
            usage=result.usage,
        )
    result = dataclasses.replace(result, tool_calling=mode, learnt_tool_calling=learnt)
    result = _with_named_tools_called(
        result,
        spec,
        named,
        gate,
        offered,
        lambda again: _kickoff(again, tools, llm_settings, inputs, gate, mode),
    )
    return _in_language(result, answer_language, llm_settings)


def _with_named_tools_called(result, spec, named, gate, offered, kickoff):
    """``result``, or, when the crew answered without calling a tool the request
    named (small models stop after one), the answer of one more pass
    (``kickoff(spec)``) told what is done and which tools are left; a call it
    repeats gets its first result (see :class:`ToolGate`). A pass that fails or
    gives no usable answer leaves ``result`` as it was: it is still the crew's
    answer."""
    called = {tool.ident for tool, _arguments, _result in gate.done}
    left = [tool for tool in named if tool.ident not in called]
    if not left or gate.paused_reason:
        return result
    done = "; ".join(
        "%s(%s) returned %s" % (tool.function_name, json.dumps(arguments), answer[:1000])
        for tool, arguments, answer in gate.done
    )
    note = (
        "Done so far: %s. Draft answer: %s\nStill to do: call %s, then give the whole answer."
        % (
            done or "nothing",
            result.answer[:1000],
            ", ".join(tool.function_name for tool in left),
        )
    )
    try:
        second = kickoff(_with_task_notes(spec, lambda task: note))
    except McpCrewError as err:
        _logger.warning("mcp_crew: the pass for the tools the request named failed: %s", err)
        return result
    usage = _add_usage(result.usage, second.usage)
    if tool_calling.unusable_answer(second.answer, offered, gate.results):
        return dataclasses.replace(result, usage=usage)
    return dataclasses.replace(
        second,
        usage=usage,
        tool_calling=result.tool_calling,
        learnt_tool_calling=result.learnt_tool_calling,
    )


def _in_language(result, language, llm_settings):
    """``result`` with its answer in ``language`` (a code of
    :data:`LANGUAGE_NAMES`): rewritten by one completion when its words say it
    is in another. A failed rewrite keeps the answer as it was (it is still the
    crew's answer), logged."""
    name = LANGUAGE_NAMES.get(language)
    if not name or text.detect_language(result.answer, default=language) == language:
        return result
    messages = [
        {"role": "system", "content": REWRITE_INSTRUCTIONS % name},
        {"role": "user", "content": result.answer},
    ]
    try:
        rewritten, usage = complete(
            llm_settings, messages, max_tokens=llm_settings.max_tokens or _REWRITE_TOKENS
        )
    except LlmUnavailable as err:
        _logger.warning("mcp_crew: the answer stays in another language than asked: %s", err)
        return result
    if not rewritten:
        return result
    return dataclasses.replace(
        result,
        answer=rewritten,
        usage=_add_usage(result.usage, usage),
        rewritten_in=language,
    )


def complete(llm_settings, messages, max_tokens=8, timeout=None):
    """One short chat completion of ``messages``, no crew and no tools (the router's
    LLM classification): ``(reply text, usage)``.

    ``max_tokens`` caps the reply and ``timeout`` (seconds, at most the LLM's own)
    the wait. Raises :class:`LlmUnavailable` like a crew run would.
    """
    llm_settings.validate()
    redaction.protect(llm_settings.api_key)
    settings = dataclasses.replace(
        llm_settings,
        temperature=0.0,
        max_tokens=max_tokens,
        timeout=min(timeout or llm_settings.timeout, llm_settings.timeout),
    )
    llm = _build_llm(crewai(), settings)
    try:
        reply = llm.call(messages)
    except McpCrewError:
        raise
    except Exception as err:  # noqa: BLE001 - CrewAI/LiteLLM raise anything; map once here
        raise LlmUnavailable(_safe_reason(err)) from err
    return str(reply or "").strip(), _usage(llm.get_token_usage_summary())


def _answering_in(spec, language):
    """``spec`` whose agents are told, in their system prompt, to answer in
    ``language``, and whose tasks each ask for their output in it (small models
    otherwise answer in the language of the crew's prompts, English)."""
    if not language:
        return spec
    agents = tuple(
        dataclasses.replace(agent, goal="%s Always answer in %s." % (agent.goal, language))
        for agent in spec.agents
    )
    tasks = tuple(
        dataclasses.replace(
            task,
            description="%s\n\nAnswer in %s." % (task.description, language),
            expected_output="%s Write it in %s." % (task.expected_output, language),
        )
        for task in spec.tasks
    )
    return dataclasses.replace(spec, agents=agents, tasks=tasks)


def named_tools(request, tools):
    """The ``tools`` (:class:`ToolSpec`) that ``request`` names, in the order it
    names them (a crew told to call them calls them in that order: the offers
    before the rate that converts them).

    A name of several words (``supplier_offers``) is named by its words, its
    underscores read as spaces or not, a plural ``s`` allowed ("use the supplier
    offers and the exchange rate"). A one-word name is an everyday word ("add a
    contact"): it counts only marked as a tool's ("the add tool", "a ferramenta
    add", "`add`").
    """
    words = " %s " % text.normalize_text(request)
    folded = text.strip_accents(request).lower()
    named = []
    for tool in tools:
        parts = text.words(tool.name)
        if len(parts) > 1:
            within = words
            found = re.search(r" %ss? " % re.escape(" ".join(parts)), within)
        else:
            within = folded
            found = parts and re.search(_ONE_WORD_TOOL % {"name": re.escape(parts[0])}, within)
        if found:
            # Where in the request, as a share of its length: the two spellings
            # searched are not the same length.
            named.append((found.start() / len(within), tool))
    return [tool for _where, tool in sorted(named, key=lambda pair: pair[0])]


def _calling_named(spec, tools):
    """``spec`` whose tasks tell their agent to call each tool of ``tools`` it is
    offered: a request that says which tools to use means it (small models stop
    after the first tool, or answer without one)."""

    def note(task):
        offered = set(spec.agents[task.agent].tools)
        names = [tool.function_name for tool in tools if tool.ident in offered]
        if not names:
            return ""
        return (
            "The request names these tools: %s. Call each of them, in this order, and use "
            "what they return." % ", ".join(names)
        )

    return _with_task_notes(spec, note) if tools else spec


def _with_task_notes(spec, note_of):
    """``spec`` whose tasks' descriptions end with ``note_of(task)`` (none if empty)."""
    tasks = []
    for task in spec.tasks:
        note = note_of(task)
        if note:
            task = dataclasses.replace(task, description="%s\n\n%s" % (task.description, note))
        tasks.append(task)
    return dataclasses.replace(spec, tasks=tuple(tasks))


def _remedy(problem, mode):
    """What an admin can change, for the error message."""
    if problem.kind == "tool_call" and mode == tool_calling.NATIVE:
        return (
            "It does not use OpenAI tool calls: set the LLM's tool calling to "
            "'text' (or 'auto') in the MCP Crew settings."
        )
    if problem.kind == "tool_result":
        return "Try a larger model; the tool's result is in the run's steps."
    if mode == tool_calling.TEXT:
        return (
            "It did not follow the text tool format: try a larger model, or 'native' "
            "tool calling if it supports OpenAI tool calls."
        )
    return "Check the model and its maximum answer length, or try a larger model."


def _kickoff(spec, tools, llm_settings, inputs, gate, mode):
    module = crewai()
    llm = _build_llm(module, llm_settings, text_tools=mode == tool_calling.TEXT)
    by_ident = {tool.ident: tool for tool in tools}
    agents = [
        module.Agent(
            role=agent.role,
            goal=agent.goal,
            backstory=agent.backstory,
            tools=[
                _gated_tool(by_ident[ident], gate) for ident in agent.tools if ident in by_ident
            ],
            allow_delegation=agent.allow_delegation,
            max_iter=agent.max_iterations,
            # A failed LLM call ends the run: each retry would cost another timeout.
            max_retry_limit=0,
            llm=llm,
            verbose=False,
        )
        for agent in spec.agents
    ]
    tasks = []
    for task in spec.tasks:
        tasks.append(
            module.Task(
                description=task.description,
                expected_output=task.expected_output,
                agent=agents[task.agent],
                context=[tasks[index] for index in task.context] or None,
            )
        )
    crew_kwargs = {}
    if spec.process == "hierarchical":
        crew_kwargs["manager_llm"] = llm
    crew = module.Crew(
        agents=agents,
        tasks=tasks,
        process=module.Process(spec.process),
        memory=False,
        verbose=False,
        **crew_kwargs,
    )
    try:
        output = crew.kickoff(inputs=inputs)
    except McpCrewError:
        raise
    except Exception as err:  # noqa: BLE001 - CrewAI/LiteLLM raise anything; map once here
        raise LlmUnavailable(_safe_reason(err)) from err
    return CrewResult(
        answer=str(output.raw or "").strip(),
        usage=_usage(crew.usage_metrics),
        task_outputs=tuple(str(task.raw or "") for task in output.tasks_output),
    )


def _build_llm(module, settings, text_tools=False):
    model = settings.model if "/" in settings.model else "openai/%s" % settings.model
    kwargs = {
        "model": model,
        "temperature": settings.temperature,
        "timeout": settings.timeout,
        # Never retry behind the run's back: the caller's timeout must hold.
        "max_retries": 0,
        # Any non-empty key: local OpenAI-compatible servers often need none.
        "api_key": settings.api_key or "not-needed",
    }
    if settings.base_url:
        kwargs["base_url"] = settings.base_url
    if settings.max_tokens:
        kwargs["max_tokens"] = settings.max_tokens
    llm = module.LLM(**kwargs)
    if text_tools:
        llm.__class__ = _text_tools_class(type(llm))
    return llm


_text_tools_classes = {}


def _text_tools_class(llm_class):
    """``llm_class`` saying it cannot call functions, so CrewAI's agents use their
    ReAct text format (Action / Action Input) and send no OpenAI ``tools``."""
    if llm_class not in _text_tools_classes:
        _text_tools_classes[llm_class] = type(
            "TextTools%s" % llm_class.__name__,
            (llm_class,),
            {"supports_function_calling": lambda self: False},
        )
    return _text_tools_classes[llm_class]


def _gated_tool(tool, gate):
    from crewai.tools import BaseTool  # noqa: PLC0415 - lazy, like crewai()
    from crewai.utilities.pydantic_schema_utils import (  # noqa: PLC0415
        create_model_from_schema,
    )

    schema = dict(tool.input_schema or {"type": "object", "properties": {}})
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})
    args_model = create_model_from_schema(schema, model_name="Args_%s" % tool.function_name)

    class GatedMcpTool(BaseTool):
        def _run(self, **kwargs):
            # Drop what the model left out instead of sending explicit nulls.
            arguments = {key: value for key, value in kwargs.items() if value is not None}
            return gate.call(tool, arguments)

    return GatedMcpTool(
        name=tool.function_name,
        description=tool.description or tool.name,
        args_schema=args_model,
    )


def _usage(metrics):
    if metrics is None:
        return {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0, "requests": 0}
    return {
        "prompt_tokens": int(metrics.prompt_tokens or 0),
        "completion_tokens": int(metrics.completion_tokens or 0),
        "total_tokens": int(metrics.total_tokens or 0),
        "requests": int(metrics.successful_requests or 0),
    }


def _add_usage(first, second):
    return {key: first.get(key, 0) + second.get(key, 0) for key in second}


def _safe_reason(err):
    # Every registered secret out, not only this LLM's key (bodies echo headers).
    reason = redaction.REDACTOR.redact("%s: %s" % (type(err).__name__, err))
    return "the LLM call failed (%s)" % reason[:500]


def tool_result_text(result, limit=4000):
    """What an agent reads of an engine ``call_tool`` result."""
    if result.get("structured_content") is not None:
        body = json.dumps(result["structured_content"], ensure_ascii=False, default=str)
    else:
        body = result.get("text") or json.dumps(result.get("content"), ensure_ascii=False)
    if result.get("is_error"):
        body = "The tool reported an error: %s" % body
    return body if len(body) <= limit else body[:limit] + " […]"
