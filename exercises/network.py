# Your answers go in this file: write each function where it says YOUR CODE HERE.
# Try one: `bpcourse run FUNCTION ARGS`; check one: `bpcourse check --only FUNCTION`.
"""An L-layer network on a mini-batch: the general backpropagation algorithm.

Examples are rows: ``X`` (B, d), ``Y`` (B, m). Layer ℓ has ``W`` (n_out, n_in) and
``b`` (n_out,), computes ``Z = A_prev @ W.T + b`` and then ``A = g(Z)``.
``params`` is a sequence of ``(W, b)`` pairs, ``activations`` a list of names,
``cache`` a list of ``(A_prev, Z)`` pairs, all first layer first.
"""
import numpy as np

from .activations import relu, relu_prime, sigmoid, sigmoid_prime, tanh, tanh_prime


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
    # YOUR CODE HERE
    raise NotImplementedError("forward: loop over zip(params, activations); store each layer's input and Z.")


def loss(Y_hat, Y):
    """Mean squared error over the batch, ``1/(2B) ‖Y − Ŷ‖²_F``, as a float.

    Shapes: ``Y_hat`` and ``Y`` (B, m). Averages over the B examples only, not over outputs.

    Hint: B is the number of rows.
    """
    # YOUR CODE HERE
    raise NotImplementedError('loss: B is the number of rows.')


def backward(Y, params, cache, activations):
    """Gradients of ``loss(forward(X, params, activations)[0], Y)`` for every layer.

    Shapes: ``Y`` (B, n_L); ``params``, ``cache`` and ``activations`` as in ``forward``.
    ``Δ_L = (A_L − Y) ⊙ g_L'(Z_L)``, ``Δ_ℓ = (Δ_ℓ₊₁ W_ℓ₊₁) ⊙ g_ℓ'(Z_ℓ)``,
    ``dW_ℓ = (1/B) Δ_ℓᵀ A_ℓ₋₁`` (same shape as ``W_ℓ``), ``db_ℓ = (1/B) Σ_rows Δ_ℓ``.
    Returns a list of ``(dW, db)`` pairs, first layer first.

    Hint: the output A_L is g_L(Z_L) from the last cache entry; walk the layers backwards.
    """
    # YOUR CODE HERE
    raise NotImplementedError('backward: the output A_L is g_L(Z_L) from the last cache entry; walk the layers backwards.')
