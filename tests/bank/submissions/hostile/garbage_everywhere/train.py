"""bank: every function returns random numbers (a fixed seed) in arrays of the right shapes, whatever its input."""
import numpy as np
def sgd_step(params, grads, lr):
    return [(np.random.default_rng(1).uniform(-1, 1, np.shape(W)), np.random.default_rng(1).uniform(-1, 1, np.shape(b))) for W, b in params]
def train(X, Y, params, activations, lr, epochs):
    return [(np.random.default_rng(1).uniform(-1, 1, np.shape(W)), np.random.default_rng(1).uniform(-1, 1, np.shape(b))) for W, b in params], [float(np.random.default_rng(1).uniform(-1, 1, ()))] * epochs
