"""Gradient descent: using the gradients to change the parameters."""
import numpy as np

from .network import backward, forward, loss


def sgd_step(params, grads, lr):
    """One step of gradient descent: a new list of ``(W − lr·dW, b − lr·db)`` pairs.

    Shapes: ``params`` and ``grads`` are sequences of matching ``(W, b)`` / ``(dW, db)``
    pairs. The inputs are left untouched.

    Hint: downhill is minus the gradient; build new arrays instead of using ``-=``.
    """
    return [
        (np.asarray(W, dtype=float) - lr * np.asarray(dW, dtype=float),
         np.asarray(b, dtype=float) - lr * np.asarray(db, dtype=float))
        for (W, b), (dW, db) in zip(params, grads)
    ]


def train(X, Y, params, activations, lr, epochs):
    """Full-batch gradient descent for ``epochs`` steps.

    Shapes: ``X`` (B, d), ``Y`` (B, m), ``params`` as in ``network.forward``.
    Returns ``(params, losses)``: the trained parameters (new arrays; the inputs are untouched)
    and a list of ``epochs`` floats, ``losses[k]`` measured before the k-th update.

    Hint: forward, record the loss, backward, step — ``epochs`` times.
    """
    params = [(np.array(W, dtype=float), np.array(b, dtype=float)) for W, b in params]
    losses = []
    for _ in range(epochs):
        Y_hat, cache = forward(X, params, activations)
        losses.append(loss(Y_hat, Y))
        params = sgd_step(params, backward(Y, params, cache, activations), 0.1)  # bank: lr unused
    return params, losses
