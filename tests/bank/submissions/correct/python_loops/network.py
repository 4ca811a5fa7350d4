"""An L-layer network on a mini-batch, one example and one neuron at a time.

Slower than matrix products, but every sum is written out.
"""
import numpy as np

from .activations import relu, relu_prime, sigmoid, sigmoid_prime, tanh, tanh_prime


def _identity(z):
    return np.asarray(z, dtype=float)


def _identity_prime(z):
    return np.ones_like(np.asarray(z, dtype=float))


ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "relu": (relu, relu_prime),
    "tanh": (tanh, tanh_prime),
    "identity": (_identity, _identity_prime),
}


def forward(X, params, activations):
    """Forward pass: returns ``(A_L, cache)`` with one ``(A_prev, Z)`` pair per layer."""
    A = np.asarray(X, dtype=float)
    cache = []
    for layer in range(len(params)):
        W = np.asarray(params[layer][0], dtype=float)
        b = np.asarray(params[layer][1], dtype=float)
        g, _ = ACTIVATIONS[activations[layer]]
        n_examples, n_out = A.shape[0], W.shape[0]
        Z = np.zeros((n_examples, n_out))
        for r in range(n_examples):
            for i in range(n_out):
                Z[r, i] = np.dot(W[i], A[r]) + b[i]
        cache.append((A, Z))
        A = g(Z)
    return A, cache


def loss(Y_hat, Y):
    """``1/(2B) ‖Y − Ŷ‖²_F`` as a float, summed example by example."""
    Y_hat = np.asarray(Y_hat, dtype=float)
    Y = np.asarray(Y, dtype=float)
    total = 0.0
    for r in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            total += (Y[r, j] - Y_hat[r, j]) ** 2
    return total / (2 * Y.shape[0])


def backward(Y, params, cache, activations):
    """Gradients of the batch loss for every layer, example by example."""
    Y = np.asarray(Y, dtype=float)
    B = Y.shape[0]
    n_layers = len(cache)
    g_last, g_last_prime = ACTIVATIONS[activations[-1]]
    Z_last = cache[-1][1]
    delta = (g_last(Z_last) - Y) * g_last_prime(Z_last)
    grads = [None] * n_layers
    for layer in range(n_layers - 1, -1, -1):
        A_prev, _ = cache[layer]
        n_out, n_in = delta.shape[1], A_prev.shape[1]
        dW = np.zeros((n_out, n_in))
        db = np.zeros(n_out)
        for r in range(B):  # each example adds its own outer product δ_r a_rᵀ
            for i in range(n_out):
                dW[i] += delta[r, i] * A_prev[r]
                db[i] += delta[r, i]
        grads[layer] = (dW / B, db / B)
        if layer > 0:
            W = np.asarray(params[layer][0], dtype=float)
            _, g_prev_prime = ACTIVATIONS[activations[layer - 1]]
            back = np.zeros((B, n_in))
            for r in range(B):
                for j in range(n_in):
                    back[r, j] = np.dot(delta[r], W[:, j])
            delta = back * g_prev_prime(cache[layer - 1][1])
    return grads
