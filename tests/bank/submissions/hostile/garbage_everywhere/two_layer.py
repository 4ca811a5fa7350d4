"""bank: every function returns random numbers (a fixed seed) in arrays of the right shapes, whatever its input."""
import numpy as np
def two_layer_forward(x, W1, b1, W2, b2):
    n, m = np.shape(W1)[0], np.shape(W2)[0]
    return {"z1": np.random.default_rng(1).uniform(-1, 1, n), "h": np.random.default_rng(1).uniform(-1, 1, n), "z2": np.random.default_rng(1).uniform(-1, 1, m), "y_hat": np.random.default_rng(1).uniform(-1, 1, m)}
def two_layer_backward(x, y, W1, b1, W2, b2, cache):
    return {"dW1": np.random.default_rng(1).uniform(-1, 1, np.shape(W1)), "db1": np.random.default_rng(1).uniform(-1, 1, np.shape(b1)), "dW2": np.random.default_rng(1).uniform(-1, 1, np.shape(W2)), "db2": np.random.default_rng(1).uniform(-1, 1, np.shape(b2))}
