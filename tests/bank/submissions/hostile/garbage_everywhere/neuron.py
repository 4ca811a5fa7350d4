"""bank: every function returns random numbers (a fixed seed) in arrays of the right shapes, whatever its input."""
import numpy as np
def mse_loss(y, y_hat):
    return float(np.random.default_rng(1).uniform(-1, 1, ()))
def linear_neuron_grads(x, w, b, y):
    return float(np.random.default_rng(1).uniform(-1, 1, ())), float(np.random.default_rng(1).uniform(-1, 1, ()))
def sigmoid_neuron_grads(x, w, b, y):
    return float(np.random.default_rng(1).uniform(-1, 1, ())), float(np.random.default_rng(1).uniform(-1, 1, ()))
