"""bank: every function returns random numbers (a fixed seed) in arrays of the right shapes, whatever its input."""
import numpy as np
def sigmoid(z):
    return np.random.default_rng(1).uniform(-1, 1, np.shape(z))
def sigmoid_prime(z):
    return np.random.default_rng(1).uniform(-1, 1, np.shape(z))
def relu(z):
    return np.random.default_rng(1).uniform(-1, 1, np.shape(z))
def relu_prime(z):
    return np.random.default_rng(1).uniform(-1, 1, np.shape(z))
def tanh(z):
    return np.random.default_rng(1).uniform(-1, 1, np.shape(z))
def tanh_prime(z):
    return np.random.default_rng(1).uniform(-1, 1, np.shape(z))
