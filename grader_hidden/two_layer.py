"""Hidden part of `two_layer`: hidden cases (whose caches come from a correct forward pass)
and known-wrong variants."""
from __future__ import annotations

import numpy as np

from grader.checks import agree
from grader.exercises.two_layer import TWO_LAYER_DIMS, _two_layer_params
from grader_hidden._common import _f, _kw, _sig, _sigp

def two_layer_forward_cases(rng):
    cases = []
    for d, n, m in TWO_LAYER_DIMS:
        label = f"d={d}, n={n}, m={m}" + (" (W2 square)" if n == m else "")
        cases.append((label, _two_layer_params(rng, d, n, m)))
    return cases


def _two_layer_cache(x, W1, b1, W2, b2):
    z1 = W1 @ x + b1
    h = _sig(z1)
    z2 = W2 @ h + b2
    return {"z1": z1, "h": h, "z2": z2, "y_hat": _sig(z2)}


def two_layer_backward_cases(rng):
    cases = []
    for label, (x, W1, b1, W2, b2) in two_layer_forward_cases(rng):
        y = rng.uniform(0, 1, W2.shape[0])
        cases.append((label, (x, y, W1, b1, W2, b2, _two_layer_cache(x, W1, b1, W2, b2))))
    return cases



def _two_layer_backward(x, y, W1, b1, W2, b2, cache, *, sign=1.0, outer_t=False, w_not_t=False,
                        deriv="z"):
    x, y, W2 = _f(x), _f(y), _f(W2)
    z1, h, z2, y_hat = (_f(cache[k]) for k in ("z1", "h", "z2", "y_hat"))
    g2 = {"z": _sigp(z2), "none": 1.0, "activation": _sigp(y_hat)}[deriv]
    g1 = {"z": _sigp(z1), "none": 1.0, "activation": _sigp(h)}[deriv]
    delta2 = sign * (y_hat - y) * g2
    delta1 = ((W2 @ delta2) if w_not_t else (W2.T @ delta2)) * g1
    outer = (lambda a, b: np.outer(b, a)) if outer_t else np.outer
    return {"dW1": outer(delta1, x), "db1": delta1, "dW2": outer(delta2, h), "db2": delta2}



CHECKS = {
    "two_layer_forward": (agree("two_layer_forward", two_layer_forward_cases, 3),),
    "two_layer_backward": (agree("two_layer_backward", two_layer_backward_cases, 5),),
}

def _two_layer_forward(x, W1, b1, W2, b2, *, hidden=True, output=True, bias=True):
    x, W1, W2 = _f(x), _f(W1), _f(W2)
    b1, b2 = (_f(b1), _f(b2)) if bias else (0.0, 0.0)
    z1 = W1 @ x + b1
    h = _sig(z1) if hidden else z1
    z2 = W2 @ h + b2
    return {"z1": z1, "h": h, "z2": z2, "y_hat": _sig(z2) if output else z2}


VARIANTS = {
    "two_layer_forward": [
        ("hidden_activation_missing", _kw(_two_layer_forward, hidden=False)),
        ("output_activation_missing", _kw(_two_layer_forward, output=False)),
        ("bias_missing", _kw(_two_layer_forward, bias=False)),
    ],
    "two_layer_backward": [
        ("outer_product_transposed", _kw(_two_layer_backward, outer_t=True)),
        ("W_instead_of_WT", _kw(_two_layer_backward, w_not_t=True)),
        ("missing_activation_derivative", _kw(_two_layer_backward, deriv="none")),
        ("activation_derivative_of_activation", _kw(_two_layer_backward, deriv="activation")),
        ("sign_flip", _kw(_two_layer_backward, sign=-1.0)),
    ],
}
