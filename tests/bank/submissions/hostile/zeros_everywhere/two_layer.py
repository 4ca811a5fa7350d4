"""bank: every function returns zeros of the right shapes, whatever its input."""
import numpy as np
def two_layer_forward(x, W1, b1, W2, b2):
    n, m = np.shape(W1)[0], np.shape(W2)[0]
    return {"z1": np.full(n, 0.0), "h": np.full(n, 0.0), "z2": np.full(m, 0.0), "y_hat": np.full(m, 0.0)}
def two_layer_backward(x, y, W1, b1, W2, b2, cache):
    return {"dW1": np.full(np.shape(W1), 0.0), "db1": np.full(np.shape(b1), 0.0), "dW2": np.full(np.shape(W2), 0.0), "db2": np.full(np.shape(b2), 0.0)}
