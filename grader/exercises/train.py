"""Exercise home of `train`: one gradient step, and full-batch training.

Public checks: the loss history and XOR descent, untouched arguments. Hidden cases and
variants: ``grader_hidden.train``.
"""
from __future__ import annotations

import numpy as np

from grader.checks import EVIDENCE, Failure, Outcome, custom, failure_text, no_mutation, prop
from grader.compare import describe, mismatch, named
from grader.exercises._common import Exercise, _seed_screen, _seeds, _sigmoid, hidden_checks
from grader.exercises.activations import ACTS
from grader.exercises.network import make_net

FUNCTIONS = ("sgd_step", "train")
TRAIN_HELPERS = ("forward", "loss", "backward", "sgd_step", *ACTS)

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])
# Epochs of the XOR check. A correct train lowers the loss within 30 on every one of 1,500
# random starts (seeded as the check's are); 60 leave a margin and cost a fifth of 300 (the
# grader runs the reference once to plan, the sandbox runs the student's once).
XOR_EPOCHS = 60


def train_contract(ctx):
    """len(losses) == epochs, losses[0] is the loss of the initial parameters, and XOR
    training lowers the loss."""
    rng = ctx.rng("train_contract")
    _, params, acts, _ = make_net(rng, (2, 4, 1), ("tanh", "sigmoid"), 4)
    answer = ctx.student.call("train", XOR_X, XOR_Y, params, acts, 2.0, XOR_EPOCHS)
    if not answer.ok:
        return Outcome(0.0, failure_text("train", answer))
    value = answer.value
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        return Outcome(0.0, f"train returned {describe(value)}; expected (params, losses)")
    losses = np.asarray(value[1], dtype=float) if isinstance(value[1], (list, tuple, np.ndarray)) \
        else None
    if losses is None or losses.shape != (XOR_EPOCHS,):
        return Outcome(0.0, f"losses is {describe(value[1])}; expected {XOR_EPOCHS} numbers "
                            f"for {XOR_EPOCHS} epochs")
    A = XOR_X
    for (W, b), name in zip(params, acts):
        Z = A @ W.T + b
        A = np.tanh(Z) if name == "tanh" else _sigmoid(Z)
    initial = float(np.sum((XOR_Y - A) ** 2) / 8)
    if not np.isclose(losses[0], initial, rtol=1e-6):
        return Outcome(0.0, f"losses[0] = {losses[0]:.6g}, but the initial parameters give "
                            f"{initial:.6g}: record the loss before each update",
                       mistake="losses_after_update")
    if not losses[-1] < losses[0]:
        return Outcome(0.0, f"{XOR_EPOCHS} epochs of XOR at lr=2 took the loss from "
                            f"{losses[0]:.4g} to "
                            f"{losses[-1]:.4g}; it should go down")
    still = ctx.student.call("train", XOR_X, XOR_Y, params, acts, 0.0, 2)
    if still.ok and isinstance(still.value, (list, tuple)) and len(still.value) == 2 \
            and mismatch(still.value[0], params, 1e-12, 1e-12) is not None:
        return Outcome(0.0, "with lr=0 train changed the parameters: each step must use the "
                            "lr passed to train", mistake="train_ignores_lr")
    return Outcome(1.0, f"XOR: loss {losses[0]:.4g} → {losses[-1]:.4g} in {XOR_EPOCHS} epochs; "
                        "losses[0] is the initial loss; lr=0 leaves the parameters as they are")



def sgd_formula_holds(call, seed):
    """The contract's formula, W − lr·dW and b − lr·db, on random parameters (public: no
    reference needed, so `check` has evidence for sgd_step too)."""
    rng = np.random.default_rng(seed)
    _, params, _, _ = make_net(rng, (3, 4, 2), ("tanh", "sigmoid"), 2)
    grads = [(rng.normal(0, 1, W.shape), rng.normal(0, 1, b.shape)) for W, b in params]
    lr = float(rng.uniform(0.01, 1.0))
    got = call(params, grads, lr)
    want = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]
    reason = mismatch(got, want, 1e-9, 1e-12)
    if reason:
        uphill = [(W + lr * dW, b + lr * db) for (W, b), (dW, db) in zip(params, grads)]
        return Failure(f"sgd_step on two layers with lr={lr:.3g}: {named('sgd_step', reason)}"
                       " (expected W − lr·dW and b − lr·db for each layer)",
                       "sgd_ascent" if mismatch(got, uphill, 1e-9, 1e-12) is None else None)
    return None


def sgd_mutation_args(rng):
    _, params, _, _ = make_net(rng, (3, 3, 3), ("tanh", "sigmoid"), 5)
    grads = [(rng.normal(0, 1, W.shape), rng.normal(0, 1, b.shape)) for W, b in params]
    return (params, grads, 0.1)


def train_mutation_args(rng):
    _, params, acts, _ = make_net(rng, (2, 3, 1), ("tanh", "sigmoid"), 4)
    return (XOR_X, XOR_Y, params, list(acts), 0.5, 4)


def exercises(hidden) -> tuple[Exercise, ...]:
    return (
        Exercise("sgd_step", "train", (
            *hidden_checks(hidden, "sgd_step"),
            prop("sgd_step", "W − lr·dW and b − lr·db on random parameters", 0.5,
                 screen=_seed_screen(2), holds=sgd_formula_holds, strategy=_seeds,
                 args_are_inputs=False, role=EVIDENCE, independent=False),
            no_mutation("sgd_step", sgd_mutation_args, 1, ("params", "grads", "lr")),
        )),
        Exercise("train", "train", (
            *hidden_checks(hidden, "train"),
            custom("losses[0] is the initial loss; XOR training lowers it", 1, "property",
                   train_contract, uses=("forward", "loss", "backward", "sgd_step")),
            no_mutation("train", train_mutation_args, 0.5,
                        ("X", "Y", "params", "activations", "lr", "epochs")),
        ), helpers=TRAIN_HELPERS),
    )


MISTAKES = {
    "train_ignores_lr": "the learning rate passed to train is not the one each step uses",
    "sgd_ascent": "the step goes uphill: W − lr·dW, not W + lr·dW",
    "losses_after_update": "losses[k] must be measured before the k-th update",
}
