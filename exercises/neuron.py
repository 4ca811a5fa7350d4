# Your answers go in this file: write each function where it says YOUR CODE HERE.
# Try one: `bpcourse run FUNCTION ARGS`; check one: `bpcourse check --only FUNCTION`.
"""One neuron, one input, one example: the chain rule by hand.

Loss: ``L = ½ (y − ŷ)²``, so ``∂L/∂ŷ = ŷ − y`` (the ½ cancels the 2 of the power rule).
"""
import numpy as np

from .activations import sigmoid, sigmoid_prime


def mse_loss(y, y_hat):
    """Squared error of one prediction, ``½ (y − ŷ)²``.

    Shapes: scalars (or arrays of one shape, elementwise) → same shape.

    Hint: the ½ is part of the loss.
    """
    # YOUR CODE HERE
    raise NotImplementedError('mse_loss: the ½ is part of the loss.')


def linear_neuron_grads(x, w, b, y):
    """Gradients of ``L = ½ (y − ŷ)²`` for the linear neuron ``ŷ = w x + b``.

    Shapes: all scalars. Returns ``(dL/dw, dL/db) = ((ŷ − y) x, ŷ − y)`` as floats.

    Hint: forward first (ŷ), then the error ŷ − y, then one chain-rule factor each.
    """
    # YOUR CODE HERE
    raise NotImplementedError('linear_neuron_grads: forward first (ŷ), then the error ŷ − y, then one chain-rule factor each.')


def sigmoid_neuron_grads(x, w, b, y):
    """Gradients of ``L = ½ (y − ŷ)²`` for the sigmoid neuron ``ŷ = σ(w x + b)``.

    Shapes: all scalars. With ``z = w x + b``:
    ``dL/dw = (ŷ − y) σ'(z) x`` and ``dL/db = (ŷ − y) σ'(z)``, returned as floats.

    Hint: σ' takes the pre-activation z, not ŷ.
    """
    # YOUR CODE HERE
    raise NotImplementedError("sigmoid_neuron_grads: σ' takes the pre-activation z, not ŷ.")
