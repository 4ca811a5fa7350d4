# Your answers go in this file: write each function where it says YOUR CODE HERE.
# Try one: `bpcourse run FUNCTION ARGS`; check one: `bpcourse check --only FUNCTION`.
"""Gradient descent: using the gradients to change the parameters."""
import numpy as np

from .network import backward, forward, loss


def sgd_step(params, grads, lr):
    """One step of gradient descent: a new list of ``(W − lr·dW, b − lr·db)`` pairs.

    Shapes: ``params`` and ``grads`` are sequences of matching ``(W, b)`` / ``(dW, db)``
    pairs. The inputs are left untouched.

    Hint: downhill is minus the gradient; build new arrays instead of using ``-=``.
    """
    # YOUR CODE HERE
    raise NotImplementedError('sgd_step: downhill is minus the gradient; build new arrays instead of using -=.')


def train(X, Y, params, activations, lr, epochs):
    """Full-batch gradient descent for ``epochs`` steps.

    Shapes: ``X`` (B, d), ``Y`` (B, m), ``params`` as in ``network.forward``.
    Returns ``(params, losses)``: the trained parameters (new arrays; the inputs are untouched)
    and a list of ``epochs`` floats, ``losses[k]`` measured before the k-th update.

    Hint: forward, record the loss, backward, step — ``epochs`` times.
    """
    # YOUR CODE HERE
    raise NotImplementedError('train: forward, record the loss, backward, step — epochs times.')
