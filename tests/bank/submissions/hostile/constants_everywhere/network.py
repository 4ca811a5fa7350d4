"""bank: every function returns the constant 0.125 in arrays of the right shapes, whatever its input."""
import numpy as np
def forward(X, params, activations):
    B = np.shape(X)[0]
    cache = []
    n_in = np.shape(X)[1]
    for W, b in params:
        cache.append((np.full((B, n_in), 0.125), np.full((B, np.shape(W)[0]), 0.125)))
        n_in = np.shape(W)[0]
    return np.full((B, n_in), 0.125), cache
def loss(Y_hat, Y):
    return float(np.full((), 0.125))
def backward(Y, params, cache, activations):
    return [(np.full(np.shape(W), 0.125), np.full(np.shape(b), 0.125)) for W, b in params]
