"""The reference solutions, loaded privately from ``solutions/`` (hidden part only)."""
from __future__ import annotations

import importlib.util
import itertools
import sys
import types
from pathlib import Path
from typing import Callable

from grader.contract import FUNCTION_MODULE
from grader.contract import MODULES as MODULE_ORDER

_counter = itertools.count()


def solutions_dir() -> Path:
    import solutions

    return Path(solutions.__file__).parent


def reference_functions() -> dict[str, Callable]:
    """Contract name → function from a fresh, private load of ``solutions/``."""
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
                    functions[fn] = getattr(module, fn)
            setattr(package, module_name, module)
    finally:
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]
    return functions
