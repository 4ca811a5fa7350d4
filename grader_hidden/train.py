"""Hidden part of `train`: hidden cases and known-wrong variants."""
from __future__ import annotations

import numpy as np

from grader.checks import agree
from grader.exercises.network import NETS, make_net
from grader.exercises.train import XOR_X, XOR_Y
from grader_hidden._common import _f

def sgd_cases(rng):
    cases = []
    for spec in NETS[:4]:
        _, params, _, _ = make_net(rng, *spec)
        grads = [(rng.normal(0, 1, W.shape), rng.normal(0, 1, b.shape)) for W, b in params]
        cases.append((f"{len(params)} layer(s), lr=0.1", (params, grads, 0.1)))
    _, params, _, _ = make_net(rng, *NETS[4])
    grads = [[rng.normal(0, 1, W.shape), rng.normal(0, 1, b.shape)] for W, b in params]
    cases.append(("params and grads as lists of [W, b] lists, lr=0.05",
                  ([[W, b] for W, b in params], grads, 0.05)))
    return cases



def train_cases(rng):
    cases = []
    for sizes, acts, lr, epochs in (((2, 3, 1), ("tanh", "sigmoid"), 0.5, 4),
                                    ((2, 4, 3, 1), ("relu", "tanh", "sigmoid"), 0.3, 3)):
        _, params, acts, _ = make_net(rng, sizes, acts, 4)
        cases.append((f"XOR, sizes {list(sizes)}, lr={lr}, {epochs} epochs",
                      (XOR_X, XOR_Y, params, list(acts), lr, epochs)))
    return cases


def _sgd_ascent(params, grads, lr):
    return [(_f(W) + lr * _f(dW), _f(b) + lr * _f(db)) for (W, b), (dW, db) in zip(params, grads)]


def _train_losses_after(X, Y, params, activations, lr, epochs):
    from grader_hidden.reference import reference_functions

    ref = reference_functions()
    params = [(np.array(W, dtype=float), np.array(b, dtype=float)) for W, b in params]
    losses = []
    for _ in range(epochs):
        _, cache = ref["forward"](X, params, activations)
        params = ref["sgd_step"](params, ref["backward"](Y, params, cache, activations), lr)
        losses.append(ref["loss"](ref["forward"](X, params, activations)[0], Y))
    return params, losses



def _fixed_lr(fixed):
    def train(X, Y, params, activations, lr, epochs):
        from grader_hidden.reference import reference_functions

        return reference_functions()["train"](X, Y, params, activations, fixed, epochs)
    return train


CHECKS = {
    "sgd_step": (agree("sgd_step", sgd_cases, 1.5),),
    "train": (agree("train", train_cases, 1.5),),
}

VARIANTS = {
    "sgd_step": [("sgd_ascent", _sgd_ascent)],
    "train": [("losses_after_update", _train_losses_after),
              *[("train_ignores_lr", _fixed_lr(lr)) for lr in (1.0, 0.1, 0.01)]],
}
