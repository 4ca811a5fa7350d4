"""bank: every function returns zeros of the right shapes, whatever its input."""
import numpy as np
def mse_loss(y, y_hat):
    return float(np.full((), 0.0))
def linear_neuron_grads(x, w, b, y):
    return float(np.full((), 0.0)), float(np.full((), 0.0))
def sigmoid_neuron_grads(x, w, b, y):
    return float(np.full((), 0.0)), float(np.full((), 0.0))
