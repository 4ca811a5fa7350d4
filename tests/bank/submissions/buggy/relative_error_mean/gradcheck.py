"""Checking gradients numerically: central differences and the relative error."""
import numpy as np


def numerical_gradient(f, x, eps=1e-5):
    """Central-difference gradient of the scalar function ``f`` at the array ``x``.

    Shapes: ``x`` any shape → gradient of the same shape, float64.
    ``grad[i] = (f(x + eps·e_i) − f(x − eps·e_i)) / (2 eps)``. ``x`` is nudged in place, one
    element at a time (so ``f`` may read it through a closure), and restored exactly.

    Hint: save ``x[i]``, evaluate at ``x[i] ± eps``, put the saved value back.
    """
    if not (isinstance(x, np.ndarray) and x.dtype == np.float64 and x.flags.writeable):
        # A number, a list or an integer array cannot be nudged by eps in place.
        x = np.array(x, dtype=float)
    grad = np.zeros(x.shape, dtype=float)
    for index in np.ndindex(*x.shape):
        saved = x[index]
        try:
            x[index] = saved + eps
            f_plus = f(x)
            x[index] = saved - eps
            f_minus = f(x)
        finally:
            x[index] = saved  # put back the very same float
        grad[index] = (float(f_plus) - float(f_minus)) / (2 * eps)
    return grad


def relative_error(a, b):
    """Largest elementwise relative error, ``max |a − b| / max(|a| + |b|, 1e-8)``, as a float.

    Shapes: ``a`` and ``b`` of one shape (or broadcastable). Two zero arrays give ``0.0``.
    About 1e-7 or less means two gradients agree; above 1e-2 one of them is wrong.

    Hint: ``np.maximum`` keeps the denominator away from 0.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return float(np.mean(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)))  # bank: mean
