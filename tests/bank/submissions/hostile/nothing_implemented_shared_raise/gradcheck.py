"""Checking gradients numerically: central differences and the relative error."""
import numpy as np


from .activations import _todo  # bank: the shared raiser


def numerical_gradient(f, x, eps=1e-5):
    """Central-difference gradient of the scalar function ``f`` at the array ``x``.

    Shapes: ``x`` any shape → gradient of the same shape, float64.
    ``grad[i] = (f(x + eps·e_i) − f(x − eps·e_i)) / (2 eps)``. ``x`` is nudged in place, one
    element at a time (so ``f`` may read it through a closure), and restored exactly.

    Hint: save ``x[i]``, evaluate at ``x[i] ± eps``, put the saved value back.
    """
    _todo()  # bank: nothing written; every function raises from one shared line


def relative_error(a, b):
    """Largest elementwise relative error, ``max |a − b| / max(|a| + |b|, 1e-8)``, as a float.

    Shapes: ``a`` and ``b`` of one shape (or broadcastable). Two zero arrays give ``0.0``.
    About 1e-7 or less means two gradients agree; above 1e-2 one of them is wrong.

    Hint: ``np.maximum`` keeps the denominator away from 0.
    """
    _todo()  # bank: nothing written; every function raises from one shared line
