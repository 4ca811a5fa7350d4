"""The call state machine: what the grader accepts from the worker, frame by frame.

An import request may be answered by import notes (bounded in number, module names checked)
and then one import result, all on the worker's control pipe. A call request may be answered,
on the response pipe, by callback requests (each answered at once, bounded in number) and one
answer per call, in order; then, on the control pipe, by how the call's process ended. Nothing
else is accepted: anything unexpected is a WireError ("protocol"), after which the worker is
replaced. No frame can add time: a deadline is fixed when the request is sent, except that an
import request's further modules (``also``) each get an import's time from their start note,
at most once each and never past the time the request was given in all.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from grader.sandbox import worker as _wire
from grader.sandbox.process import Output, WorkerProcess, decode
from grader.sandbox.worker import WireError

MAX_NOTES = 256  # import notes per import request
MAX_DEPTH = 64  # modules being imported inside one another
MAX_MESSAGE = 2000
MAX_TB_LINES = 15
MODULE = re.compile(r"^exercises(\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,4}$")
STATUSES = ("ok", "exception", "import", "missing", "protocol")


def text(control: dict, key: str, *, lines: int | None = None) -> str:
    value = control.get(key, "")
    if type(value) is not str:
        return ""
    if lines is not None:
        value = "\n".join(value.splitlines()[-lines:])
        return value[-MAX_MESSAGE:]
    return value[:MAX_MESSAGE]


@dataclass
class Imported:
    """How an import request ended."""

    status: str  # ok | missing | failed | timeout | died
    error: str = ""
    traceback: str = ""
    culprit: str = ""  # the innermost module being imported when it hung or died
    fatal: bool = False  # the worker cannot be forked from any more
    failed: dict = field(default_factory=dict)  # module -> (error, traceback) from notes
    done: set = field(default_factory=set)  # modules imported (at any depth)
    printed: set = field(default_factory=set)  # ``also`` modules that printed at import


def _cpu(value) -> float:
    """The worker's CPU figure for a call: advice only (a student may forge it), bounded."""
    if type(value) is not float or not 0.0 <= value < 1e6:
        return 0.0
    return value


def settle(proc: WorkerProcess, sink: Output) -> bool:
    """Take the end of the last call request, whose answers all came back; False when the
    worker did anything else (it is then replaced: no call is blamed for it)."""
    from grader.sandbox.process import Died, Timeout

    if proc.owed is None:
        return True
    deadline, proc.owed = proc.owed, None
    try:
        pipe, frame = proc.next_frame(deadline, sink)
        if pipe != "ctl":
            return False
        control, values = decode(frame)
        if values or control.get("end") not in ("exit", "signal", "timeout"):
            return False
        return proc.pending_resp() is None and proc.resp.idle()
    except (Timeout, Died, WireError):
        return False


def run_import(proc: WorkerProcess, fullname: str, deadline: float, sink: Output,
               also: tuple = (), each: float = 0.0, end: float = 0.0) -> Imported:
    """Import ``fullname`` in the worker, then the modules ``also`` (see the worker's
    ``do_import``). Each ``also`` module gets ``each`` seconds from its start (not beyond
    ``end``), as if imported on its own: a start note moves the deadline on at most once per
    module, so a forged note can move time between them, never add any."""
    from grader.sandbox.process import Died, Timeout

    stack: list[str] = []
    failed: dict = {}
    done: set = set()
    printed: set = set()
    moves = len(also)
    notes = 0
    request = {"op": "import", "module": fullname}
    if also:
        request["also"] = list(also)
    try:
        proc.write(_wire.encode(request), deadline, sink)
        while True:
            pipe, frame = proc.next_frame(deadline, sink)
            if pipe != "ctl":
                raise WireError("the worker sent an answer while importing")
            control, values = decode(frame)
            if values:
                raise WireError("unexpected values from the worker")
            note = control.get("note")
            if note is not None:
                notes += 1
                module = control.get("module")
                if notes > MAX_NOTES:
                    raise WireError(f"more than {MAX_NOTES} import notes")
                if note not in ("start", "done", "fail", "printed") or type(module) is not str \
                        or not MODULE.match(module):
                    raise WireError("malformed note from the worker")
                if note == "printed":
                    printed.add(module)
                    continue
                if note == "start":
                    if len(stack) >= MAX_DEPTH:
                        raise WireError("imports nested too deeply")
                    if not stack and module in also and moves:
                        moves -= 1
                        deadline = min(max(deadline, time.monotonic() + each), end)
                    stack.append(module)
                    continue
                if stack and stack[-1] == module:
                    stack.pop()
                    if note == "done":
                        done.add(module)
                if note == "fail":
                    failed[module] = (text(control, "error"),
                                      text(control, "traceback", lines=MAX_TB_LINES))
                continue
            status = control.get("import")
            if status not in ("ok", "missing", "failed"):
                raise WireError("unexpected message from the worker")
            proc.drain(sink)  # printed before the answer: already in the pipe
            return Imported(status, text(control, "error"),
                            text(control, "traceback", lines=MAX_TB_LINES),
                            fatal=control.get("fatal") is True, failed=failed, done=done,
                            printed=printed)
    except Timeout:
        return Imported("timeout", culprit=stack[-1] if stack else fullname, failed=failed,
                        done=done, printed=printed)
    except Died:
        return Imported("died", culprit=stack[-1] if stack else fullname, failed=failed,
                        done=done, printed=printed)


@dataclass
class Answer:
    """One call's answer as it came back (before the sandbox makes it a CallResult)."""

    status: str
    value: object = None
    args_after: tuple | None = None
    error: str = ""
    traceback: str = ""
    stdout: str = ""
    seconds: float = 0.0
    warnings: tuple = ()
    cpu: float = 0.0  # CPU seconds the call itself used, as the worker measured them


@dataclass
class Batch:
    """The calls of one request, and what is known so far."""

    calls: list  # (module, function, args, return_args)
    tables: list  # per call: token -> Callback
    helpers: dict  # token -> host callable (valid for the whole request)
    answers: list = field(default_factory=list)
    end: dict | None = None  # how the call's process ended, from the worker
    callbacks: int = 0
    max_callbacks: int = 200_000
    leftover: str = ""  # printed after the last answer (by the call that did not answer)
    seconds_left: float = 0.0  # wall time since the last answer


def run_calls(proc: WorkerProcess, batch: Batch, frame: list, backstop: float,
              output_bytes: int, answer_callback) -> None:
    """Send one call request and follow it until every call has answered, or to its end
    (``batch.end``), filling ``batch.answers``. Raises Timeout (backstop), Died, or
    WireError; answers that arrived before stay in ``batch.answers``.

    Once every call has answered, the grader goes on while the worker reaps the process:
    ``proc.owed`` then holds the deadline for its end, which ``settle`` takes before the
    worker is used again."""
    n = len(batch.calls)
    sink = Output(output_bytes)
    started = time.monotonic()
    proc.write(frame, backstop, sink)

    def current_tokens(key, token):
        i = len(batch.answers)
        if i < n:
            found = batch.tables[i].get(token)
            if found is not None:
                return found
        found = batch.helpers.get(token)
        if found is not None and key in ("args", "kwargs"):
            return found
        raise WireError("the worker named a function that is not part of this call")

    def reply_tokens(key, token):
        i = len(batch.answers)
        found = batch.tables[i].get(token) if key == "args" else None
        if found is None:
            raise WireError("the worker sent back a function that was not passed to it")
        return found

    def on_resp(frame, live: bool) -> None:
        nonlocal sink, started
        header = bytes(frame[0][:64])
        if header.startswith(b'{"cb":'):
            batch.callbacks += 1
            if batch.callbacks > batch.max_callbacks + 1000:
                raise WireError(f"more than {batch.max_callbacks} callbacks in one request")
            control, values = decode(frame, current_tokens if len(batch.answers) < n else None)
            if len(batch.answers) >= n:
                raise WireError("a callback after the last answer")
            token = control.get("cb")
            if type(token) is not str:
                raise WireError("malformed callback")
            if live:  # after the process ended nobody waits for the answer
                proc.write(answer_callback(batch, token, values), backstop, sink)
            return
        if len(batch.answers) >= n:
            raise WireError("the worker sent more answers than calls")
        control, values = decode(frame, reply_tokens)
        status = control.get("status")
        if status not in STATUSES:
            raise WireError("the worker sent an unknown status")
        now = time.monotonic()
        proc.drain(sink)
        answer = Answer(status, error=text(control, "error"),
                        traceback=text(control, "traceback", lines=MAX_TB_LINES),
                        stdout=sink.text(), seconds=now - started,
                        cpu=_cpu(control.get("cpu")))
        if status == "ok":
            args = values.get("args")
            caught = control.get("warnings")
            answer.value = values.get("value")
            answer.args_after = args if type(args) is tuple else None
            answer.warnings = tuple(w[:200] for w in caught[:5] if type(w) is str) \
                if type(caught) is list else ()
        batch.answers.append(answer)
        sink, started = Output(output_bytes), now

    try:
        while len(batch.answers) < n:
            pipe, frame = proc.next_frame(backstop, sink)
            if pipe == "resp":
                on_resp(frame, True)
                continue
            control, values = decode(frame)
            end = control.get("end")
            if values or end not in ("exit", "signal", "timeout"):
                raise WireError("unexpected message from the worker")
            # The call's process is gone: what it wrote is already in the pipes.
            while (frame := proc.pending_resp()) is not None:
                on_resp(frame, False)
            if not proc.resp.idle():
                raise WireError("an answer from the worker was cut off")
            batch.end = control
            return
        proc.owed = backstop
    finally:
        proc.drain(sink)
        batch.leftover = sink.text()
        batch.seconds_left = time.monotonic() - started
