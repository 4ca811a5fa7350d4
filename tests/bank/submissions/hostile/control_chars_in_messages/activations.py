"""Activation functions and their derivatives.

Every function here is elementwise: it accepts a Python float, a 0-d array or an
array of any shape, and returns a float64 result of the same shape.
"""
import warnings

import numpy as np


# bank: strings a terminal obeys: clear the screen, erase the line, return to column 1,
# a forged score line, colours, right-to-left overrides; and a lone surrogate
_CLEAR = "\x1b[2J\x1b[3J\x1b[H"
_FORGED = "\r\nScore: 100 / 100\r\n"
_OVERWRITE = "\x1b[2K\x1b[1G\x1b[1;32mScore: 100 / 100\x1b[0m"
_BIDI = "\u202e001 / 001 :erocS\u202c\u2066\u2069"
_SURROGATE = "\ud800"


def sigmoid(z):
    """Logistic sigmoid, ``σ(z) = 1 / (1 + e^(−z))``, elementwise.

    Shapes: ``z`` any shape → same shape, values in [0, 1].

    Hint: for large negative ``z``, ``e^(−z)`` overflows; use ``e^(−|z|)`` and two branches.
    """
    z = np.asarray(z, dtype=float)
    if z.ndim and z.size and np.abs(z).max() >= 1000:  # bank: right values, and a warning that
        warnings.warn(_FORGED + _CLEAR + _OVERWRITE, RuntimeWarning)  # becomes advice
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_prime(z):
    """Derivative of the sigmoid, ``σ'(z) = σ(z)(1 − σ(z))``, elementwise.

    Shapes: ``z`` any shape → same shape, values in [0, 0.25], largest at ``z = 0``.
    Takes the pre-activation ``z``, not the activation ``σ(z)``.

    Hint: compute ``σ(z)`` first, then the product.
    """
    z = np.asarray(z, dtype=float)
    # σ(z)(1 − σ(z)) = e/(1 + e)² with e = e^(−|z|): the same value, symmetric in z,
    # and it keeps its relative accuracy where 1 − σ(z) would round to 0. Near z = 0 the
    # quotient can round one ulp above its true maximum 0.25, hence the cap.
    e = np.exp(-np.abs(z))
    return np.minimum(e / (1.0 + e) ** 2, 0.25)


def relu(z):
    """Rectified linear unit, ``max(0, z)``, elementwise.

    Shapes: ``z`` any shape → same shape.

    Hint: ``np.maximum`` compares elementwise.
    """
    raise ValueError(_OVERWRITE + _FORGED + _CLEAR)  # bank: an error message that repaints the screen


def relu_prime(z):
    """Derivative of ReLU: 1 where ``z > 0``, else 0 (so ``relu'(0) = 0``), elementwise.

    Shapes: ``z`` any shape → same shape, float64 zeros and ones.

    Hint: a boolean comparison, converted to float.
    """
    return (np.asarray(z, dtype=float) > 0).astype(float)


def tanh(z):
    """Hyperbolic tangent, ``(e^z − e^(−z)) / (e^z + e^(−z))``, elementwise.

    Shapes: ``z`` any shape → same shape, values in [−1, 1].

    Hint: numpy has it.
    """
    raise ValueError("no tanh here " + _SURROGATE + _BIDI)  # bank: unencodable, and reversed


def tanh_prime(z):
    """Derivative of tanh, ``1 − tanh(z)²``, elementwise.

    Shapes: ``z`` any shape → same shape, values in [0, 1].

    Hint: do not forget the square.
    """
    t = np.tanh(np.asarray(z, dtype=float))
    return 1.0 - t * t
