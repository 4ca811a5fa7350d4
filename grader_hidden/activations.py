"""Hidden part of `activations`: the cases compared with the reference, and the known-wrong
variants that name a mistake by reproducing the student's answer."""
from __future__ import annotations

import numpy as np

from grader.checks import agree
from grader.exercises.activations import EDGE
from grader_hidden._common import _f, _sig, _sigp


# Every hidden case holds values drawn from the course secret: a fixed input would be public
# (the package is), and a table of its answers could pass without any code. Fixed edge values
# (0, ±0, tiny, extreme) travel inside arrays that also hold secret ones.

def elementwise_cases(rng):
    edge = np.concatenate([EDGE, rng.normal(0, 4, 6)])
    return [
        ("z a Python float", (float(rng.uniform(0.05, 2.0)),)),
        ("z a negative 0-d array", (np.array(-rng.uniform(0.5, 3.0)),)),
        ("z a tiny Python float", (float(rng.choice([-1.0, 1.0]) * rng.uniform(1e-9, 1e-6)),)),
        ("a vector holding 0, tiny and extreme values (|z| up to 1000)", (edge,)),
        ("a (3, 4) matrix", (rng.normal(0, 4, (3, 4)),)),
        ("a (2, 3, 2) array", (rng.normal(0, 2, (2, 3, 2)),)),
    ]



CHECKS = {fn: (agree(fn, elementwise_cases, points),) for fn, points in (
    ("sigmoid", 2), ("sigmoid_prime", 2), ("relu", 1.5), ("relu_prime", 1.5), ("tanh", 1.5),
    ("tanh_prime", 1.5))}

VARIANTS = {
    "sigmoid_prime": [
        ("sigmoid_prime_of_activation", lambda z: _f(z) * (1 - _f(z))),
        ("sigmoid_prime_missing_one_minus", lambda z: _sig(z) * _sig(z)),
        ("sigmoid_prime_of_activation", lambda z: _sigp(_sig(z))),
        ("sigmoid_prime_returns_sigmoid", _sig),
    ],
    "relu_prime": [("relu_prime_at_zero", lambda z: (_f(z) >= 0).astype(float))],
    "tanh_prime": [("tanh_prime_no_square", lambda z: 1 - np.tanh(_f(z))),
                   ("tanh_prime_of_activation", lambda z: 1 - _f(z) ** 2)],
}
