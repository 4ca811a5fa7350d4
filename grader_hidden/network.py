"""Hidden part of `network`: hidden cases (``backward`` is graded on caches from the
reference ``forward``) and known-wrong variants."""
from __future__ import annotations

import numpy as np

from grader.checks import agree
from grader.exercises.network import NETS, make_net, net_label
from grader_hidden._common import ACT, _f, _kw

def _reference_forward(X, params, acts):
    """backward is graded on caches from the reference forward (hidden checks only)."""
    from solutions.network import forward

    return forward(X, params, acts)


def forward_cases(rng):
    return [(net_label(*spec), make_net(rng, *spec)[:3]) for spec in NETS]


def backward_cases(rng):
    cases = []
    for spec in NETS:
        X, params, acts, Y = make_net(rng, *spec)
        _, cache = _reference_forward(X, params, acts)
        cases.append((net_label(*spec), (Y, params, cache, acts)))
    return cases


def loss_cases(rng):
    return [(f"B={B}, m={m}", (rng.uniform(0, 1, (B, m)), rng.uniform(0, 1, (B, m))))
            for B, m in ((1, 1), (4, 1), (3, 3), (5, 2))]



def _forward(X, params, activations, *, only_sigmoid=False, w_not_t=False, bias=True,
             store="input"):
    A = _f(X)
    cache = []
    for (W, b), name in zip(params, activations):
        W = _f(W)
        Z = A @ (W if w_not_t else W.T) + (_f(b) if bias else 0.0)
        A_next = ACT["sigmoid" if only_sigmoid else name][0](Z)
        cache.append({"input": (A, Z), "output": (A_next, Z), "output_first": (Z, A_next),
                      "activation": (A_next, A_next)}[store])
        A = A_next
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
              deriv="z", w_t=False, only_sigmoid=False, hidden_deriv=True, w_offset=0):
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
            W = _f(params[layer + w_offset][0])
            delta = (delta @ (W.T if w_t else W)) * (g_prime(layer - 1) if hidden_deriv else 1.0)
    return grads



def _backward_two_layers(Y, params, cache, activations):
    """Written for exactly two layers: layer 1's delta from layer 2's, and no further."""
    grads = _backward(Y, list(params)[-2:], list(cache)[-2:], list(activations)[-2:])
    if len(cache) < 2:
        raise ValueError("two layers expected")
    return [(np.zeros_like(_f(W)), np.zeros_like(_f(b))) for W, b in list(params)[:-2]] + grads


CHECKS = {
    "forward": (agree("forward", forward_cases, 4.5),),
    "loss": (agree("loss", loss_cases, 2),),
    "backward": (agree("backward", backward_cases, 7),),
}

VARIANTS = {
    "forward": [
        ("only_sigmoid", _kw(_forward, only_sigmoid=True)),
        ("W_instead_of_WT", _kw(_forward, w_not_t=True)),
        ("only_two_layers", _forward_two_layers),
        ("bias_missing", _kw(_forward, bias=False)),
        ("cache_holds_outputs", _kw(_forward, store="output")),
        ("cache_holds_outputs", _kw(_forward, store="output_first")),
        ("cache_holds_outputs", _kw(_forward, store="activation")),
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
        ("hidden_derivative_missing", _kw(_backward, hidden_deriv=False)),
        ("wrong_layer_W", _kw(_backward, w_offset=-1)),
        ("only_two_layers", _backward_two_layers),
    ],
}
