"""bank: every function returns zeros of the right shapes, whatever its input."""
import numpy as np
def forward(X, params, activations):
    B = np.shape(X)[0]
    cache = []
    n_in = np.shape(X)[1]
    for W, b in params:
        cache.append((np.full((B, n_in), 0.0), np.full((B, np.shape(W)[0]), 0.0)))
        n_in = np.shape(W)[0]
    return np.full((B, n_in), 0.0), cache
def loss(Y_hat, Y):
    return float(np.full((), 0.0))
def backward(Y, params, cache, activations):
    return [(np.full(np.shape(W), 0.0), np.full(np.shape(b), 0.0)) for W, b in params]
