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
    # σ(z) = ½(1 + tanh(z/2)): tanh never overflows, so one formula serves every z.
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))


def sigmoid_prime(z):
    """Derivative of the sigmoid, ``σ'(z) = σ(z)(1 − σ(z))``, elementwise.

    Shapes: ``z`` any shape → same shape, values in [0, 0.25], largest at ``z = 0``.
    Takes the pre-activation ``z``, not the activation ``σ(z)``.

    Hint: compute ``σ(z)`` first, then the product.
    """
    s = sigmoid(z)
    return s * (1.0 - s)


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
    return (np.asarray(z, dtype=float) > 0).astype(float)


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
