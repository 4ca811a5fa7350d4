# Your answers go in this file: write each function where it says YOUR CODE HERE.
# Try one: `bpcourse run FUNCTION ARGS`; check one: `bpcourse check --only FUNCTION`.
"""A two-layer sigmoid network on one example, in vector form.

``z1 = W1 x + b1``, ``h = σ(z1)``, ``z2 = W2 h + b2``, ``ŷ = σ(z2)``, ``L = ½ ‖y − ŷ‖²``.
Row i of a weight matrix belongs to neuron i of its layer, column j to input j.
"""
import numpy as np

from .activations import sigmoid, sigmoid_prime


def two_layer_forward(x, W1, b1, W2, b2):
    """Forward pass of one example through two sigmoid layers.

    Shapes: ``x`` (d,), ``W1`` (n, d), ``b1`` (n,), ``W2`` (m, n), ``b2`` (m,).
    Returns a dict: ``z1`` (n,), ``h`` (n,), ``z2`` (m,), ``y_hat`` (m,).

    Hint: ``W @ x`` multiplies a matrix by a vector.
    """
    # YOUR CODE HERE
    raise NotImplementedError('two_layer_forward: W @ x multiplies a matrix by a vector.')


def two_layer_backward(x, y, W1, b1, W2, b2, cache):
    """Gradients of ``L = ½ ‖y − ŷ‖²`` for the two-layer network, one example.

    Shapes: as in ``two_layer_forward``, ``y`` (m,); ``cache`` is its returned dict.
    ``δ2 = (ŷ − y) ⊙ σ'(z2)``, ``δ1 = (W2ᵀ δ2) ⊙ σ'(z1)``;
    ``dW2 = δ2 hᵀ`` (m, n), ``db2 = δ2``, ``dW1 = δ1 xᵀ`` (n, d), ``db1 = δ1``.
    Returns a dict with keys ``dW1``, ``db1``, ``dW2``, ``db2``.

    Hint: ``np.outer(a, b)`` is the column ``a`` times the row ``bᵀ``.
    """
    # YOUR CODE HERE
    raise NotImplementedError('two_layer_backward: np.outer(a, b) is the column a times the row bᵀ.')
