"""Activation functions and their derivatives.

Every function here is elementwise: it accepts a Python float, a 0-d array or an
array of any shape, and returns a float64 result of the same shape.
"""
import numpy as np


def sigmoid(z):
    """Logistic sigmoid, ``σ(z) = 1 / (1 + e^(−z))``, elementwise.

    Shapes: ``z`` any shape → same shape, values in [0, 1].

    Hint: for large negative ``z``, ``e^(−z)`` overflows; use ``e^(−|z|)`` and two branches.
    """
    z = np.asarray(z, dtype=float)
    # e^(-|z|) lies in (0, 1], so nothing overflows for any z.
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
    return np.maximum(np.asarray(z, dtype=float), 0.0)


def relu_prime(z):
    """Derivative of ReLU: 1 where ``z > 0``, else 0 (so ``relu'(0) = 0``), elementwise.

    Shapes: ``z`` any shape → same shape, float64 zeros and ones.

    Hint: a boolean comparison, converted to float.
    """
    return 1.0 if z > 0 else 0.0  # bank: an `if` written for one number


def tanh(z):
    """Hyperbolic tangent, ``(e^z − e^(−z)) / (e^z + e^(−z))``, elementwise.

    Shapes: ``z`` any shape → same shape, values in [−1, 1].

    Hint: numpy has it.
    """
    return np.tanh(np.asarray(z, dtype=float))


def tanh_prime(z):
    """Derivative of tanh, ``1 − tanh(z)²``, elementwise.

    Shapes: ``z`` any shape → same shape, values in [0, 1].

    Hint: do not forget the square.
    """
    t = np.tanh(np.asarray(z, dtype=float))
    return 1.0 - t * t
