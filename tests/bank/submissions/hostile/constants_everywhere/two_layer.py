"""bank: every function returns the constant 0.125 in arrays of the right shapes, whatever its input."""
import numpy as np
def two_layer_forward(x, W1, b1, W2, b2):
    n, m = np.shape(W1)[0], np.shape(W2)[0]
    return {"z1": np.full(n, 0.125), "h": np.full(n, 0.125), "z2": np.full(m, 0.125), "y_hat": np.full(m, 0.125)}
def two_layer_backward(x, y, W1, b1, W2, b2, cache):
    return {"dW1": np.full(np.shape(W1), 0.125), "db1": np.full(np.shape(b1), 0.125), "dW2": np.full(np.shape(W2), 0.125), "db2": np.full(np.shape(b2), 0.125)}
