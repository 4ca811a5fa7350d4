"""bank: every function returns the constant 0.125 in arrays of the right shapes, whatever its input."""
import numpy as np
def sgd_step(params, grads, lr):
    return [(np.full(np.shape(W), 0.125), np.full(np.shape(b), 0.125)) for W, b in params]
def train(X, Y, params, activations, lr, epochs):
    return [(np.full(np.shape(W), 0.125), np.full(np.shape(b), 0.125)) for W, b in params], [float(np.full((), 0.125))] * epochs
