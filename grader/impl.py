"""Implementations the engine can run a check against, all through one ``call`` method.

- ``StudentImpl``: the submission, in the sandboxed worker.
- ``LocalImpl``: trusted code in this process: the reference, a known-wrong variant, or the
  reference rebuilt around some of the student's own helpers (for fair blame).
"""
from __future__ import annotations

import copy
import importlib.util
import itertools
import sys
import time
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from grader.contract import FUNCTION_MODULE
from grader.contract import MODULES as MODULE_ORDER


@dataclass
class Answer:
    """What one call produced; the same fields as the sandbox's ``CallResult``."""
    status: str
    value: object = None
    args_after: tuple | None = None
    error: str = ""
    traceback: str = ""
    stdout: str = ""
    seconds: float = 0.0
    warnings: tuple = ()

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class HelperFailed(Exception):
    """A student helper used inside a trusted computation did not answer."""

    def __init__(self, fn: str, error: str):
        super().__init__(f"your {fn} did not answer ({error})")
        self.error = error


class LocalImpl:
    """Trusted functions in this process, called on deep copies of the arguments."""

    def __init__(self, functions: Mapping[str, Callable], name: str):
        self.functions = functions
        self.name = name
        self.seconds: dict[str, float] = {}

    def call(self, fn: str, *args, return_args: bool = False) -> Answer:
        if fn not in self.functions:
            return Answer("missing", error=f"no function {fn}")
        args = copy.deepcopy(args)  # a WorkerFunction is callable here too
        start = time.perf_counter()
        try:
            with np.errstate(all="ignore"):  # the student's helpers may overflow: not our noise
                value = self.functions[fn](*args)
        except HelperFailed as exc:  # the student's helper raised: report its very error
            return Answer("exception", error=exc.error)
        except Exception as exc:  # a variant may not fit the shapes at hand
            return Answer("exception", error=f"{type(exc).__name__}: {exc}")
        seconds = time.perf_counter() - start
        self.seconds[fn] = self.seconds.get(fn, 0.0) + seconds
        return Answer("ok", value=value, args_after=args if return_args else None, seconds=seconds)


class StudentImpl:
    """The submission, answering through the sandbox. Calls are memoised: contract
    functions are pure, and the same input often serves several checks."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.name = "student"
        self.seconds: dict[str, float] = {}
        self._memo: dict[tuple, Answer] = {}

    def call(self, fn: str, *args, return_args: bool = False):
        key = _key(fn, args, return_args)
        if key is not None and key in self._memo:
            return self._memo[key]
        result = self.sandbox.call(FUNCTION_MODULE[fn], fn, *args, return_args=return_args)
        self.seconds[fn] = self.seconds.get(fn, 0.0) + result.seconds
        if key is not None:
            self._memo[key] = result
        return result


def _key(fn, args, return_args):
    import numpy as np

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


# ---------------------------------------------------------------- the reference

_counter = itertools.count()


def solutions_dir() -> Path:
    import solutions

    return Path(solutions.__file__).parent


def reference_functions(overrides: Mapping[str, Callable] | None = None) -> dict[str, Callable]:
    """Contract name → function from a fresh load of ``solutions/``.

    ``overrides`` replaces some functions *before* the modules that use them are loaded, so
    that the reference's own logic runs on the student's helpers (e.g. the reference
    ``backward`` with the student's ``sigmoid_prime``): fair blame for one bug.
    """
    overrides = dict(overrides or {})
    root = solutions_dir()
    name = f"_bp_reference_{next(_counter)}"
    package = types.ModuleType(name)
    package.__path__ = [str(root)]
    sys.modules[name] = package
    functions: dict[str, Callable] = {}
    try:
        for module_name in MODULE_ORDER:
            spec = importlib.util.spec_from_file_location(f"{name}.{module_name}",
                                                          root / f"{module_name}.py")
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
            for fn, mod in FUNCTION_MODULE.items():
                if mod == module_name:
                    if fn in overrides:
                        setattr(module, fn, overrides[fn])
                    functions[fn] = getattr(module, fn)
            setattr(package, module_name, module)
    finally:
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]
    # The overridden functions themselves are the student's; the rest are the reference's.
    return functions


def _write_back(original, after, depth=0) -> None:
    """Copy what the worker did to an argument into the original, in place, so that a
    proxy behaves like an in-process call (a helper that mutates its input does so here)."""
    import numpy as np

    if depth > 8:
        return
    if isinstance(original, np.ndarray) and isinstance(after, np.ndarray):
        if original.shape == after.shape and original.flags.writeable:
            try:
                np.copyto(original, after, casting="unsafe")
            except (TypeError, ValueError):
                pass
    elif isinstance(original, (list, tuple)) and isinstance(after, (list, tuple)):
        for i, (o, a) in enumerate(zip(original, after)):
            if isinstance(original, list) and not isinstance(o, (np.ndarray, list, tuple)):
                original[i] = a
            else:
                _write_back(o, a, depth + 1)
    elif isinstance(original, dict) and isinstance(after, dict):
        for key in original:
            if key in after:
                _write_back(original[key], after[key], depth + 1)


def student_proxy(student: StudentImpl, fn: str) -> Callable:
    def proxy(*args):
        result = student.call(fn, *args, return_args=True)
        if not result.ok:
            raise HelperFailed(fn, result.error)
        for original, after in zip(args, result.args_after or ()):
            _write_back(original, after)
        return result.value
    proxy.__name__ = fn
    return proxy
