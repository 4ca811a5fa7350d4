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
    diff = np.asarray(y, dtype=float) - np.asarray(y_hat, dtype=float)
    return 0.5 * diff * diff


def linear_neuron_grads(x, w, b, y):
    """Gradients of ``L = ½ (y − ŷ)²`` for the linear neuron ``ŷ = w x + b``.

    Shapes: all scalars. Returns ``(dL/dw, dL/db) = ((ŷ − y) x, ŷ − y)`` as floats.

    Hint: forward first (ŷ), then the error ŷ − y, then one chain-rule factor each.
    """
    y_hat = w * x + b
    error = y_hat - y  # ∂L/∂ŷ
    return float(error), float(error * x)  # bank: (dL/db, dL/dw), the wrong order


def sigmoid_neuron_grads(x, w, b, y):
    """Gradients of ``L = ½ (y − ŷ)²`` for the sigmoid neuron ``ŷ = σ(w x + b)``.

    Shapes: all scalars. With ``z = w x + b``:
    ``dL/dw = (ŷ − y) σ'(z) x`` and ``dL/db = (ŷ − y) σ'(z)``, returned as floats.

    Hint: σ' takes the pre-activation z, not ŷ.
    """
    z = w * x + b
    y_hat = sigmoid(z)
    delta = (y_hat - y) * sigmoid_prime(z)  # ∂L/∂z
    return float(delta * x), float(delta)
