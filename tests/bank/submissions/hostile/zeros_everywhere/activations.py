"""bank: every function returns zeros of the right shapes, whatever its input."""
import numpy as np
def sigmoid(z):
    return np.full(np.shape(z), 0.0)
def sigmoid_prime(z):
    return np.full(np.shape(z), 0.0)
def relu(z):
    return np.full(np.shape(z), 0.0)
def relu_prime(z):
    return np.full(np.shape(z), 0.0)
def tanh(z):
    return np.full(np.shape(z), 0.0)
def tanh_prime(z):
    return np.full(np.shape(z), 0.0)
