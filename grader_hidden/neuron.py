"""Hidden part of `neuron`: hidden cases and known-wrong variants."""
from __future__ import annotations

import numpy as np

from grader.checks import agree
from grader_hidden._common import _f, _kw, _sig, _sigp

def neuron_cases(rng):
    x, w, b = (int(v) * int(s) for v, s in zip(rng.integers(1, 3, 3), rng.choice([-1, 1], 3)))
    cases = [(f"integer inputs x={x}, w={w}, b={b}, y=1", (x, w, b, 1))]
    for _ in range(5):
        x, w, b, y = (float(v) for v in rng.normal(0, 1.5, 4))
        cases.append((f"x={x:.3g}, w={w:.3g}, b={b:.3g}, y={y:.3g}", (x, w, b, y)))
    return cases


def mse_cases(rng):
    same = float(rng.uniform(-2, 2))
    return [(f"y = ŷ = {same:.3g}", (same, same)),
            ("y an integer", (int(rng.integers(-3, 4)), float(rng.normal())))] + [
        (f"y={a:.3g}, ŷ={b:.3g}", (float(a), float(b))) for a, b in rng.normal(0, 2, (4, 2))] + [
        ("arrays of shape (5,): one loss per element", (rng.normal(0, 2, 5), rng.normal(0, 2, 5))),
        ("arrays of shape (2, 3)", (rng.normal(0, 2, (2, 3)), rng.normal(0, 2, (2, 3)))),
        ("0-d arrays", (np.array(float(rng.normal())), np.array(float(rng.normal()))))]



def _neuron(x, w, b, y, *, sign=1.0, deriv="z"):
    z = w * x + b
    y_hat = _sig(z)
    d = {"z": _sigp(z), "none": 1.0, "activation": _sigp(y_hat)}[deriv]
    delta = sign * (y_hat - y) * d
    return float(delta * x), float(delta)


CHECKS = {
    "mse_loss": (agree("mse_loss", mse_cases, 1),),
    "linear_neuron_grads": (agree("linear_neuron_grads", neuron_cases, 2),),
    "sigmoid_neuron_grads": (agree("sigmoid_neuron_grads", neuron_cases, 2),),
}

VARIANTS = {
    "mse_loss": [("loss_missing_half", lambda y, y_hat: (_f(y) - _f(y_hat)) ** 2),
                 ("mse_loss_reduces", lambda y, y_hat: float(np.mean(0.5 * (_f(y) - _f(y_hat)) ** 2))),
                 ("mse_loss_reduces", lambda y, y_hat: float(np.sum(0.5 * (_f(y) - _f(y_hat)) ** 2)))],
    "linear_neuron_grads": [
        ("sign_flip", lambda x, w, b, y: (float((y - (w * x + b)) * x), float(y - (w * x + b)))),
        ("dw_db_swapped", lambda x, w, b, y: (float(w * x + b - y), float((w * x + b - y) * x))),
    ],
    "sigmoid_neuron_grads": [
        ("sign_flip", _kw(_neuron, sign=-1.0)),
        ("missing_activation_derivative", _kw(_neuron, deriv="none")),
        ("activation_derivative_of_activation", _kw(_neuron, deriv="activation")),
        ("dw_db_swapped", lambda *args: _neuron(*args)[::-1]),
    ],
}
