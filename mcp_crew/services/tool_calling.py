"""How a model calls tools, and whether what it answered is an answer at all.

Models reached over an OpenAI-compatible API call tools in one of two ways:

* ``native``: OpenAI ``tool_calls`` in the assistant message (hosted models,
  vLLM and llama.cpp with models whose template supports it);
* ``text``: CrewAI's ReAct format (``Thought`` / ``Action`` / ``Action Input``
  written in the message), which any instruction-following model can follow.

Many small local models (Qwen2.5-Coder under llama.cpp, for one) are offered
OpenAI tools yet *write* the call into the message content as JSON, with
``tool_calls`` empty. CrewAI then takes that JSON for the final answer. In
``auto`` mode the crew runner spots such an answer — a call to one of the tools
it offered, written as text — and runs the crew again in ``text`` mode,
remembering the choice for that model (:class:`ToolCallingMemory`).

Whatever the mode, :func:`unusable_answer` rejects an answer that is a raw tool
call, empty, or the model's ReAct scaffolding, so such a run never counts as
done.
"""

import json
import re
import threading

AUTO, NATIVE, TEXT = "auto", "native", "text"
MODES = (AUTO, NATIVE, TEXT)

# A fenced block (```json … ```) or a Qwen/Hermes <tool_call> … </tool_call> wrapper.
_FENCE = re.compile(r"^```[\w-]*\s*(.*?)\s*```$", re.DOTALL)
_TOOL_CALL_TAG = re.compile(r"^<tool_call>\s*(.*?)\s*(?:</tool_call>)?$", re.DOTALL)
# ReAct lines CrewAI asks text-mode models to write; the final answer is the one
# line that may legitimately stay.
_SCAFFOLDING_LINE = re.compile(
    r"^\s*(?:Thought|Action|Action Input|Observation)\s*:", re.IGNORECASE | re.MULTILINE
)
_FINAL_ANSWER = re.compile(r"^\s*Final Answer\s*:\s*", re.IGNORECASE | re.MULTILINE)


class UnusableAnswer:
    """Why an answer is not one: ``kind`` (``empty``, ``tool_call``,
    ``scaffolding``), the tool written as text if any, and a sentence for users."""

    __slots__ = ("kind", "tool_name", "offered", "message")

    def __init__(self, kind, message, tool_name="", offered=False):
        self.kind = kind
        self.message = message
        self.tool_name = tool_name
        self.offered = offered

    def __repr__(self):
        return "UnusableAnswer(%r, %r)" % (self.kind, self.message)


def unusable_answer(answer, offered_names=(), tool_results=()):
    """An :class:`UnusableAnswer` when ``answer`` is no answer, else ``None``.

    ``offered_names``: the function names (and plain names) of the tools the
    crew's agents were given; a written call to one of them is the signature of
    a model that needs the ``text`` tool format. ``tool_results``: what the
    tools answered during the run; handing one back unchanged answers nothing.
    """
    text = (answer or "").strip()
    if not text:
        return UnusableAnswer("empty", "the model returned an empty answer")
    if any(_same_content(text, result) for result in tool_results):
        return UnusableAnswer(
            "tool_result", "the model returned a tool's raw result instead of an answer"
        )
    call = _written_tool_call(text)
    if call is not None:
        name = call["name"]
        offered = name in set(offered_names)
        what = "a call to the tool %s" % name if offered else "a tool call (%s)" % name
        return UnusableAnswer(
            "tool_call",
            "the model wrote %s as its answer instead of calling it" % what,
            tool_name=name,
            offered=offered,
        )
    without_final = _FINAL_ANSWER.sub("", text)
    if _SCAFFOLDING_LINE.search(text) and not _prose_outside_scaffolding(without_final):
        return UnusableAnswer(
            "scaffolding",
            "the model answered with its reasoning steps (Thought/Action) and no final answer",
        )
    return None


def _same_content(answer, result):
    """Whether ``answer`` is ``result``'s structured content (a JSON object or list),
    fenced or re-serialised. Plain text may rightly be the answer (an echo, a
    sentence a tool wrote for people)."""
    try:
        left, right = json.loads(_unfenced(answer)), json.loads(_unfenced(result or ""))
    except ValueError:
        return False
    return isinstance(right, (dict, list)) and left == right


def _unfenced(text):
    text = text.strip()
    match = _FENCE.match(text)
    return match.group(1).strip() if match else text


def _written_tool_call(text):
    """The ``{"name", "arguments"}`` the text consists of, or ``None``."""
    body = text
    for wrapper in (_FENCE, _TOOL_CALL_TAG):
        match = wrapper.match(body)
        if match:
            body = match.group(1).strip()
    if not body.startswith(("{", "[")):
        return None
    try:
        value = json.loads(body)
    except ValueError:
        return None
    if isinstance(value, list) and len(value) >= 1:
        value = value[0]
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("function"), dict):  # an OpenAI tool_calls entry, pasted
        value = value["function"]
    name = value.get("name")
    has_arguments = any(key in value for key in ("arguments", "parameters", "args"))
    if isinstance(name, str) and name and has_arguments and len(value) <= 3:
        return {"name": name}
    return None


def _prose_outside_scaffolding(text):
    """Whether some line is neither a ReAct label line nor its JSON input."""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or _SCAFFOLDING_LINE.match(stripped):
            continue
        if stripped.startswith(("{", "}", "[", "]", '"', "```")):
            continue
        return True
    return False


class ToolCallingMemory:
    """The mode learnt for each model (by endpoint and name), shared by threads.

    The adapter may persist :meth:`learnt` choices (Odoo keeps them in a system
    parameter shared by its workers) and feed them back with :meth:`restore`.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._modes = {}

    @staticmethod
    def key(base_url, model):
        return "%s|%s" % ((base_url or "").rstrip("/"), model)

    def mode_for(self, base_url, model, configured):
        """The mode to run with: ``configured`` unless it is auto and a mode was learnt."""
        if configured != AUTO:
            return configured
        with self._lock:
            return self._modes.get(self.key(base_url, model), NATIVE)

    def remember(self, base_url, model, mode):
        self.restore(self.key(base_url, model), mode)

    def restore(self, key, mode):
        """Keep ``mode`` under a :meth:`key` read back from :meth:`learnt`."""
        with self._lock:
            self._modes[key] = mode

    def learnt(self):
        with self._lock:
            return dict(self._modes)


MEMORY = ToolCallingMemory()
