"""`bpcourse run FUNCTION ARGS…`: call one of the student's own functions and show its answer.

The student's folder is loaded as the package ``exercises`` (as the grader loads it), so
their relative imports (``from .activations import sigmoid``) work from the stub folder or
the folder above it. This runs the student's own code on their own machine, in this process:
it is a convenience for trying things out, not a check.
"""
from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
import traceback
import types
from pathlib import Path

import numpy as np

from grader.contract import FUNCTION_MODULE, MODULES


class RunError(Exception):
    """Bad input to `bpcourse run` (one line for the user)."""


def find_folder(path: Path) -> Path:
    """The folder holding the student's modules: ``path`` itself or ``path/exercises``."""
    for folder in (path / "exercises", path):
        if any((folder / f"{m}.py").is_file() for m in MODULES):
            return folder
    raise RunError(f"no exercise files ({', '.join(m + '.py' for m in MODULES)}) in {path} "
                   "or in its exercises/ folder")


def _ours(key: str) -> bool:
    return key == "exercises" or key.startswith("exercises.")


def load(folder: Path, module: str) -> types.ModuleType:
    """``exercises.<module>`` from ``folder``, fresh (any other ``exercises`` is set aside;
    ``run`` puts it back)."""
    for key in [k for k in sys.modules if _ours(k)]:
        del sys.modules[key]
    package = types.ModuleType("exercises")
    package.__path__ = [str(folder)]
    package.__file__ = str(folder / "__init__.py")
    sys.modules["exercises"] = package
    importlib.invalidate_caches()
    return importlib.import_module(f"exercises.{module}")


def parse(text: str):
    """A Python literal (lists of numbers become float arrays); anything else is a string."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text
    return _arrays(value)


def _arrays(value):
    if isinstance(value, list):
        try:
            array = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            return [_arrays(v) for v in value]
        return array
    if isinstance(value, tuple):
        return tuple(_arrays(v) for v in value)
    return value


def show(value) -> str:
    with np.printoptions(precision=6, suppress=False):
        if isinstance(value, np.ndarray):
            return f"array of shape {value.shape}:\n{value!r}"
        return repr(value)


def run(function: str, texts: list[str], path: Path) -> tuple[str, int]:
    """What to print and the exit code (0 returned, 1 raised)."""
    if function not in FUNCTION_MODULE:
        raise RunError(f"no exercise named {function!r}; the exercises are "
                       + ", ".join(FUNCTION_MODULE))
    folder = find_folder(path)
    module = FUNCTION_MODULE[function]
    args = [parse(t) for t in texts]
    call = f"{function}({', '.join(texts)})"
    saved = {k: v for k, v in sys.modules.items() if _ours(k)}
    try:
        return _call(folder, module, function, args, call)
    finally:
        for key in [k for k in sys.modules if _ours(k)]:
            del sys.modules[key]
        sys.modules.update(saved)


def _call(folder: Path, module: str, function: str, args: list, call: str) -> tuple[str, int]:
    try:
        fn = getattr(load(folder, module), function)
        with np.errstate(all="warn"):
            value = fn(*args)
    except SyntaxError as exc:
        return (f"{Path(exc.filename or module).name} does not parse (line {exc.lineno}): "
                f"{exc.msg}"), 1
    except NotImplementedError as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        where = frames[-1].name if frames else function
        if where != function:
            return f"{call} calls {where}, which is not written yet ({exc})", 1
        return f"{function} is not written yet ({exc})", 1
    except Exception as exc:  # the student's own code: show them where it failed
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if Path(f.filename).resolve().is_relative_to(folder.resolve())]
        lines = [f"{call} raised {type(exc).__name__}: {exc}"]
        lines += [f"  {Path(f.filename).name}, line {f.lineno}, in {f.name}: {f.line}"
                  for f in frames]
        return "\n".join(lines), 1
    return f"{call} returned {show(value)}", 0
