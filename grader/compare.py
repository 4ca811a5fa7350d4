"""Structural comparison of an answer with the expected value, with a readable reason.

Answers arrive decoded from the worker (plain data: numbers, arrays, lists, tuples, dicts),
so nothing here runs student code. Any sequence is accepted where a tuple or list is
expected (``[[W, b], ...]`` is as good as ``[(W, b), ...]``), any real number or numeric
array where a float is expected (ints from ``relu_prime`` are fine).
"""
from __future__ import annotations

import numpy as np

NUMERIC_KINDS = "biuf"
MAX_DEPTH = 8


def _as_array(value):
    """A float array for numbers, numeric arrays and (nested) lists of numbers, else None."""
    if isinstance(value, (bool, int, float, np.number, np.bool_)):
        return np.asarray(value, dtype=float)
    if isinstance(value, np.ndarray):
        return value.astype(float) if value.dtype.kind in NUMERIC_KINDS else None
    if isinstance(value, (list, tuple)):
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            return None
        return arr
    return None


def _fmt(arr: np.ndarray) -> str:
    if arr.ndim == 0:
        return f"{float(arr):.6g}"
    return np.array2string(arr, precision=6, threshold=12, edgeitems=2, max_line_width=80)


def describe(value) -> str:
    """A short description of an answer for feedback (shape, not every number)."""
    arr = _as_array(value)
    if arr is not None:
        return _fmt(arr) if arr.size <= 6 else f"an array of shape {arr.shape}"
    if isinstance(value, dict):
        return "a dict with keys " + ", ".join(map(repr, list(value)[:8]))
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"a {type(value).__name__}"


def _numbers_only(value, depth=0) -> bool:
    """True for a (nested) list of plain numbers: an array written as lists."""
    if isinstance(value, (list, tuple)):
        return depth < MAX_DEPTH and len(value) > 0 and all(_numbers_only(v, depth + 1) for v in value)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def mismatch(got, expected, rtol: float, atol: float, where: str = "", depth: int = 0) -> str | None:
    """None when ``got`` matches ``expected``; otherwise a one-line reason."""
    label = where or "the result"
    if depth > MAX_DEPTH:
        return f"{label}: nested too deeply"
    if isinstance(expected, (list, tuple)) and _numbers_only(expected):
        try:
            expected = np.asarray(expected, dtype=float)
        except ValueError:  # ragged: a sequence of differently shaped arrays
            pass
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"{label}: got {describe(got)}, expected a dict with keys {sorted(expected)}"
        for key in expected:
            if key not in got:
                return f"{label}: key {key!r} is missing"
            reason = mismatch(got[key], expected[key], rtol, atol, f"{where}[{key!r}]", depth + 1)
            if reason:
                return reason
        return None
    if isinstance(expected, (list, tuple)):
        if not isinstance(got, (list, tuple)):
            return f"{label}: got {describe(got)}, expected a sequence of {len(expected)} items"
        if len(got) != len(expected):
            return f"{label}: {len(got)} items, expected {len(expected)}"
        for i, (g, e) in enumerate(zip(got, expected)):
            reason = mismatch(g, e, rtol, atol, f"{where}[{i}]", depth + 1)
            if reason:
                return reason
        return None
    want = np.asarray(expected, dtype=float)
    have = _as_array(got)
    if have is None:
        return f"{label}: got {describe(got)}, expected numbers"
    if have.shape != want.shape:
        return f"{label}: shape {have.shape}, expected {want.shape}"
    if not np.all(np.isfinite(have) == np.isfinite(want)):
        return f"{label}: NaN or inf where the answer is finite"
    if not np.allclose(have, want, rtol=rtol, atol=atol, equal_nan=True):
        return f"{label}: values differ"
    return None


def values_differ_message(got, expected, where: str = "") -> str:
    """'got …, expected …' detail for public checks (never used for hidden ones)."""
    return f"{where + ': ' if where else ''}got {describe(got)}, expected {describe(expected)}"
