"""bank: every function returns zeros of the right shapes, whatever its input."""
import numpy as np
def numerical_gradient(f, x, eps=1e-5):
    return np.full(np.shape(x), 0.0)
def relative_error(a, b):
    return float(abs(np.full((), 0.0)))
