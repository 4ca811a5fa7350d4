"""Structural comparison of an answer with the expected value, with a readable reason.

Answers arrive decoded from the worker (plain data: numbers, arrays, lists, tuples, dicts),
so nothing here runs student code. Any sequence is accepted where a tuple or list is
expected (``[[W, b], ...]`` is as good as ``[(W, b), ...]``), any real number or numeric
array where a float is expected (ints from ``relu_prime`` are fine).
"""
from __future__ import annotations

import re

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


# ---------------------------------------------------------------- credit by output
#
# A function with several outputs (a dict, a list of (dW, db) pairs, a tuple) earns each named
# output its own share of a case: a wrong db costs the db share, not the whole case.
# Outputs are named as the contract names them (dW1, db2, A_L, cache, ...).

def output_parts(fn: str, expected) -> list[tuple[str, tuple]]:
    """The named outputs of ``expected`` as (name, path) pairs; one part, ("", ()), when the
    answer is a single value."""
    if isinstance(expected, dict):
        return [(str(k), (k,)) for k in expected]
    if not isinstance(expected, (list, tuple)) or len(expected) < 2 and fn not in _PAIRS:
        return [("", ())]
    if fn in _PAIRS:  # one (W, b)-like pair per layer
        first, second = _PAIRS[fn]
        return [(f"{name}{k + 1}", (k, j)) for k in range(len(expected))
                for j, name in enumerate((first, second))]
    names = _TUPLES.get(fn)
    if names and len(names) == len(expected):
        return [(name, (i,)) for i, name in enumerate(names)]
    return [("", ())]


_PAIRS = {"backward": ("dW", "db"), "sgd_step": ("W", "b")}
_TUPLES = {"forward": ("A_L", "cache"), "linear_neuron_grads": ("dL/dw", "dL/db"),
           "sigmoid_neuron_grads": ("dL/dw", "dL/db"), "train": ("params", "losses")}
_MISSING = object()


def _part(value, path):
    for key in path:
        if isinstance(value, dict) and not isinstance(key, int):
            value = value.get(key, _MISSING)
        elif isinstance(value, (list, tuple)) and isinstance(key, int) and key < len(value):
            value = value[key]
        else:
            return _MISSING
        if value is _MISSING:
            return value
    return value


def _degenerate(value) -> bool:
    """An expected output every element of which is the same number (e.g. the zero gradient
    of a dead unit): a constant answer would match it without any work, so it earns no
    share of its own."""
    arr = _as_array(value)
    return arr is not None and arr.size > 1 and bool(np.all(arr == arr.flat[0]))


def credit_by_output(fn: str, got, expected, rtol: float, atol: float):
    """(share of the case earned, the reason of the first mismatch or None, the names of the
    wrong outputs). Each named output weighs the same; an output whose expected value is one
    repeated number (see ``_degenerate``) weighs nothing unless every output is like that."""
    reason = mismatch(got, expected, rtol, atol)
    if reason is None:
        return 1.0, None, []
    parts = output_parts(fn, expected)
    if len(parts) < 2:
        return 0.0, reason, []
    weights = [0.0 if _degenerate(_part(expected, path)) else 1.0 for _, path in parts]
    if not any(weights):
        weights = [1.0] * len(parts)
    earned, wrong = 0.0, []
    for (name, path), weight in zip(parts, weights):
        have = _part(got, path)
        if have is not _MISSING and mismatch(have, _part(expected, path), rtol, atol) is None:
            earned += weight
        else:
            wrong.append(name)
    return earned / sum(weights), reason, wrong


def _numbers(value, out: list, depth: int = 0) -> bool:
    """Append every number of a (nested) answer to ``out``; False if something is not one."""
    if depth > MAX_DEPTH:
        return False
    if isinstance(value, dict):
        return all(_numbers(v, out, depth + 1) for v in value.values())
    if isinstance(value, (list, tuple)) and not _numbers_only(value):
        return all(_numbers(v, out, depth + 1) for v in value)
    arr = _as_array(value)
    if arr is None:
        return False
    out.extend(arr.ravel().tolist())
    return True


def one_repeated_number(answers) -> float | None:
    """The number, when every number in every one of these answers is the same one (a
    constant or zeros whatever the input); else None."""
    numbers: list = []
    for answer in answers:
        if not _numbers(answer, numbers) or len(numbers) > 1_000_000:
            return None
    if not numbers:
        return None
    first = numbers[0]
    return first if all(n == first for n in numbers) else None


# Inside a named output: the layers of ``params`` are (W, b) pairs, those of ``cache``
# (A_prev, Z) pairs (CONTRACT.md).
_INNER = {"params": ("W", "b"), "cache": ("A_prev", "Z")}
_PATH = re.compile(r"^((?:\[(?:\d+|'[A-Za-z0-9_]+')\])+)")


def _contract_name(fn: str, keys: list) -> str | None:
    """The contract's name of an output part (``[1][0]`` of backward is ``db1``), from the
    same tables as ``output_parts``."""
    if fn in _PAIRS and len(keys) >= 2 and keys[1] in (0, 1):
        head, rest = f"{_PAIRS[fn][keys[1]]}{keys[0] + 1}", keys[2:]
    elif fn in _TUPLES and keys and keys[0] in range(len(_TUPLES[fn])):
        head, rest = _TUPLES[fn][keys[0]], keys[1:]
        inner = _INNER.get(head)
        if inner and len(rest) >= 2 and rest[1] in (0, 1):
            head = (f"{head}: {inner[rest[1]]}{rest[0] + 1}" if head == "params"
                    else f"{head}[{rest[0]}].{inner[rest[1]]}")
            rest = rest[2:]
    elif keys and isinstance(keys[0], str):
        head, rest = keys[0], keys[1:]
    else:
        return None
    return head + "".join(f"[{k}]" for k in rest)


def named(fn: str, reason: str | None) -> str | None:
    """``reason`` with its leading index path said as the contract names the output
    ("dW1: shape (3, 2), expected (2, 3)" rather than "[0][0]: …")."""
    if not reason:
        return reason
    if reason.startswith("the result: "):
        return reason[len("the result: "):]
    found = _PATH.match(reason)
    if not found:
        return reason
    keys = [int(k) if k.isdigit() else k.strip("'")
            for k in re.findall(r"\[(\d+|'[A-Za-z0-9_]+')\]", found.group(1))]
    name = _contract_name(fn, keys)
    return name + reason[found.end():] if name else reason
