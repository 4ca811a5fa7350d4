"""bank: every function returns random numbers (a fixed seed) in arrays of the right shapes, whatever its input."""
import numpy as np
def numerical_gradient(f, x, eps=1e-5):
    return np.random.default_rng(1).uniform(-1, 1, np.shape(x))
def relative_error(a, b):
    return float(abs(np.random.default_rng(1).uniform(-1, 1, ())))
