"""What the hidden modules share: correct activations (the default paths of every variant)
and ``_kw``, which fixes a variant's slip by keyword."""
from __future__ import annotations

import numpy as np


def _f(a):
    return np.asarray(a, dtype=float)


def _sig(z):
    z = _f(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _sigp(z):
    s = _sig(z)
    return s * (1 - s)


ACT = {
    "sigmoid": (_sig, _sigp),
    "relu": (lambda z: np.maximum(_f(z), 0.0), lambda z: (_f(z) > 0).astype(float)),
    "tanh": (lambda z: np.tanh(_f(z)), lambda z: 1 - np.tanh(_f(z)) ** 2),
    "identity": (_f, lambda z: np.ones_like(_f(z))),
}



def _kw(fn, **kwargs):
    return lambda *args: fn(*args, **kwargs)

