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
    by the helpers supplied too, and bounded in bytes."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.name = "student"
        self.seconds: dict[str, float] = {}
        self.exercise: str | None = None  # the time budget calls are charged to
        self.helpers: dict[str, Callable] = {}  # correct versions of failed helpers
        self._memo: dict[tuple, CallResult] = {}
        self._memo_bytes = 0

    def _key(self, fn, args, return_args):
        key = _key(fn, args, return_args)
        return None if key is None else (key, tuple(sorted(self.helpers)))

    def _remember(self, key, result: CallResult) -> None:
        if key is None:
            return
        size = _nbytes(result.value) + _nbytes(result.args_after)
        if size <= MEMO_ITEM_BYTES and self._memo_bytes + size <= MEMO_TOTAL_BYTES:
            self._memo[key] = result
            self._memo_bytes += size

    def _account(self, fn: str, result: CallResult) -> None:
        # CPU, not wall time: speed advice must not depend on how busy the machine is, or a
        # regrade would differ.
        self.seconds[fn] = self.seconds.get(fn, 0.0) + (result.cpu_seconds or 0.0)

    def call(self, fn: str, *args, return_args: bool = False) -> CallResult:
        key = self._key(fn, args, return_args)
        if key is not None and key in self._memo:
            return self._memo[key]
        result = self.sandbox.call(FUNCTION_MODULE[fn], fn, *args, return_args=return_args,
                                   helpers=self.helpers or None, budget=self.exercise)
        self._account(fn, result)
        self._remember(key, result)
        return result

    def call_many(self, fn: str, arg_lists, return_args: bool = False) -> list[CallResult]:
        """Calls that no check compares with each other, in one process (cheaper)."""
        return self.prefetch(fn, [(args, return_args) for args in arg_lists])

    def prefetch(self, fn: str, items) -> list[CallResult]:
        """``(args, return_args)`` calls that no check compares with each other, in one
        process; what is not memoised yet is run, and small answers are remembered."""
        items = [(tuple(args), bool(r)) for args, r in items]
        keys = [self._key(fn, args, r) for args, r in items]
        results: dict[int, CallResult] = {}
        first: dict[tuple, int] = {}  # key -> the index whose call answers every twin
        todo = []
        for i, k in enumerate(keys):
            if k is not None and k in self._memo:
                results[i] = self._memo[k]
            elif k is None or k not in first:
                todo.append(i)
                if k is not None:
                    first[k] = i
        if todo:
            module = FUNCTION_MODULE[fn]
            answers = self.sandbox.call_many(
                [(module, fn, items[i][0], items[i][1]) for i in todo],
                helpers=self.helpers or None, budget=self.exercise)
            for i, result in zip(todo, answers):
                self._account(fn, result)
                self._remember(keys[i], result)
                results[i] = result
        return [results[i] if i in results else results[first[keys[i]]]
                for i in range(len(items))]


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
