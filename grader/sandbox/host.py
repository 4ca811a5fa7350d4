"""The public sandbox: import student modules once, run every call in a fresh process.

``Sandbox(root).call("activations", "sigmoid", z)`` has ``exercises.activations`` imported
in a process of its own at its first use (to report how the import goes), then runs the call
in a fresh process forked from the worker, which never runs the submission's code: that
process imports the modules afresh and calls. Nothing a call or an import does (module
globals, files, fds, shared memory, processes, patches of the worker) reaches the next.
Time is charged to a budget key (an exercise) and to the whole submission (see
``grader.limits``). Nothing here runs student code or unpickles what the worker sends.

A Sandbox is not thread-safe; create it in a thread that outlives it (bubblewrap's
--die-with-parent and the fallback's parent-death signal follow the creating thread).
"""
from __future__ import annotations

import itertools
import re
import select
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from grader.limits import Limits
from grader.sandbox import launch as _launch
from grader.sandbox import plan as _plan
from grader.sandbox import worker as _wire
from grader.sandbox.launch import SandboxUnavailable
from grader.sandbox.machine import MODULE, Batch, run_calls, run_import, settle
from grader.sandbox.process import Died, Output, Timeout, WorkerProcess, describe_exit
from grader.sandbox.worker import WireError

__all__ = ["CallResult", "Callback", "Sandbox", "SandboxUnavailable", "sandbox_available"]

STATUSES = ("ok", "exception", "timeout", "crashed", "import", "missing", "protocol", "skipped")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_GRACE = 2.0  # the worker enforces deadlines; the grader kills everything this much later
_MAX_FAILED = 64
_MAX_ERROR = 300
sandbox_available = _plan.sandbox_available


@dataclass
class CallResult:
    """What came back from one call. ``error`` never contains grader paths."""

    status: str  # one of STATUSES
    value: object = None  # decoded return value when ok
    args_after: tuple | None = None  # positional arguments after the call (return_args=True)
    error: str = ""  # one line, e.g. "ZeroDivisionError: division by zero (network.py, line 12)"
    traceback: str = ""  # student-file frames only, at most 15 lines
    stdout: str = ""  # what the student printed (stdout and stderr) during the call, capped
    seconds: float = 0.0  # wall-clock seconds of the call as seen by the grader
    warnings: tuple = ()  # distinct warnings the call raised, one line each (at most five)
    cpu_seconds: float = 0.0  # CPU time of the call itself, as the worker measured it (advice)
    # The process that answered: a serial per sandbox (None: no process ran, e.g. an import
    # failure). Answers a check compares must come from different processes (grader.impl).
    origin: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class Callback:
    """A function of the grader's that student code may call during one call.

    Inside the sandbox it is a plain function that sends its arguments to the grader and
    returns what ``fn`` computed; nothing of ``fn`` (coefficients, gradient) is visible there.
    In ``args_after`` it comes back as this same object.
    """

    __slots__ = ("fn",)

    def __init__(self, fn: Callable):
        if not callable(fn):
            raise TypeError("Callback needs a callable")
        self.fn = fn

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self

    def __repr__(self) -> str:
        return f"Callback({getattr(self.fn, '__name__', 'function')})"


def _import_timed_out(module: str, limit: float) -> str:
    return f"importing {_module_file(module)} timed out after {limit:g} s"


def _module_file(fullname: str) -> str:
    rest = fullname.split(".")[1:]
    return "/".join(rest) + ".py" if rest else "__init__.py"


def _error_text(exc: BaseException) -> str:
    try:
        message = f"{type(exc).__name__}: {exc}"
    except Exception:  # noqa: BLE001
        message = type(exc).__name__
    message = " ".join(message.split())
    return message[:_MAX_ERROR]


class Sandbox:
    """Calls student functions in an isolated worker; see the module docstring.

    ``with Sandbox(root) as sb: sb.call("activations", "sigmoid", np.zeros(3))``.
    ``root`` holds the package folder ``exercises/``; modules are imported at their first call,
    or, those ``eager`` names, all in the first import request (``_import``).
    """

    def __init__(self, submission_root: Path, *, limits: Limits = Limits(),
                 isolation: str = "auto", started: _launch.Started | None = None):
        """``started``: a worker already launched for this submission (``start_early``)."""
        self.submission_root = Path(submission_root)
        self.limits = limits
        self._launcher = started.launcher if started is not None else \
            _launch.launcher(isolation, self.submission_root, limits)
        self.mode = self._launcher.mode
        self.reads_live = self._launcher.reads_live
        self.isolation = self._launcher.isolation
        self.unavailable_reason = _plan.probe() if self.mode == "rlimits" else ""
        self._holder: list = [None]  # the running WorkerProcess, shared with the finalizer
        self._finalizer = weakref.finalize(self, _cleanup, self._holder, self._launcher)
        self._spawned = 0
        self._closed = False
        # Modules the current worker has seen import, in their order (each call's process
        # imports them afresh): a dict as an ordered set.
        self._imported: dict[str, None] = {}
        self._failed: dict[str, tuple[str, str]] = {}  # module -> (error, traceback)
        # The submission's modules, in the order to import them: the first import asks for
        # all (``_import``); empty: each module is imported at its first call.
        self.eager: tuple[str, ...] = ()
        self._printed = ""  # what an import ahead of any call printed (``import_now``)
        self._spent: dict[str, float] = {}  # budget key -> seconds of calls
        self.used_seconds = 0.0  # seconds of imports and calls (against Limits.budget)
        self._tokens = itertools.count()
        self._processes = itertools.count(1)
        if started is not None:
            self._holder[0] = WorkerProcess(self._launcher, self.limits, {}, started)
            self._spawned = 1

    # -- lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def restarts(self) -> int:
        return max(0, self._spawned - 1)

    def start(self) -> None:
        """Start the worker now without waiting for it (it boots while the grader works)."""
        if self._closed:
            raise RuntimeError("the sandbox is closed")
        if self._holder[0] is None:
            self._spawn()

    def import_now(self) -> None:
        """Import the ``eager`` modules now, in one request, ahead of any call (the grader
        still prepares the checks): what fails is remembered for the calls, and what the
        modules print is given to the first call, as if it had imported them."""
        if self.eager and not self._closed:
            sink = Output(self.limits.output_bytes)
            self._import(self.eager[0], sink)
            self._printed += sink.text()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Start the worker if needed and wait until it answers; False if it could not."""
        self.start()
        deadline = time.monotonic() + (self.limits.start_timeout if timeout is None
                                       else timeout)
        return self._ready(deadline, Output(self.limits.output_bytes)) is None

    def close(self) -> None:
        """Kill everything the submission started; afterwards no process of it exists."""
        self._closed = True
        _cleanup(self._holder, self._launcher)

    def _spawn(self) -> None:
        poison = {k: v[0] for k, v in self._failed.items()}
        self._holder[0] = WorkerProcess(self._launcher, self.limits, poison)
        self._spawned += 1
        self._imported = {}

    def _fall_back(self) -> bool:
        """After a worker died before its hello: True when it was bubblewrap launched without
        the probe ("auto", see ``launch.launcher``) and the probe now says bubblewrap does not
        work here; the sandbox then continues with rlimits, as "auto" would have chosen."""
        if getattr(self._launcher, "verified", True) or not _plan.probe():
            return False
        self._finalizer.detach()
        self._launcher.close()
        self._launcher = _launch.RlimitsLauncher(self.submission_root, self.limits)
        self._finalizer = weakref.finalize(self, _cleanup, self._holder, self._launcher)
        self.mode, self.reads_live = self._launcher.mode, self._launcher.reads_live
        self.isolation, self.unavailable_reason = self._launcher.isolation, _plan.probe()
        self._spawned = 0
        return True

    def _discard(self) -> None:
        _kill_holder(self._holder)

    def _ready(self, deadline: float, sink: Output) -> CallResult | None:
        """None when a worker is up and has said hello, else why not (a result)."""
        if self._holder[0] is None:
            if self._spawned > self.limits.max_restarts:
                return CallResult("skipped", error=f"not called: the worker was restarted "
                                  f"{self.limits.max_restarts} times")
            try:
                self._spawn()
            except OSError as exc:  # e.g. bwrap removed since the probe; not the student's
                return CallResult("crashed", error=f"the worker could not be started: {exc}")
        w = self._holder[0]
        if w.hello:
            if settle(w, sink):
                return None
            self._discard()  # it misbehaved after its last answer: start a new one
            return self._ready(deadline, sink)
        try:
            pipe, frame = w.next_frame(deadline, sink)
            control, values = _wire.decode(*frame)
            if pipe != "ctl" or control.get("note") != "hello" or values:
                raise WireError("the worker did not start properly")
            w.on_hello()
            return None
        except Timeout:
            self._discard()
            return CallResult("crashed", error="the worker process did not start in time")
        except Died:
            how = w.exit_description()
            w.drain(sink)
            self._discard()
            if self._fall_back():
                return self._ready(deadline, sink)
            return CallResult("crashed", error=f"the worker process could not start ({how}): "
                              f"{sink.text().strip()[:200]}")
        except WireError as exc:
            self._discard()
            return CallResult("protocol", error=str(exc)[:_MAX_ERROR])

    # -- budgets --------------------------------------------------------------------------------
    def _left(self, key: str | None) -> tuple[float, str]:
        """Seconds left for a call charged to ``key``, and what ends it there."""
        total = self.limits.budget - self.used_seconds
        left, what = total, f"the submission's time budget of {self.limits.budget:g} s"
        if key is not None:
            mine = self.limits.exercise_budget - self._spent.get(key, 0.0)
            if mine < left:
                left, what = mine, f"the time budget of {self.limits.exercise_budget:g} s " \
                                   f"for {key}"
        return left, what

    def _charge(self, key: str | None, seconds: float) -> None:
        self.used_seconds += seconds
        if key is not None:
            self._spent[key] = self._spent.get(key, 0.0) + seconds

    # -- calls ----------------------------------------------------------------------------------
    def call(self, module: str, function: str, *args, return_args: bool = False,
             helpers: dict | None = None, budget: str | None = None) -> CallResult:
        """Call ``exercises.<module>.<function>(*args)`` in a fresh process.

        Arguments may be anything the wire format carries (see worker.py) and Callback;
        anything else raises TypeError (a grader bug, not a student's). ``helpers`` maps
        names of the student's own functions to the grader's versions used instead (see
        ``call_many``); ``budget`` names the time budget the call is charged to.
        """
        return self.call_many([(module, function, args, return_args)], helpers=helpers,
                              budget=budget)[0]

    def call_many(self, calls, *, helpers: dict | None = None,
                  budget: str | None = None) -> list[CallResult]:
        """Run ``[(module, function, args, return_args), ...]`` in one fresh process.

        ``helpers={name: fn}``: in that process every reference to the student's own function
        ``name`` in the loaded modules (module attributes, and up to three levels into
        module-level dicts, lists and tuples) is replaced by a function that asks the grader
        for ``fn(*args)``; an error there is raised in the sandbox as RuntimeError(message).
        Results come in order; a call that crashes or times out costs only itself (the rest
        run in a new process), except that each call charges its wall time to ``budget``.
        """
        if self._closed:
            raise RuntimeError("the sandbox is closed")
        calls = [(m, f, tuple(a), bool(r)) for m, f, a, r in calls]
        for module, function, _, _ in calls:
            if not _NAME.match(function) or not MODULE.match(f"exercises.{module}"):
                raise ValueError(f"not a module/function name: {module!r}, {function!r}")
        helpers = dict(helpers or {})
        for name, fn in helpers.items():
            if not _NAME.match(name) or not callable(fn):
                raise ValueError(f"not a helper: {name!r}")
        results: list = [None] * len(calls)
        sink = Output(self.limits.output_bytes)
        for i, (module, function, _, _) in enumerate(calls):
            if results[i] is None:
                failed = self._import(f"exercises.{module}", sink)
                if failed is not None:
                    for j, call in enumerate(calls):
                        if call[0] == module:
                            results[j] = CallResult(failed.status, error=failed.error,
                                                    traceback=failed.traceback)
        printed, self._printed = self._printed + sink.text(), ""
        todo = [i for i in range(len(calls)) if results[i] is None]
        while todo:  # each round gives at least one call its result
            self._run(calls, todo, helpers, budget, results)
            todo = [i for i in todo if results[i] is None]
        if printed:
            first = next(r for r in results if r is not None)
            first.stdout = printed + first.stdout
        return results

    # -- imports --------------------------------------------------------------------------------
    def _import(self, fullname: str, sink: Output) -> CallResult | None:
        """None when ``fullname`` is imported in the worker, else the result of every call."""
        for name in ("exercises", fullname):
            if name in self._failed:
                error, tb = self._failed[name]
                if name != fullname:
                    error = f"{_module_file(fullname)} could not be imported: {error}"
                return CallResult("import", error=error, traceback=tb)
        if fullname in self._imported and self._holder[0] is not None:
            return None
        not_ready = self._ready(time.monotonic() + self.limits.start_timeout, sink)
        if not_ready is not None:
            return not_ready
        left, what = self._left(None)
        if left <= 0:
            return CallResult("skipped", error=f"not called: the submission used up {what}")
        limit = min(self.limits.import_timeout, left)
        # The submission's other modules come in the same request (one import process, not one
        # per module), each with an import's time of its own; see ``_clean_ahead``.
        also = tuple(m for m in self.eager if m != fullname and m not in self._imported
                     and m not in self._failed) if fullname in self.eager else ()
        start = time.monotonic()
        try:
            got = run_import(self._holder[0], fullname, start + limit, sink, also=also,
                             each=limit, end=start + left)
        except WireError as exc:
            got = exc
        finally:
            self._charge(None, time.monotonic() - start)
        if isinstance(got, WireError):
            if also:
                return self._lazily(fullname, sink)
            self._discard()
            return CallResult("protocol", error=str(got)[:_MAX_ERROR])
        if also and fullname in got.done and not self._clean_ahead(got, fullname, also):
            # ``fullname`` imported (else nothing ahead ran: its own result stands below).
            if got.status == "timeout" and got.culprit in also and \
                    time.monotonic() - start < left:
                # It hung as it would at its own import: charged once, not again lazily.
                self._remember(got.culprit, (_import_timed_out(got.culprit, limit), ""))
            return self._lazily(fullname, sink)
        for module, entry in got.failed.items():
            self._remember(module, entry)
        if got.status == "ok":
            self._imported[fullname] = None
            self._imported.update((m, None) for m in also if m in got.done)
            return None
        if got.status == "missing":
            return CallResult("missing", error=got.error)
        if got.status == "failed":
            self._remember(fullname, (got.error, got.traceback))
            if got.fatal:
                self._discard()
            return CallResult("import", error=got.error, traceback=got.traceback)
        w = self._holder[0]
        if got.status == "timeout":
            self._discard()
            if limit < self.limits.import_timeout:
                return CallResult("skipped", error=f"stopped: the submission used up {what}")
            error = _import_timed_out(got.culprit, limit)
        else:
            how = w.exit_description()
            w.drain(sink)
            self._discard()
            error = f"importing {_module_file(got.culprit)} killed the worker process ({how})"
        self._remember(got.culprit, (error, ""))
        if got.culprit != fullname:
            error = f"{_module_file(fullname)} could not be imported: {error}"
        return CallResult("import", error=error)

    def _clean_ahead(self, got, fullname: str, also: tuple) -> bool:
        """Whether an import with modules ahead (``also``) went as cleanly as it must to be
        kept: every module imported, nothing printed, failed or left unfit, and nothing
        else on the worker's pipes (a module may write there while it is imported)."""
        w = self._holder[0]
        if got.status != "ok" or got.fatal or got.failed or got.printed or w is None:
            return False
        if (set(also) | {fullname}) - got.done or not (w.resp.idle() and w.ctl.idle()):
            return False
        return not select.select([w.resp_r, w.ctl_r], [], [], 0)[0]

    def _lazily(self, fullname: str, sink: Output) -> CallResult | None:
        """Something went wrong while modules were imported ahead: a new worker imports each
        module at its first call from now on, so that what one does costs only its own
        exercises, with the messages of its own import."""
        self.eager = ()
        self._discard()
        return self._import(fullname, sink)

    def _remember(self, module: str, entry: tuple) -> None:
        if module in self._failed or len(self._failed) < _MAX_FAILED:
            self._failed[module] = entry

    # -- one request of calls -------------------------------------------------------------------
    def _run(self, calls, todo, helpers, key, results) -> None:
        """Run the calls ``todo`` (indices into ``calls``) in one process; at least the first
        gets its result, the others too unless the process ended early."""
        left, what = self._left(key)
        if left <= 0:
            for i in todo:
                results[i] = CallResult("skipped", error=f"not called: used up {what}")
            return
        sink = Output(self.limits.output_bytes)
        not_ready = self._ready(time.monotonic() + self.limits.start_timeout, sink)
        if not_ready is not None:
            results[todo[0]] = not_ready
            return
        for i in todo:  # the worker was restarted since: import again
            failed = self._import(f"exercises.{calls[i][0]}", sink)
            if failed is not None:
                results[i] = failed
                return
        deadline = min(self.limits.call_timeout, left)
        tables: list = [{} for _ in todo]
        helper_tokens = {f"h{next(self._tokens)}": fn for fn in helpers.values()}

        def token_of(k, v):
            if type(v) is Callback:
                token = f"k{next(self._tokens)}"
                tables[int(k[1:])][token] = v
                return token
            return None

        values = {f"a{j}": calls[i][2] for j, i in enumerate(todo)}
        control = {"op": "call", "deadline": deadline, "total": left,
                   "calls": [[f"exercises.{calls[i][0]}", calls[i][1], calls[i][3]]
                             for i in todo],
                   "helpers": [[name, token] for name, token in
                               zip(helpers, helper_tokens)],
                   "imports": list(self._imported)}
        try:
            frame = _wire.encode(control, values, max_bytes=1 << 62, token_of=token_of)
        except WireError as exc:
            raise TypeError(f"cannot send this argument to the worker: {exc}") from None
        batch = Batch([calls[i] for i in todo], tables, helper_tokens,
                      max_callbacks=self.limits.max_callbacks)
        w = self._holder[0]
        origin = next(self._processes)
        start = time.monotonic()
        backstop = start + min(len(todo) * deadline, left) + _GRACE
        failure = None
        try:
            run_calls(w, batch, frame, backstop, self.limits.output_bytes, self._answer)
        except Timeout:
            self._discard()
            failure = CallResult("timeout", error=self._timeout_text(deadline, what))
        except Died:
            how = w.exit_description()
            self._discard()
            failure = CallResult("crashed", error=f"the worker process died ({how})")
        except WireError as exc:
            self._discard()
            failure = CallResult("protocol", error=str(exc)[:_MAX_ERROR])
        finally:
            self._charge(key, time.monotonic() - start)
        for j, answer in enumerate(batch.answers):
            results[todo[j]] = CallResult(answer.status, answer.value, answer.args_after,
                                          answer.error, answer.traceback, answer.stdout,
                                          answer.seconds, answer.warnings, answer.cpu, origin)
        done = len(batch.answers)
        if done == len(todo):
            return
        if failure is None:
            end = batch.end
            if end.get("end") == "timeout":
                failure = CallResult("timeout", error=self._timeout_text(deadline, what))
            else:
                code = end.get("code") if end.get("end") == "exit" else end.get("signal")
                code = code if type(code) is int else 0
                how = describe_exit(code if end.get("end") == "exit" else -code)
                failure = CallResult("crashed", error=f"the worker process died ({how})")
        failure.stdout = batch.leftover
        failure.seconds = batch.seconds_left
        failure.origin = origin
        results[todo[done]] = failure

    def _timeout_text(self, deadline: float, what: str) -> str:
        if deadline < self.limits.call_timeout:
            return f"timed out after {deadline:.2g} s (the rest of {what})"
        return f"timed out after {deadline:g} s"

    @staticmethod
    def _answer(batch: Batch, token: str, values: dict) -> list:
        """Run a callback for the worker; the frame that answers it."""
        i = len(batch.answers)
        fn = batch.tables[i].get(token) if i < len(batch.tables) else None
        if fn is None:
            fn = batch.helpers.get(token)
        if fn is None:
            return _wire.encode({"op": "cb", "error": "this function can no longer be called "
                                 "(it was given to another call)"})
        if batch.callbacks > batch.max_callbacks:
            return _wire.encode({"op": "cb", "error": "too many calls of the grader's "
                                 "functions in one call"})
        args, kwargs = values.get("args"), values.get("kwargs")
        if type(args) is not tuple or type(kwargs) is not dict:
            return _wire.encode({"op": "cb", "error": "malformed arguments"})
        try:
            value = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - raised in the sandbox as RuntimeError
            return _wire.encode({"op": "cb", "error": _error_text(exc)})
        try:
            return _wire.encode({"op": "cb", "ok": True}, {"value": value}, max_bytes=1 << 62)
        except WireError as exc:
            return _wire.encode({"op": "cb", "error": f"the grader's function returned "
                                 f"something that cannot be sent: {exc}"})


def _kill_holder(holder: list) -> None:
    if holder and holder[0] is not None:
        w, holder[0] = holder[0], None
        w.kill()


def _cleanup(holder: list, launcher) -> None:
    _kill_holder(holder)
    launcher.close()
