"""Implementations the engine can run a check against, all through one ``call`` method that
returns the sandbox's one result type, ``CallResult``.

- ``StudentImpl``: the submission, in the sandboxed worker. Each call runs in a fresh process;
  ``helpers`` (set by the engine per exercise) supplies correct versions of the student's
  failed helpers from the trusted side, so a function is judged on its own (fair blame by
  substitution); ``exercise`` names the time budget the calls are charged to.
- ``LocalImpl``: trusted code in this process: the reference (``grader_hidden.reference``),
  or a known-wrong variant.
"""
from __future__ import annotations

import copy
import time
from typing import Callable, Mapping

import numpy as np

from grader.contract import FUNCTION_MODULE
from grader.sandbox import CallResult

MEMO_ITEM_BYTES = 1 << 20  # answers above this size are compared and dropped, never kept
MEMO_TOTAL_BYTES = 32 << 20


class LocalImpl:
    """Trusted functions in this process, called on deep copies of the arguments."""

    def __init__(self, functions: Mapping[str, Callable], name: str):
        self.functions = functions
        self.name = name
        self.seconds: dict[str, float] = {}

    def call(self, fn: str, *args, return_args: bool = False) -> CallResult:
        if fn not in self.functions:
            return CallResult("missing", error=f"no function {fn}")
        args = copy.deepcopy(args)  # a Callback is callable here too
        start, cpu = time.perf_counter(), time.process_time()
        try:
            with np.errstate(all="ignore"):
                value = self.functions[fn](*args)
        except Exception as exc:  # a variant may not fit the shapes at hand
            return CallResult("exception", error=f"{type(exc).__name__}: {exc}")
        seconds = time.perf_counter() - start
        self.seconds[fn] = self.seconds.get(fn, 0.0) + time.process_time() - cpu  # CPU
        return CallResult("ok", value=value, args_after=args if return_args else None,
                          seconds=seconds)

    def call_many(self, fn: str, arg_lists, return_args: bool = False) -> list[CallResult]:
        return [self.call(fn, *args, return_args=return_args) for args in arg_lists]


def trusted(function: Callable) -> Callable:
    """A reference function as a helper handed to student code: quiet about overflow."""
    def helper(*args):
        with np.errstate(all="ignore"):
            return function(*args)
    helper.__name__ = getattr(function, "__name__", "helper")
    return helper


class StudentImpl:
    """The submission, answering through the sandbox. Small answers are memoised (contract
    functions are pure, and the same input often serves several checks); the memo is keyed
    by the helpers supplied too, and bounded in bytes.

    Answers that one check compares never come from one process: within an example
    (``begin_example``; a check that marks none is one example) a memoised answer from a
    process that already answered is not used, the call runs afresh instead. So the engine
    may run many checks' calls together (``run_planned``) without giving student code state
    shared between the calls a check holds against each other."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.name = "student"
        self.seconds: dict[str, float] = {}
        self.exercise: str | None = None  # the time budget calls are charged to
        self.helpers: dict[str, Callable] = {}  # correct versions of failed helpers
        self._memo: dict[tuple, list[CallResult]] = {}  # one answer per process at most
        self._memo_bytes = 0
        self._used: set[int] = set()  # processes the current example's answers came from

    def begin_example(self) -> None:
        """The calls that follow are compared with each other, not with those before."""
        self._used = set()

    def _key(self, fn, args, return_args):
        key = _key(fn, args, return_args)
        return None if key is None else (key, tuple(sorted(self.helpers)))

    def _remember(self, key, result: CallResult) -> None:
        if key is None:
            return
        size = _nbytes(result.value) + _nbytes(result.args_after)
        if size <= MEMO_ITEM_BYTES and self._memo_bytes + size <= MEMO_TOTAL_BYTES:
            known = self._memo.setdefault(key, [])
            if result.origin is None or all(r.origin != result.origin for r in known):
                known.append(result)
                self._memo_bytes += size

    def _recall(self, key) -> CallResult | None:
        """A memoised answer from a process this example has not used yet."""
        for result in self._memo.get(key, ()) if key is not None else ():
            if result.origin is None or result.origin not in self._used:
                return result
        return None

    def _account(self, fn: str, result: CallResult) -> None:
        # CPU, not wall time: speed advice must not depend on how busy the machine is, or a
        # regrade would differ.
        self.seconds[fn] = self.seconds.get(fn, 0.0) + (result.cpu_seconds or 0.0)

    def call(self, fn: str, *args, return_args: bool = False) -> CallResult:
        key = self._key(fn, args, return_args)
        result = self._recall(key)
        if result is None:
            result = self.sandbox.call(FUNCTION_MODULE[fn], fn, *args, return_args=return_args,
                                       helpers=self.helpers or None, budget=self.exercise)
            self._account(fn, result)
            self._remember(key, result)
        if result.origin is not None:
            self._used.add(result.origin)
        return result

    def call_many(self, fn: str, arg_lists, return_args: bool = False) -> list[CallResult]:
        """Calls that no check compares with each other, in one process (cheaper)."""
        return self.prefetch(fn, [(args, return_args) for args in arg_lists])

    def prefetch(self, fn: str, items) -> list[CallResult]:
        """``(args, return_args)`` calls that no check compares with each other, in one
        process; what is not memoised yet is run, and small answers are remembered."""
        return self.run_planned([(fn, args, r) for args, r in items])

    def run_planned(self, items, *, again: bool = False) -> list[CallResult]:
        """``(fn, args, return_args)`` calls that no check compares with each other, in one
        process; small answers are remembered. What is memoised already is not run again,
        unless ``again`` (a later position of the examples planned: it needs an answer
        from another process than the earlier positions' one)."""
        items = [(fn, tuple(args), bool(r)) for fn, args, r in items]
        keys = [self._key(fn, args, r) for fn, args, r in items]
        results: dict[int, CallResult] = {}
        first: dict[tuple, int] = {}  # key -> the index whose call answers every twin
        todo = []
        for i, k in enumerate(keys):
            if k is not None and k in self._memo and not again:
                results[i] = self._memo[k][0]
            elif k is None or k not in first:
                todo.append(i)
                if k is not None:
                    first[k] = i
        if todo:
            answers = self.sandbox.call_many(
                [(FUNCTION_MODULE[items[i][0]], items[i][0], items[i][1], items[i][2])
                 for i in todo], helpers=self.helpers or None, budget=self.exercise)
            for i, result in zip(todo, answers):
                self._account(items[i][0], result)
                self._remember(keys[i], result)
                results[i] = result
        return [results[i] if i in results else results[first[keys[i]]]
                for i in range(len(items))]

    def plannable(self, fn: str, args: tuple, return_args: bool) -> bool:
        """Whether a planned answer to this call could be found again (memoised)."""
        return self._key(fn, args, return_args) is not None


class NotPlannable(Exception):
    """A planned check called a function no trusted code answers."""


class Recorder:
    """Stands for the student while the engine plans an exercise's calls: trusted code
    answers (a correct student's answers), and each call is noted with its position in its
    example. The check then runs for real, and finds each answer planned only when the
    student's own answers led it to the same call (the same arguments, bit for bit)."""

    name = "student"

    def __init__(self, trusted: LocalImpl):
        self.trusted = trusted
        self.calls: list[tuple[int, str, tuple, bool]] = []  # (position, fn, args, return_args)
        self.position = 0
        self.broken = False  # a call nothing trusted answers: plan nothing of this check

    def begin_example(self) -> None:
        self.position = 0

    def call(self, fn: str, *args, return_args: bool = False) -> CallResult:
        if fn not in self.trusted.functions:
            self.broken = True
            raise NotPlannable(fn)
        self.calls.append((self.position, fn, copy.deepcopy(args), return_args))
        self.position += 1
        return self.trusted.call(fn, *args, return_args=return_args)

    def call_many(self, fn: str, arg_lists, return_args: bool = False) -> list[CallResult]:
        if fn not in self.trusted.functions:
            self.broken = True
            raise NotPlannable(fn)
        return self.trusted.call_many(fn, arg_lists, return_args)


def _nbytes(value, depth=0) -> int:
    if depth > 8:
        return 0
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, (list, tuple)):
        return 64 + sum(_nbytes(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return 64 + sum(_nbytes(v, depth + 1) for v in value.values())
    if isinstance(value, str):
        return len(value)
    return 32


def _key(fn, args, return_args):
    def freeze(v, depth=0):
        if depth > 6:
            raise TypeError
        if isinstance(v, np.ndarray):
            return ("a", v.dtype.str, v.shape, v.tobytes())
        if isinstance(v, (list, tuple)):
            return (type(v).__name__,) + tuple(freeze(x, depth + 1) for x in v)
        if isinstance(v, dict):
            return ("d",) + tuple(sorted((k, freeze(x, depth + 1)) for k, x in v.items()))
        if isinstance(v, (int, float, str, bool, type(None), np.number)):
            return (type(v).__name__, v)
        raise TypeError
    try:
        return (fn, return_args, freeze(args))
    except TypeError:
        return None
