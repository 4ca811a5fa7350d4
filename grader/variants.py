"""Known-wrong variants of the contract functions, one per mistake in ``grader.mistakes``.

Each variant is the reference with one classic slip. When a student's answer is wrong, the
engine evaluates these here, in the trusted process, on the same inputs; a variant whose
answer matches the student's names the mistake. Nothing is guessed from the student's code.
"""
from __future__ import annotations

from typing import Callable

import numpy as np


def _f(a):
    return np.asarray(a, dtype=float)


def _sig(z):
    z = _f(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _sigp(z):
    s = _sig(z)
    return s * (1 - s)


ACT = {
    "sigmoid": (_sig, _sigp),
    "relu": (lambda z: np.maximum(_f(z), 0.0), lambda z: (_f(z) > 0).astype(float)),
    "tanh": (lambda z: np.tanh(_f(z)), lambda z: 1 - np.tanh(_f(z)) ** 2),
    "identity": (_f, lambda z: np.ones_like(_f(z))),
}


# ------------------------------------------------------------------ neuron

def _neuron(x, w, b, y, *, sign=1.0, deriv="z"):
    z = w * x + b
    y_hat = _sig(z)
    d = {"z": _sigp(z), "none": 1.0, "activation": _sigp(y_hat)}[deriv]
    delta = sign * (y_hat - y) * d
    return float(delta * x), float(delta)


# ------------------------------------------------------------------ two layers

def _two_layer_backward(x, y, W1, b1, W2, b2, cache, *, sign=1.0, outer_t=False, w_not_t=False,
                        deriv="z"):
    x, y, W2 = _f(x), _f(y), _f(W2)
    z1, h, z2, y_hat = (_f(cache[k]) for k in ("z1", "h", "z2", "y_hat"))
    g2 = {"z": _sigp(z2), "none": 1.0, "activation": _sigp(y_hat)}[deriv]
    g1 = {"z": _sigp(z1), "none": 1.0, "activation": _sigp(h)}[deriv]
    delta2 = sign * (y_hat - y) * g2
    delta1 = ((W2 @ delta2) if w_not_t else (W2.T @ delta2)) * g1
    outer = (lambda a, b: np.outer(b, a)) if outer_t else np.outer
    return {"dW1": outer(delta1, x), "db1": delta1, "dW2": outer(delta2, h), "db2": delta2}


# ------------------------------------------------------------------ network

def _forward(X, params, activations, *, only_sigmoid=False, w_not_t=False):
    A = _f(X)
    cache = []
    for (W, b), name in zip(params, activations):
        W = _f(W)
        Z = A @ (W if w_not_t else W.T) + _f(b)
        cache.append((A, Z))
        A = ACT["sigmoid" if only_sigmoid else name][0](Z)
    return A, cache


def _forward_two_layers(X, params, activations):
    (W1, b1), (W2, b2) = list(params)[:2]  # raises for one layer, ignores layers 3 and 4
    return _forward(X, [(W1, b1), (W2, b2)], list(activations)[:2])


def _loss(Y_hat, Y, *, over="B", half=True):
    diff = _f(Y) - _f(Y_hat)
    B, m = diff.shape[0], diff.shape[1] if diff.ndim > 1 else 1
    denom = {"B": B, "Bm": B * m, "1": 1}[over] * (2 if half else 1)
    return float(np.sum(diff * diff) / denom)


def _backward(Y, params, cache, activations, *, sign=1.0, dW_t=False, inv_B=1, db="rows",
              deriv="z", w_t=False, only_sigmoid=False):
    Y = _f(Y)
    B = Y.shape[0]
    scale = {0: 1.0, 1: 1.0 / B, 2: 1.0 / B ** 2}[inv_B]
    acts = ["sigmoid"] * len(activations) if only_sigmoid else list(activations)

    def g_prime(layer):
        g, gp = ACT[acts[layer]]
        Z = _f(cache[layer][1])
        return {"z": gp(Z), "none": 1.0, "activation": gp(g(Z))}[deriv]

    A_L = ACT[acts[-1]][0](_f(cache[-1][1]))
    delta = sign * (A_L - Y) * g_prime(len(cache) - 1)
    grads = [None] * len(cache)
    for layer in range(len(cache) - 1, -1, -1):
        A_prev = _f(cache[layer][0])
        dW = (A_prev.T @ delta) if dW_t else (delta.T @ A_prev)
        db_ = {"rows": delta.sum(axis=0), "cols": delta.sum(axis=1), "all": delta.sum()}[db]
        grads[layer] = (dW * scale, db_ * scale)
        if layer > 0:
            W = _f(params[layer][0])
            delta = (delta @ (W.T if w_t else W)) * g_prime(layer - 1)
    return grads


# ------------------------------------------------------------------ gradcheck, train

def _forward_difference(f, x, eps=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    f0 = float(f(x))
    for i in np.ndindex(*x.shape):
        saved = x[i]
        x[i] = saved + eps
        grad[i] = (float(f(x)) - f0) / eps
        x[i] = saved
    return grad


def _relative_error_no_floor(a, b):
    a, b = _f(a), _f(b)
    with np.errstate(all="ignore"):
        return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))))


def _sgd_ascent(params, grads, lr):
    return [(_f(W) + lr * _f(dW), _f(b) + lr * _f(db)) for (W, b), (dW, db) in zip(params, grads)]


def _train_losses_after(X, Y, params, activations, lr, epochs):
    from grader.impl import reference_functions

    ref = reference_functions()
    params = [(np.array(W, dtype=float), np.array(b, dtype=float)) for W, b in params]
    losses = []
    for _ in range(epochs):
        _, cache = ref["forward"](X, params, activations)
        params = ref["sgd_step"](params, ref["backward"](Y, params, cache, activations), lr)
        losses.append(ref["loss"](ref["forward"](X, params, activations)[0], Y))
    return params, losses


def _kw(fn, **kwargs):
    return lambda *args: fn(*args, **kwargs)


VARIANTS: dict[str, list[tuple[str, Callable]]] = {
    "sigmoid_prime": [
        ("sigmoid_prime_of_activation", lambda z: _f(z) * (1 - _f(z))),
        ("sigmoid_prime_missing_one_minus", lambda z: _sig(z) * _sig(z)),
        ("sigmoid_prime_of_activation", lambda z: _sigp(_sig(z))),
    ],
    "relu_prime": [("relu_prime_at_zero", lambda z: (_f(z) >= 0).astype(float))],
    "tanh_prime": [("tanh_prime_no_square", lambda z: 1 - np.tanh(_f(z)))],
    "mse_loss": [("loss_missing_half", lambda y, y_hat: (_f(y) - _f(y_hat)) ** 2)],
    "linear_neuron_grads": [
        ("sign_flip", lambda x, w, b, y: (float((y - (w * x + b)) * x), float(y - (w * x + b)))),
    ],
    "sigmoid_neuron_grads": [
        ("sign_flip", _kw(_neuron, sign=-1.0)),
        ("missing_activation_derivative", _kw(_neuron, deriv="none")),
        ("activation_derivative_of_activation", _kw(_neuron, deriv="activation")),
    ],
    "two_layer_backward": [
        ("outer_product_transposed", _kw(_two_layer_backward, outer_t=True)),
        ("W_instead_of_WT", _kw(_two_layer_backward, w_not_t=True)),
        ("missing_activation_derivative", _kw(_two_layer_backward, deriv="none")),
        ("activation_derivative_of_activation", _kw(_two_layer_backward, deriv="activation")),
        ("sign_flip", _kw(_two_layer_backward, sign=-1.0)),
    ],
    "forward": [
        ("only_sigmoid", _kw(_forward, only_sigmoid=True)),
        ("W_instead_of_WT", _kw(_forward, w_not_t=True)),
        ("only_two_layers", _forward_two_layers),
    ],
    "loss": [
        ("loss_averages_outputs", _kw(_loss, over="Bm")),
        ("loss_missing_1_over_B", _kw(_loss, over="1")),
        ("loss_missing_half", _kw(_loss, half=False)),
    ],
    "backward": [
        ("transposed_dW", _kw(_backward, dW_t=True)),
        ("missing_1_over_B", _kw(_backward, inv_B=0)),
        ("divide_by_B_twice", _kw(_backward, inv_B=2)),
        ("db_wrong_axis", _kw(_backward, db="cols")),
        ("db_wrong_axis", _kw(_backward, db="all")),
        ("missing_activation_derivative", _kw(_backward, deriv="none")),
        ("activation_derivative_of_activation", _kw(_backward, deriv="activation")),
        ("W_instead_of_WT", _kw(_backward, w_t=True)),
        ("sign_flip", _kw(_backward, sign=-1.0)),
        ("only_sigmoid", _kw(_backward, only_sigmoid=True)),
    ],
    "numerical_gradient": [("forward_difference", _forward_difference)],
    "relative_error": [("relative_error_no_floor", _relative_error_no_floor)],
    "sgd_step": [("sgd_ascent", _sgd_ascent)],
    "train": [("losses_after_update", _train_losses_after)],
}
