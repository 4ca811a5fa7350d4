# Your answers go in this file: write each function where it says YOUR CODE HERE.
# Try one: `bpcourse run FUNCTION ARGS`; check one: `bpcourse check --only FUNCTION`.
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
    # YOUR CODE HERE
    raise NotImplementedError('sigmoid: for large negative z, e^(−z) overflows; use e^(−|z|) and two branches.')


def sigmoid_prime(z):
    """Derivative of the sigmoid, ``σ'(z) = σ(z)(1 − σ(z))``, elementwise.

    Shapes: ``z`` any shape → same shape, values in [0, 0.25], largest at ``z = 0``.
    Takes the pre-activation ``z``, not the activation ``σ(z)``.

    Hint: compute ``σ(z)`` first, then the product.
    """
    # YOUR CODE HERE
    raise NotImplementedError('sigmoid_prime: compute σ(z) first, then the product.')


def relu(z):
    """Rectified linear unit, ``max(0, z)``, elementwise.

    Shapes: ``z`` any shape → same shape.

    Hint: ``np.maximum`` compares elementwise.
    """
    # YOUR CODE HERE
    raise NotImplementedError('relu: np.maximum compares elementwise.')


def relu_prime(z):
    """Derivative of ReLU: 1 where ``z > 0``, else 0 (so ``relu'(0) = 0``), elementwise.

    Shapes: ``z`` any shape → same shape, float64 zeros and ones.

    Hint: a boolean comparison, converted to float.
    """
    # YOUR CODE HERE
    raise NotImplementedError('relu_prime: a boolean comparison, converted to float.')


def tanh(z):
    """Hyperbolic tangent, ``(e^z − e^(−z)) / (e^z + e^(−z))``, elementwise.

    Shapes: ``z`` any shape → same shape, values in [−1, 1].

    Hint: numpy has it.
    """
    # YOUR CODE HERE
    raise NotImplementedError('tanh: numpy has it.')


def tanh_prime(z):
    """Derivative of tanh, ``1 − tanh(z)²``, elementwise.

    Shapes: ``z`` any shape → same shape, values in [0, 1].

    Hint: do not forget the square.
    """
    # YOUR CODE HERE
    raise NotImplementedError('tanh_prime: do not forget the square.')
