"""Activation functions and their derivatives.

A number in gives a Python float out (the math module is quicker for one number);
anything else goes through numpy and keeps its shape.
"""
import math

import numpy as np


def _is_number(z):
    # bool is an int and np.float64 is a float: both count as plain numbers here.
    return isinstance(z, (int, float))


def sigmoid(z):
    """Logistic sigmoid, ``σ(z) = 1 / (1 + e^(−z))``, elementwise."""
    if _is_number(z):
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)  # z < 0, so e < 1: no overflow
        return e / (1.0 + e)
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_prime(z):
    """Derivative of the sigmoid, ``σ'(z) = σ(z)(1 − σ(z))``, elementwise."""
    # e/(1+e)² can round one ulp above its maximum 0.25 near z = 0: cap it.
    if _is_number(z):
        e = math.exp(-abs(z))
        return min(e / (1.0 + e) ** 2, 0.25)
    e = np.exp(-np.abs(np.asarray(z, dtype=float)))
    return np.minimum(e / (1.0 + e) ** 2, 0.25)


def relu(z):
    """Rectified linear unit, ``max(0, z)``, elementwise."""
    if _is_number(z):
        return float(z) if z > 0 else 0.0
    return np.maximum(np.asarray(z, dtype=float), 0.0)


def relu_prime(z):
    """Derivative of ReLU: 1 where ``z > 0``, else 0, elementwise."""
    if _is_number(z):
        return 1.0 if z > 0 else 0.0
    return (np.asarray(z, dtype=float) > 0).astype(float)


def tanh(z):
    """Hyperbolic tangent, elementwise."""
    if _is_number(z):
        return math.tanh(z)
    return np.tanh(np.asarray(z, dtype=float))


def tanh_prime(z):
    """Derivative of tanh, ``1 − tanh(z)²``, elementwise."""
    if _is_number(z):
        return 1.0 - math.tanh(z) ** 2
    t = np.tanh(np.asarray(z, dtype=float))
    return 1.0 - t * t
