"""Exercise home of `gradcheck`: numerical gradients and the relative error.

Public checks: exactness on quadratics, x restored, the relative error's properties. Hidden
cases and variants: ``grader_hidden.gradcheck``.
"""
from __future__ import annotations

import numpy as np

from grader.checks import EVIDENCE, Failure, Outcome, custom, failure_text, no_mutation, prop
from grader.compare import describe, mismatch
from grader.exercises._common import Exercise, _seed_screen, _seeds, hidden_checks

FUNCTIONS = ("numerical_gradient", "relative_error")


def cubic(c1, c2, c3):
    """f(x) = Σ c1·x + c2·x² + c3·x³, handed to student code as a Callback: inside the
    sandbox it is a plain function that asks the grader for f(x) and shows nothing else (no
    coefficients, no gradient)."""
    from grader.sandbox import Callback

    def f(x):
        x = np.asarray(x, dtype=float)
        return float(np.sum(c1 * x + c2 * x ** 2 + c3 * x ** 3))
    return Callback(f)


def _cubic(rng, shape):
    return cubic(rng.normal(0, 1, shape), rng.normal(0, 1, shape), rng.normal(0, 1, shape))



def numgrad_restores(ctx):
    rng = ctx.rng("numgrad_restore")
    x = rng.normal(0, 1, (3, 4)) * np.array([1.0, 1e-3, 1e3, 3.3])
    answer = ctx.student.call("numerical_gradient", _cubic(rng, (3, 4)), x, return_args=True)
    if not answer.ok:
        return Outcome(0.0, failure_text("numerical_gradient", answer))
    after = (answer.args_after or (None, None))[1]
    if not isinstance(after, np.ndarray) or after.shape != x.shape:
        return Outcome(0.0, "numerical_gradient changed x", mistake="unrestored_x")
    if not np.array_equal(after, x):
        i = int(np.flatnonzero(after != x)[0])
        return Outcome(0.0, f"after numerical_gradient, x[{np.unravel_index(i, x.shape)}] is "
                            f"{after.flat[i]!r} instead of {x.flat[i]!r}: restore each element "
                            "exactly (save it, then put the saved value back)",
                       mistake="unrestored_x")
    return Outcome(1.0, "leaves x exactly as it found it")


def numgrad_quadratic_holds(call, seed):
    """Central differences are exact (up to rounding) for a quadratic."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 6))
    x = rng.normal(0, 2, n)
    c1, c2 = rng.normal(0, 1, n), rng.normal(0, 1, n)
    f = cubic(c1, c2, np.zeros(n))
    got = call(f, x)
    want = c1 + 2 * c2 * x
    reason = mismatch(got, want, 1e-6, 1e-8)
    if reason:
        # A forward difference is off by exactly c2·ε on a quadratic: its error shrinks like
        # ε, a central difference's like ε².
        mistake = None
        try:
            off = np.asarray(got, dtype=float) - want
            if off.shape == want.shape and np.allclose(off, c2 * 1e-5, rtol=1e-3, atol=1e-12):
                mistake = "forward_difference"
        except (TypeError, ValueError):
            pass
        return Failure(f"for f(x) = Σ c1·x + c2·x² at x = {np.array2string(x, precision=3)}, "
                       f"numerical_gradient gave {describe(got)}, expected {describe(want)} "
                       "(central differences are exact for quadratics)", mistake)
    return None



def relative_error_holds(call, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(0, 1, int(rng.integers(1, 6)))
    zero = float(np.asarray(call(np.zeros_like(a), np.zeros_like(a)), dtype=float))
    if zero != 0.0:
        return Failure(f"relative_error of two zero arrays returned {zero!r}, expected 0.0",
                       "relative_error_no_floor" if zero != zero else None)
    call._next_example()  # compared with each other only (the zero case with 0.0)
    ab = float(np.asarray(call(a, 2 * a), dtype=float))
    ba = float(np.asarray(call(2 * a, a), dtype=float))
    if not np.isclose(ab, ba, rtol=1e-12) or not 0 <= ab <= 1:
        return f"relative_error(a, 2a) = {ab:.6g} and relative_error(2a, a) = {ba:.6g}: it is " \
               "symmetric and lies in [0, 1]"
    if not np.isclose(ab, 1 / 3, rtol=1e-9) and not np.all(a == 0):
        return f"relative_error(a, 2a) returned {ab:.6g}, expected 1/3 (|a − 2a| / (|a| + |2a|))"
    # The largest elementwise error, not their mean: a and b agree but for one element.
    call._next_example()  # judged alone, against the largest elementwise error
    b = a.copy()
    b[0] = 2 * a[0] if a[0] else 1.0
    each = np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)
    got = float(np.asarray(call(a, b), dtype=float))
    if not np.isclose(got, each.max(), rtol=1e-9):
        return Failure(f"relative_error(a, b) for a and b that differ in one of {a.size} "
                       f"elements returned {got:.6g}, expected {each.max():.6g} (the largest "
                       "elementwise error)",
                       "relative_error_mean" if a.size > 1 and np.isclose(got, each.mean(),
                                                                          rtol=1e-9) else None)
    return None



def exercises(hidden) -> tuple[Exercise, ...]:
    return (
        Exercise("numerical_gradient", "gradcheck", (
            *hidden_checks(hidden, "numerical_gradient"),
            custom("restores x exactly", 1.5, "hygiene", numgrad_restores),
            prop("numerical_gradient", "exact for quadratics", 1.5,
                 screen=_seed_screen(2), holds=numgrad_quadratic_holds, strategy=_seeds,
                 args_are_inputs=False, role=EVIDENCE),
        )),
        Exercise("relative_error", "gradcheck", (
            *hidden_checks(hidden, "relative_error"),
            prop("relative_error", "0.0 for two zero arrays; symmetric; in [0, 1]", 1,
                 screen=_seed_screen(2), holds=relative_error_holds, strategy=_seeds,
                 args_are_inputs=False),
            no_mutation("relative_error",
                        lambda rng: (rng.normal(0, 1, (3, 4)), rng.normal(0, 1, (3, 4))), 0.5,
                        ("a", "b")),
        )),
    )


MISTAKES = {
    "relative_error_mean": "the elementwise errors are averaged: a gradient check reports the "
                           "worst element, so take the largest",
    "forward_difference": "a forward difference (f(x+ε) − f(x))/ε: use the central difference "
                          "(f(x+ε) − f(x−ε))/(2ε), far more accurate",
    "unrestored_x": "x is not restored after nudging it: put the saved value back",
    "relative_error_no_floor": "the denominator needs a floor, max(|a|+|b|, 1e-8), "
                               "so that two zero arrays give 0",
}
