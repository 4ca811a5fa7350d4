"""Exercise home of `neuron`: one neuron's loss and gradients.

Public checks: the article's Problem 1, the loss formula, finite differences of the loss.
Hidden cases and variants: ``grader_hidden.neuron``.
"""
from __future__ import annotations

import numpy as np

from grader import article as art
from grader.checks import (EVIDENCE, Check, Failure, Outcome, article, custom, failure_text,
                           no_mutation, prop)
from grader.compare import describe
from grader.exercises._common import Exercise, _sigmoid, hidden_checks

FUNCTIONS = ("mse_loss", "linear_neuron_grads", "sigmoid_neuron_grads")


def _scalar_pair(value):
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        return None
    try:
        pair = [float(np.asarray(v, dtype=float)) for v in value]
    except (TypeError, ValueError):
        return None
    return pair


def neuron_consistency(fn: str, model) -> Check:
    """Public: the student's gradients equal central differences of the loss."""
    def run(ctx):
        rng = ctx.rng(fn + "fd")
        worst = 0.0
        inputs = [tuple(float(v) for v in rng.normal(0, 1.5, 4)) for _ in range(5)]
        for (x, w, b, y), answer in zip(inputs, ctx.student.call_many(fn, inputs)):
            if not answer.ok:
                return Outcome(0.0, failure_text(fn, answer))
            pair = _scalar_pair(answer.value)
            if pair is None:
                return Outcome(0.0, f"{fn} returned {describe(answer.value)}, expected two numbers "
                                    "(dL/dw, dL/db)")
            eps = 1e-6
            loss = lambda w_, b_: 0.5 * (y - model(w_ * x + b_)) ** 2  # noqa: E731
            fd = [(loss(w + eps, b) - loss(w - eps, b)) / (2 * eps),
                  (loss(w, b + eps) - loss(w, b - eps)) / (2 * eps)]
            err = max(abs(p - q) / max(abs(p) + abs(q), 1e-8) for p, q in zip(pair, fd))
            if err > 1e-5:
                z = w * x + b
                slope = float(_sigmoid(z) * (1 - _sigmoid(z))) if model is _sigmoid else 1.0
                mistake = None
                if all(np.isclose(p, -q, rtol=1e-5, atol=1e-12) for p, q in zip(pair, fd)):
                    mistake = "sign_flip"
                elif slope != 1.0 and all(np.isclose(p * slope, q, rtol=1e-5, atol=1e-12)
                                          for p, q in zip(pair, fd)):
                    mistake = "missing_activation_derivative"
                elif all(np.isclose(p, q, rtol=1e-5, atol=1e-12)
                         for p, q in zip(pair[::-1], fd)):
                    mistake = "dw_db_swapped"
                return Outcome(0.0, f"{fn}({x:.3g}, {w:.3g}, {b:.3g}, {y:.3g}) returned "
                                    f"({pair[0]:.6g}, {pair[1]:.6g}), but central differences of "
                                    f"the loss give ({fd[0]:.6g}, {fd[1]:.6g})", mistake=mistake)
            worst = max(worst, err)
        return Outcome(1.0, f"agrees with central differences of the loss (relative error "
                            f"{worst:.1e})")
    return custom("agrees with finite differences of the loss", 2, "consistency", run)


def returns_two_scalars(fn: str) -> Check:
    def run(ctx):
        answer = ctx.student.call(fn, 0.3, -0.7, 0.2, 1.0)
        if not answer.ok:
            return Outcome(0.0, failure_text(fn, answer))
        if _scalar_pair(answer.value) is None or any(
                np.ndim(v) != 0 for v in answer.value):
            return Outcome(0.0, f"{fn} returned {describe(answer.value)}; expected a pair of "
                                "scalars (dL/dw, dL/db)")
        return Outcome(1.0, "returns a pair of scalars")
    return custom("returns a pair of scalars", 1, "hygiene", run,
                  independent_calls=lambda ctx: [((0.3, -0.7, 0.2, 1.0), False)])


def mse_holds(call, y, y_hat):
    """½(y − ŷ)², elementwise: a number for numbers, an array of their shape for arrays."""
    got = np.asarray(call(y, y_hat), dtype=float)
    want = 0.5 * (np.asarray(y, dtype=float) - np.asarray(y_hat, dtype=float)) ** 2
    if got.shape != want.shape or not np.allclose(got, want, rtol=1e-9, atol=1e-15):
        half = (got.shape == want.shape and bool(np.any(want != 0))
                and np.allclose(got, 2 * want, rtol=1e-9, atol=1e-15))
        mistake = ("loss_missing_half" if half
                   else "mse_loss_reduces" if want.ndim and got.shape == () else None)
        if want.ndim:
            return Failure(f"mse_loss(y, ŷ) for arrays of shape {want.shape} returned "
                           f"{describe(got)}, expected {describe(want)}: ½(y − ŷ)² elementwise, "
                           "one loss per element (no mean, no sum)", mistake)
        return Failure(f"mse_loss({y!r}, {y_hat!r}) returned {describe(got)}, expected "
                       f"{float(want):.6g} (½(y − ŷ)²)", mistake)
    return None


def _mse_screen(rng):
    arrays = [(rng.normal(0, 2, 4), rng.normal(0, 2, 4)),
              (rng.normal(0, 2, (2, 3)), rng.normal(0, 2, (2, 3))),
              (np.array(float(rng.normal())), np.array(float(rng.normal()))),
              (rng.normal(0, 2, 1), rng.normal(0, 2, 1))]
    return [(0.0, 1.0), (2.0, -1.0), *arrays,
            *[tuple(map(float, r)) for r in rng.normal(0, 3, (20, 2))]]


def _mse_strategy():
    from hypothesis import strategies as st

    f = st.floats(-100, 100, allow_nan=False)
    return st.tuples(f, f)



def exercises(hidden) -> tuple[Exercise, ...]:
    P1 = art.P1
    p1_args = (P1["x"], P1["w"], P1["b"], P1["y"])
    return (
        Exercise("mse_loss", "neuron", (
            article("mse_loss", (0.0, art.P1_EXACT["y_hat"]), art.P1_EXACT["loss"], 0.5,
                    name="Problem 1: the loss", quote="the article rounds it to 0.101",
                    labels=("y=0", "ŷ=0.450166")),
            *hidden_checks(hidden, "mse_loss"),
            prop("mse_loss", "mse_loss(y, ŷ) = ½(y − ŷ)², elementwise for arrays", 1,
                 screen=_mse_screen, holds=mse_holds, strategy=_mse_strategy, role=EVIDENCE,
                 independent=True),
            no_mutation("mse_loss", lambda rng: (rng.normal(0, 1, 5), rng.normal(0, 1, 5)), 0.5,
                        ("y", "y_hat")),
        )),
        Exercise("linear_neuron_grads", "neuron", (
            *hidden_checks(hidden, "linear_neuron_grads"),
            neuron_consistency("linear_neuron_grads", lambda z: z),
            returns_two_scalars("linear_neuron_grads"),
        )),
        Exercise("sigmoid_neuron_grads", "neuron", (
            article("sigmoid_neuron_grads", p1_args, (art.P1_EXACT["dw"], art.P1_EXACT["db"]), 2,
                    name="Problem 1: ∂L/∂w and ∂L/∂b", quote=art.P1_ARTICLE,
                    helpers=("sigmoid", "sigmoid_prime")),
            *hidden_checks(hidden, "sigmoid_neuron_grads"),
            neuron_consistency("sigmoid_neuron_grads", _sigmoid),
            returns_two_scalars("sigmoid_neuron_grads"),
        ), helpers=("sigmoid", "sigmoid_prime")),
    )


MISTAKES: dict[str, str] = {
    "dw_db_swapped": "the two gradients are in the wrong order: the pair is (dL/dw, dL/db), "
                     "and only dL/dw carries the factor x",
    "mse_loss_reduces": "mse_loss is elementwise: for arrays it gives one loss per element, "
                        "of the same shape; leave any mean or sum to the caller",
}
