"""bank: every function returns zeros of the right shapes, whatever its input."""
import numpy as np
def sgd_step(params, grads, lr):
    return [(np.full(np.shape(W), 0.0), np.full(np.shape(b), 0.0)) for W, b in params]
def train(X, Y, params, activations, lr, epochs):
    return [(np.full(np.shape(W), 0.0), np.full(np.shape(b), 0.0)) for W, b in params], [float(np.full((), 0.0))] * epochs
