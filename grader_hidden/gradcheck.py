"""Hidden part of `gradcheck`: hidden cases and known-wrong variants."""
from __future__ import annotations

import numpy as np

from grader.checks import agree
from grader.exercises.gradcheck import _cubic
from grader_hidden._common import _f

def numgrad_cases(rng):
    cases = []
    for shape in ((), (1,), (5,), (3, 4), (2, 2, 3)):
        x = rng.normal(0, 1.5, shape) if shape else np.array(rng.normal(0, 1.5))
        cases.append((f"a cubic function at x of shape {shape}", (_cubic(rng, shape), x)))
    return cases



def relative_error_cases(rng):
    a = rng.normal(0, 1, (3, 4))
    n = int(rng.integers(2, 7))
    s = float(rng.uniform(0.5, 2.0))
    return [
        # (two zero arrays give 0.0: public knowledge, checked by the property instead)
        ("tiny values against zeros (the floor of the denominator)",
         (np.zeros(n), rng.normal(0, 1e-10, n))),
        ("equal arrays", (a, a.copy())),
        ("a and a + 1e-6", (a, a + 1e-6)),
        ("arrays of different magnitudes", (a * 1e3, a * 1e3 + rng.normal(0, 1, a.shape))),
        ("a zero and a nonzero array", (np.zeros(n + 1), rng.normal(0, 1, n + 1))),
        ("two Python floats", (s, s * float(rng.uniform(1.05, 1.3)))),
        ("two 0-d arrays", (np.array(s), np.array(-s * float(rng.uniform(0.2, 0.8))))),
    ]


def _relative_error_global(a, b):
    """Also accepted: the max difference over the max denominator (another reading)."""
    a, b = _f(a), _f(b)
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(a) + np.abs(b))), 1e-8))



def _forward_difference(f, x, eps=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    f0 = float(f(x))
    for i in np.ndindex(*x.shape):
        saved = x[i]
        x[i] = saved + eps
        grad[i] = (float(f(x)) - f0) / eps
        x[i] = saved
    return grad


def _relative_error_no_floor(a, b):
    a, b = _f(a), _f(b)
    with np.errstate(all="ignore"):
        return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))))



def _relative_error_mean(a, b):
    a, b = _f(a), _f(b)
    return float(np.mean(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)))


CHECKS = {
    "numerical_gradient": (agree("numerical_gradient", numgrad_cases, 3),),
    "relative_error": (agree("relative_error", relative_error_cases, 1.5,
                             alternatives=(_relative_error_global,)),),
}

VARIANTS = {
    "numerical_gradient": [("forward_difference", _forward_difference)],
    "relative_error": [("relative_error_no_floor", _relative_error_no_floor),
                       ("relative_error_mean", _relative_error_mean)],
}
