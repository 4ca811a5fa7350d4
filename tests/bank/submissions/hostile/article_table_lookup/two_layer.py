"""A two-layer sigmoid network on one example, in vector form.

``z1 = W1 x + b1``, ``h = σ(z1)``, ``z2 = W2 h + b2``, ``ŷ = σ(z2)``, ``L = ½ ‖y − ŷ‖²``.
Row i of a weight matrix belongs to neuron i of its layer, column j to input j.
"""
import numpy as np

from .activations import sigmoid, sigmoid_prime


from .activations import _lookup  # bank: the table reader

# bank: the article's worked example, forward and backward
_X, _Y = [2.0], [1.0]
_W1, _B1, _W2, _B2 = [[0.5], [-0.3]], [0.1, -0.2], [[0.8, -0.4]], [0.3]
_FORWARD = {"z1": [1.1, -0.8], "h": [0.7502601055951177, 0.31002551887238755],
            "z2": [0.7761978769271392], "y_hat": [0.684860091434837]}
_GRADS = {"dW1": [[-0.02039052599888407], [0.011639360709532413]],
          "db1": [-0.010195262999442034, 0.005819680354766207],
          "dW2": [[-0.051029407134454995, -0.021086578250166625]],
          "db2": [-0.06801562118777153]}
_TWO_LAYER_FORWARD = [((_X, _W1, _B1, _W2, _B2),
                       lambda: {k: np.array(v) for k, v in _FORWARD.items()})]
_TWO_LAYER_BACKWARD = [((_X, _Y, _W1, _B1, _W2, _B2, _FORWARD),
                        lambda: {k: np.array(v) for k, v in _GRADS.items()})]


def two_layer_forward(x, W1, b1, W2, b2):
    """Forward pass of one example through two sigmoid layers.

    Shapes: ``x`` (d,), ``W1`` (n, d), ``b1`` (n,), ``W2`` (m, n), ``b2`` (m,).
    Returns a dict: ``z1`` (n,), ``h`` (n,), ``z2`` (m,), ``y_hat`` (m,).

    Hint: ``W @ x`` multiplies a matrix by a vector.
    """
    return _lookup(_TWO_LAYER_FORWARD, (x, W1, b1, W2, b2))  # bank: a table, not a formula


def two_layer_backward(x, y, W1, b1, W2, b2, cache):
    """Gradients of ``L = ½ ‖y − ŷ‖²`` for the two-layer network, one example.

    Shapes: as in ``two_layer_forward``, ``y`` (m,); ``cache`` is its returned dict.
    ``δ2 = (ŷ − y) ⊙ σ'(z2)``, ``δ1 = (W2ᵀ δ2) ⊙ σ'(z1)``;
    ``dW2 = δ2 hᵀ`` (m, n), ``db2 = δ2``, ``dW1 = δ1 xᵀ`` (n, d), ``db1 = δ1``.
    Returns a dict with keys ``dW1``, ``db1``, ``dW2``, ``db2``.

    Hint: ``np.outer(a, b)`` is the column ``a`` times the row ``bᵀ``.
    """
    return _lookup(_TWO_LAYER_BACKWARD, (x, y, W1, b1, W2, b2, cache))  # bank: a table
