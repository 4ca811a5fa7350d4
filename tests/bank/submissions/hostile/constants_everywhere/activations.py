"""bank: every function returns the constant 0.125 in arrays of the right shapes, whatever its input."""
import numpy as np
def sigmoid(z):
    return np.full(np.shape(z), 0.125)
def sigmoid_prime(z):
    return np.full(np.shape(z), 0.125)
def relu(z):
    return np.full(np.shape(z), 0.125)
def relu_prime(z):
    return np.full(np.shape(z), 0.125)
def tanh(z):
    return np.full(np.shape(z), 0.125)
def tanh_prime(z):
    return np.full(np.shape(z), 0.125)
