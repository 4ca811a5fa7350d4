"""Exercise home of `activations`: sigmoid, relu, tanh and their derivatives.

Public checks (formulas on random inputs, shapes, finiteness), the mistakes feedback names
for them; the hidden cases and known-wrong variants are in ``grader_hidden.activations``.
"""
from __future__ import annotations

import numpy as np

from grader import article as art
from grader.checks import (EVIDENCE, Check, Failure, Outcome, article, custom, failure_mistake,
                           failure_text, no_mutation, prop)
from grader.compare import describe
from grader.exercises._common import MISTAKES as _SHARED, Exercise, _f, _sigmoid, hidden_checks

FUNCTIONS = ("sigmoid", "sigmoid_prime", "relu", "relu_prime", "tanh", "tanh_prime")
ACTS = FUNCTIONS

EDGE = np.array([0.0, -0.0, 1e-12, -1e-12, 0.5, -0.5, 1.0, -1.0, 3.0, -3.0, 10.0, -10.0,
                 35.0, -35.0, 100.0, -100.0, 710.0, -710.0, 1000.0, -1000.0])


def screen_z(rng):
    return [(np.concatenate([EDGE, rng.normal(0, 3, 300), rng.uniform(-60, 60, 200)]),)]


def _floats():
    from hypothesis import strategies as st

    return st.tuples(st.floats(-60, 60, allow_nan=False))


def _first_bad(ok: np.ndarray) -> int | None:
    bad = np.flatnonzero(~np.asarray(ok, dtype=bool))
    return int(bad[0]) if bad.size else None


def _at(z, i) -> str:
    z = _f(z)
    return f"{float(z.flat[i])!r}" if z.ndim == 0 else f"{float(z.flat[i])!r} (element {i})"


def _shaped(fn, z, out):
    """The output as a float array of z's shape, or a message."""
    arr = np.asarray(out) if isinstance(out, (np.ndarray, np.number, int, float, bool, list)) else None
    if arr is None or arr.dtype.kind not in "biuf":
        return None, f"{fn}(z) returned {describe(out)}, expected numbers"
    if arr.shape != np.shape(z):
        return None, f"{fn}(z) for z of shape {np.shape(z)} returned shape {arr.shape}"
    return arr.astype(float), None


def equals_truth(fn: str, truth, formula: str, rtol=1e-7, atol=1e-12, wrong=None):
    """Property: fn(z) equals a formula, elementwise. ``wrong``: mistake name → a classic
    wrong formula; when the answer follows one everywhere, the failure names it."""
    def holds(call, z):
        out, msg = _shaped(fn, z, call(z))
        if msg:
            return msg
        want = truth(_f(z))
        i = _first_bad(np.isclose(out, want, rtol=rtol, atol=atol))
        if i is None:
            return None
        mistake = None
        with np.errstate(all="ignore"):
            for name, formula_of in (wrong or {}).items():
                if np.allclose(out, formula_of(_f(z)), rtol=rtol, atol=atol, equal_nan=True):
                    mistake = name
                    break
        return Failure(f"{fn}({_at(z, i)}) returned {out.flat[i]:.6g}, expected "
                       f"{want.flat[i]:.6g} ({formula})", mistake)
    return holds


def mirror_holds(fn: str, ok, says: str, first=None):
    """Property relating fn(z) and fn(−z), elementwise: ``ok(out, mirrored)`` must hold
    everywhere (``first(call)`` may check something else before, e.g. a value at 0)."""
    def holds(call, z):
        out, msg = _shaped(fn, z, call(z))
        if msg:
            return msg
        mirrored, msg = _shaped(fn, z, call(-_f(z)))
        if msg:
            return msg
        if first:
            call._next_example()  # compared with each other only, not with fn(±z)
        msg = first(call) if first else None
        if msg:
            return msg
        i = _first_bad(ok(out, mirrored))
        if i is None:
            return None
        zi = float(_f(z).flat[i])
        return (f"{fn}({zi!r}) = {out.flat[i]:.6g} and {fn}({-zi!r}) = {mirrored.flat[i]:.6g}: "
                + says)
    return holds


def _quarter_at_zero(call):
    zero = float(np.asarray(call(0.0), dtype=float))
    if not np.isclose(zero, 0.25, rtol=1e-12):
        return f"sigmoid_prime(0.0) returned {zero:.6g}, expected 0.25 (its maximum)"
    return None


def _increasing(fn: str):
    """``fn(−1) < fn(1)``: a constant (½ for σ, 0 for tanh) has every symmetry of the real
    function, so the symmetry properties also ask that it rise."""
    def first(call):
        low, high = (float(np.asarray(call(z), dtype=float)) for z in (-1.0, 1.0))
        if not low < high:
            return (f"{fn}(−1.0) = {low:.6g} and {fn}(1.0) = {high:.6g}: {fn} is increasing, "
                    "so the first must be smaller")
        return None
    return first


sigmoid_shape_holds = mirror_holds(
    "sigmoid", lambda s, m: (s >= 0) & (s <= 1) & np.isclose(m, 1 - s, rtol=1e-9, atol=1e-12),
    "they must lie in [0, 1] and add up to 1 (σ(−z) = 1 − σ(z))", first=_increasing("sigmoid"))
sigmoid_prime_shape_holds = mirror_holds(
    "sigmoid_prime",
    lambda d, m: (d <= 0.25 + 1e-15) & (d >= 0) & np.isclose(d, m, rtol=1e-9, atol=1e-12),
    "σ' is symmetric and lies in [0, 0.25]", first=_quarter_at_zero)
tanh_shape_holds = mirror_holds(
    "tanh", lambda t, m: (np.abs(t) <= 1) & np.isclose(m, -t, rtol=1e-9, atol=1e-12),
    "tanh is odd and lies in [−1, 1]", first=_increasing("tanh"))




def shape_and_finite(fn: str, points: float, overflow_mistake: str = "non_finite") -> Check:
    """Hygiene: the same shape for a float, a 0-d array and N-d arrays; finite at |z| ≤ 1000."""
    inputs = [0.5, np.array(-2.0), np.zeros(0), np.linspace(-3, 3, 5),
              np.arange(24.0).reshape(2, 3, 4) - 12, EDGE.copy()]

    def run(ctx):
        warned = []
        for z, answer in zip(inputs, ctx.student.call_many(fn, [(z,) for z in inputs])):
            if not answer.ok:
                return Outcome(0.0, failure_text(fn, answer),
                               mistake=failure_mistake(answer.error or ""))
            out, msg = _shaped(fn, z, answer.value)
            if msg:
                return Outcome(0.0, msg)
            i = _first_bad(np.isfinite(out))
            if i is not None:
                return Outcome(0.0, f"{fn}({_at(z, i)}) returned {out.flat[i]}, but the answer "
                                    "is finite", mistake=overflow_mistake)
            if out.size > 2 and np.all(out == out.flat[0]):  # every true one varies on these
                return Outcome(0.0, f"{fn} returned {out.flat[0]:.6g} for every element of "
                                    f"z = {describe(z)}: its answer must depend on z")
            warned += [w for w in getattr(answer, "warnings", ()) if w not in warned]
        advice = None
        if warned:  # right values, noisy computation: teach it, deduct nothing
            advice = (f"{fn} is right, but at |z| up to 1000 numpy "
                      f"warned: {'; '.join(warned)}"
                      + (f". {_words(overflow_mistake)}" if overflow_mistake != "non_finite" else ""))
        return Outcome(1.0, "keeps the shape of its input (float, 0-d, empty, N-d); finite "
                            "for |z| up to 1000", advice=advice)
    return custom("same shape as its input; finite for large |z|", points, "hygiene", run,
                  independent_calls=lambda ctx: [((z,), False) for z in inputs])



def activation(hidden, fn, truth, formula, points_prop, points_hyg, extra_props=(),
               overflow_mistake="non_finite", wrong=None):
    checks = list(hidden_checks(hidden, fn))
    if points_prop:
        checks.append(prop(fn, formula, points_prop, screen=screen_z,
                           holds=equals_truth(fn, truth, formula, wrong=wrong),
                           strategy=_floats, role=EVIDENCE))
    checks += list(extra_props)
    checks += hygiene(fn, points_hyg, overflow_mistake)
    return Exercise(fn, "activations", tuple(checks))


def _z_matrix(rng):
    return (rng.normal(0, 2, (3, 4)),)


def hygiene(fn: str, points: float, overflow_mistake: str = "non_finite") -> list[Check]:
    """Half the hygiene points for shapes and finiteness, half for leaving z untouched (a
    relu that writes into its input is charged here, to relu, not to the forward pass that
    calls it: fair blame then hands forward a correct relu)."""
    return [shape_and_finite(fn, points / 2, overflow_mistake),
            no_mutation(fn, _z_matrix, points / 2, ("z",))]


# The formulas the public checks compare with (public: the contract states each one).
TRUTHS = {
    "sigmoid": _sigmoid,
    "sigmoid_prime": lambda z: _sigmoid(z) * (1 - _sigmoid(z)),
    "relu": lambda z: np.maximum(_f(z), 0.0),
    "relu_prime": lambda z: (_f(z) > 0).astype(float),
    "tanh": lambda z: np.tanh(_f(z)),
    "tanh_prime": lambda z: 1 - np.tanh(_f(z)) ** 2,
}


def exercises(hidden) -> tuple[Exercise, ...]:
    return (
        activation(hidden, "sigmoid", _sigmoid, "σ(z) = 1/(1 + e^(−z))", 0, 1,
                   extra_props=[prop("sigmoid", "σ(−z) = 1 − σ(z), values in [0, 1]", 1,
                                     screen=screen_z, holds=sigmoid_shape_holds,
                                     strategy=_floats, args_are_inputs=False)],
                   overflow_mistake="sigmoid_overflow"),
        Exercise("sigmoid_prime", "activations", (
            article("sigmoid_prime", (-0.2,), art.P1_EXACT["sigma_prime"], 1,
                    name="Problem 1: σ'(−0.2)", quote="the article rounds it to 0.248"),
            *hidden_checks(hidden, "sigmoid_prime"),
            prop("sigmoid_prime", "σ'(z) = σ(z)(1 − σ(z))", 1, screen=screen_z,
                 holds=equals_truth("sigmoid_prime", TRUTHS["sigmoid_prime"],
                                    "σ'(z) = σ(z)(1 − σ(z))", wrong={
                                        "sigmoid_prime_of_activation": lambda z: z * (1 - z),
                                        "sigmoid_prime_missing_one_minus":
                                            lambda z: _sigmoid(z) ** 2,
                                        "sigmoid_prime_returns_sigmoid": _sigmoid}),
                 strategy=_floats, role=EVIDENCE),
            prop("sigmoid_prime", "σ'(z) = σ'(−z), at most 0.25, 0.25 at z = 0", 1,
                 screen=screen_z, holds=sigmoid_prime_shape_holds, strategy=_floats),
            *hygiene("sigmoid_prime", 1),
        )),
        activation(hidden, "relu", lambda z: np.maximum(z, 0), "relu(z) = max(0, z)", 1, 0.5),
        activation(hidden, "relu_prime", TRUTHS["relu_prime"],
                   "relu'(z) is 1 where z > 0 and 0 elsewhere, so relu'(0) = 0", 1.5, 1,
                   wrong={"relu_prime_at_zero": lambda z: (z >= 0).astype(float)}),
        activation(hidden, "tanh", np.tanh, "tanh(z) = (e^z − e^(−z))/(e^z + e^(−z))", 0, 0.5,
                   extra_props=[prop("tanh", "tanh(−z) = −tanh(z), values in [−1, 1]", 1,
                                     screen=screen_z, holds=tanh_shape_holds, strategy=_floats,
                                     args_are_inputs=False)]),
        activation(hidden, "tanh_prime", TRUTHS["tanh_prime"],
                   "tanh'(z) = 1 − tanh(z)²", 1.5, 1,
                   wrong={"tanh_prime_no_square": lambda z: 1 - np.tanh(z),
                          "tanh_prime_of_activation": lambda z: 1 - z ** 2}),
    )


MISTAKES = {
    "sigmoid_overflow": "σ(z) computed as 1/(1+exp(−z)) overflows for large negative z "
                        "(exp(1000) is inf); use exp(−|z|) with two branches",
    "sigmoid_prime_of_activation": "σ' applied to the activation: z·(1−z) is σ'(z) only if z "
                                   "were already σ(z); compute σ(z) first",
    "sigmoid_prime_missing_one_minus": "σ(z)·σ(z) instead of σ(z)·(1−σ(z))",
    "relu_prime_at_zero": "relu'(0) must be 0 (the contract's convention), not 1: use z > 0, "
                          "not z >= 0",
    "tanh_prime_no_square": "1 − tanh(z) without the square: tanh'(z) = 1 − tanh(z)²",
    "sigmoid_prime_returns_sigmoid": "sigmoid_prime returns σ(z) itself: the derivative is "
                                     "a product built from σ(z), not σ(z) alone",
    "tanh_prime_of_activation": "tanh' computed as if z were already tanh(z): the formula "
                                "in terms of the activation needs tanh(z) computed first",
}


def _words(name: str) -> str:
    return {**_SHARED, **MISTAKES}.get(name, "")
