# Your answers go in this file: write each function where it says YOUR CODE HERE.
# Try one: `bpcourse run FUNCTION ARGS`; check one: `bpcourse check --only FUNCTION`.
"""Checking gradients numerically: central differences and the relative error."""
import numpy as np


def numerical_gradient(f, x, eps=1e-5):
    """Central-difference gradient of the scalar function ``f`` at the array ``x``.

    Shapes: ``x`` any shape → gradient of the same shape, float64.
    ``grad[i] = (f(x + eps·e_i) − f(x − eps·e_i)) / (2 eps)``. ``x`` is nudged in place, one
    element at a time (so ``f`` may read it through a closure), and restored exactly.

    Hint: save ``x[i]``, evaluate at ``x[i] ± eps``, put the saved value back.
    """
    # YOUR CODE HERE
    raise NotImplementedError('numerical_gradient: save x[i], evaluate at x[i] ± eps, put the saved value back.')


def relative_error(a, b):
    """Largest elementwise relative error, ``max |a − b| / max(|a| + |b|, 1e-8)``, as a float.

    Shapes: ``a`` and ``b`` of one shape (or broadcastable). Two zero arrays give ``0.0``.
    About 1e-7 or less means two gradients agree; above 1e-2 one of them is wrong.

    Hint: ``np.maximum`` keeps the denominator away from 0.
    """
    # YOUR CODE HERE
    raise NotImplementedError('relative_error: np.maximum keeps the denominator away from 0.')
