"""Renderers of one :class:`grader.results.GradeReport`: text, JSON, Gradescope.

Each renderer module has ``render(report, *, audience="instructor") -> str`` and only formats:
scores, messages and visibility come from the results model. ``audience`` is "instructor" (every
message) or "student" (hidden checks show their student message, never expected values); the
Gradescope renderer always writes for students, since students read Gradescope's output.

Renderers never sanitise: :mod:`grader.results` already holds only sanitised text (no control
characters, escape sequences, bidi controls or lone surrogates; bounded length; one line per
field) and finite numbers. They keep the layout unforgeable: every line that shows a string
from the model starts with a fixed label or an indent, so only the real score line starts
with "Score". JSON is written strictly (:func:`dumps`).
"""
from __future__ import annotations

import importlib
import json as _json  # "json" is the name of our own JSON renderer here
import math

from grader.results import GradeReport

FORMATS = ("text", "json", "gradescope")
AUDIENCES = ("instructor", "student")


def render(report: GradeReport, format: str = "text", *, audience: str = "instructor",
           **options) -> str:
    """Render ``report`` in one of :data:`FORMATS`; ``options`` go to that renderer."""
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}; choose one of {', '.join(AUDIENCES)}")
    module = importlib.import_module(f"{__name__}.{format}")
    return module.render(report, audience=audience, **options)


def points(x: float) -> str:
    """5.0 → "5", 2.5 → "2.5", 1/3 → "0.33": scores as people write them."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def dumps(data) -> str:
    """Strict JSON: no NaN or Infinity (a non-finite float raises ValueError; the results model
    never holds one, and :func:`finite` is a second net), UTF-8 text rather than escapes."""
    return _json.dumps(finite(data), indent=2, allow_nan=False, ensure_ascii=False)


def finite(value):
    """``value`` with every non-finite float replaced by None, so that JSON stays valid."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value
