"""bank: every function returns random numbers (a fixed seed) in arrays of the right shapes, whatever its input."""
import numpy as np
def forward(X, params, activations):
    B = np.shape(X)[0]
    cache = []
    n_in = np.shape(X)[1]
    for W, b in params:
        cache.append((np.random.default_rng(1).uniform(-1, 1, (B, n_in)), np.random.default_rng(1).uniform(-1, 1, (B, np.shape(W)[0]))))
        n_in = np.shape(W)[0]
    return np.random.default_rng(1).uniform(-1, 1, (B, n_in)), cache
def loss(Y_hat, Y):
    return float(np.random.default_rng(1).uniform(-1, 1, ()))
def backward(Y, params, cache, activations):
    return [(np.random.default_rng(1).uniform(-1, 1, np.shape(W)), np.random.default_rng(1).uniform(-1, 1, np.shape(b))) for W, b in params]
