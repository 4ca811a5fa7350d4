"""Gradient descent, one parameter array at a time."""
import numpy as np

from .network import backward, forward, loss


def sgd_step(params, grads, lr):
    """A new list of ``(W − lr·dW, b − lr·db)`` pairs; the inputs are left untouched."""
    new_params = []
    for layer in range(len(params)):
        W, b = params[layer]
        dW, db = grads[layer]
        W_new = np.array(W, dtype=float)  # a copy
        b_new = np.array(b, dtype=float)
        for i in range(W_new.shape[0]):
            W_new[i] = W_new[i] - lr * np.asarray(dW[i], dtype=float)
            b_new[i] = b_new[i] - lr * db[i]
        new_params.append((W_new, b_new))
    return new_params


def train(X, Y, params, activations, lr, epochs):
    """Full-batch gradient descent; ``losses[k]`` is measured before the k-th update."""
    losses = []
    current = [(np.array(W, dtype=float), np.array(b, dtype=float)) for W, b in params]
    for epoch in range(epochs):
        Y_hat, cache = forward(X, current, activations)
        losses.append(loss(Y_hat, Y))
        grads = backward(Y, current, cache, activations)
        current = sgd_step(current, grads, lr)
    return current, losses
