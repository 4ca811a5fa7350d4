"""One neuron, one input, one example: the chain rule by hand, with plain Python numbers."""
import numpy as np

from .activations import sigmoid, sigmoid_prime


def mse_loss(y, y_hat):
    """Squared error of one prediction, ``½ (y − ŷ)²``: a float for numbers, else elementwise."""
    if isinstance(y, (int, float)) and isinstance(y_hat, (int, float)):
        return 0.5 * (y - y_hat) ** 2
    diff = np.asarray(y, dtype=float) - np.asarray(y_hat, dtype=float)
    return 0.5 * diff * diff


def linear_neuron_grads(x, w, b, y):
    """``(dL/dw, dL/db)`` for ``ŷ = w x + b``, as Python floats."""
    error = float(w) * float(x) + float(b) - float(y)  # ŷ − y
    return error * float(x), error


def sigmoid_neuron_grads(x, w, b, y):
    """``(dL/dw, dL/db)`` for ``ŷ = σ(w x + b)``, as Python floats."""
    z = float(w) * float(x) + float(b)
    delta = (sigmoid(z) - float(y)) * sigmoid_prime(z)
    return delta * float(x), delta
