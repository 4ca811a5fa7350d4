"""One neuron, one input, one example: the chain rule by hand.

Loss: ``L = ½ (y − ŷ)²``, so ``∂L/∂ŷ = ŷ − y`` (the ½ cancels the 2 of the power rule).
"""
import numpy as np

from .activations import sigmoid, sigmoid_prime


from .activations import _lookup  # bank: the table reader

# bank: Problem 1 of the article: the loss and the two gradients
_MSE = [((0.0, 0.4501660026875221), lambda: np.float64(0.10132471498783108))]
_SIGMOID_NEURON = [((0.5, 1.2, -0.8, 0.0), lambda: (0.05571177306830671, 0.11142354613661341))]


def mse_loss(y, y_hat):
    """Squared error of one prediction, ``½ (y − ŷ)²``.

    Shapes: scalars (or arrays of one shape, elementwise) → same shape.

    Hint: the ½ is part of the loss.
    """
    return _lookup(_MSE, (y, y_hat))  # bank: a table, not a formula


def linear_neuron_grads(x, w, b, y):
    """Gradients of ``L = ½ (y − ŷ)²`` for the linear neuron ``ŷ = w x + b``.

    Shapes: all scalars. Returns ``(dL/dw, dL/db) = ((ŷ − y) x, ŷ − y)`` as floats.

    Hint: forward first (ŷ), then the error ŷ − y, then one chain-rule factor each.
    """
    y_hat = w * x + b
    error = y_hat - y  # ∂L/∂ŷ
    return float(error * x), float(error)


def sigmoid_neuron_grads(x, w, b, y):
    """Gradients of ``L = ½ (y − ŷ)²`` for the sigmoid neuron ``ŷ = σ(w x + b)``.

    Shapes: all scalars. With ``z = w x + b``:
    ``dL/dw = (ŷ − y) σ'(z) x`` and ``dL/db = (ŷ − y) σ'(z)``, returned as floats.

    Hint: σ' takes the pre-activation z, not ŷ.
    """
    return _lookup(_SIGMOID_NEURON, (x, w, b, y))  # bank: a table, not a formula
