"""Exercise knowledge, one home per contract module (mirroring ``solutions/`` and ``tests/``):
each of ``activations``, ``neuron``, ``two_layer``, ``network``, ``gradcheck`` and ``train``
holds its functions' public checks and the words for their mistakes.

Everything that needs correct code (hidden cases compared with the reference, known-wrong
variants, the reference itself) lives in the separate package ``grader_hidden``, with one
module per contract module too. It is part of the instructor's install and left out of the
student's: when it is importable, each exercise gets its hidden checks at their place;
without it, every exercise keeps its public checks and ``bpcourse check`` works alone.

Points add up to 100 with the hidden part. ``helpers`` lists the student's own functions an
exercise may call: when one of them lost points in its own exercise, the student's function is
called with a correct version of that helper supplied from the trusted side (``grade``).
"""
from __future__ import annotations

import importlib
from types import ModuleType

from grader.contract import MODULES
from grader.exercises import _common
from grader.exercises._common import Exercise

__all__ = ["EXERCISES", "BY_NAME", "MISTAKES", "HIDDEN", "PUBLIC_HELPERS", "Exercise",
           "hidden_part", "build_exercises"]


def hidden_part() -> ModuleType | None:
    """The hidden part (``grader_hidden``) when it is installed, else None."""
    try:
        return importlib.import_module("grader_hidden")
    except ImportError as exc:
        if exc.name is not None and exc.name.split(".")[0] not in ("grader_hidden", "solutions"):
            raise  # a real bug inside the hidden part must not pass as "not installed"
        return None


def _home(module: str) -> ModuleType:
    return importlib.import_module(f"grader.exercises.{module}")


def build_exercises(hidden: ModuleType | None) -> tuple[Exercise, ...]:
    """Every exercise in the contract's order, with the hidden part's checks if given."""
    out: list[Exercise] = []
    for module in MODULES:
        out += _home(module).exercises(getattr(hidden, module, None) if hidden else None)
    return tuple(out)


# Correct helpers the public side states anyway (the activations' formulas): `check`
# supplies them in place of a student's failed helper, as `grade` supplies the reference's.
PUBLIC_HELPERS = dict(_home("activations").TRUTHS)

MISTAKES: dict[str, str] = dict(_common.MISTAKES)
for _module in MODULES:
    MISTAKES.update(_home(_module).MISTAKES)

HIDDEN = hidden_part()
EXERCISES: tuple[Exercise, ...] = build_exercises(HIDDEN)
BY_NAME = {e.name: e for e in EXERCISES}
