"""Exercise home of `two_layer`: a two-layer network on one example, forward and back.

Public checks: the article's worked example, finite differences of the student's own forward
pass, untouched arguments. Hidden cases and variants: ``grader_hidden.two_layer``.
"""
from __future__ import annotations

import numpy as np

from grader import article as art
from grader.checks import Outcome, article, custom, failure_text, no_mutation
from grader.compare import describe
from grader.exercises._common import Exercise, _f, directional_check, hidden_checks

FUNCTIONS = ("two_layer_forward", "two_layer_backward")

TWO_LAYER_DIMS = [(1, 2, 1), (3, 4, 2), (3, 3, 3), (2, 3, 3), (4, 2, 1)]


def _two_layer_params(rng, d, n, m):
    return (rng.normal(0, 1, d), rng.normal(0, 1, (n, d)), rng.normal(0, 0.5, n),
            rng.normal(0, 1, (m, n)), rng.normal(0, 0.5, m))



def _random_cache(rng, d, n, m):
    """Any cache of the right shapes will do for a hygiene check (no reference needed)."""
    return {"z1": rng.normal(0, 1, n), "h": rng.uniform(0, 1, n), "z2": rng.normal(0, 1, m),
            "y_hat": rng.uniform(0, 1, m)}


def backward_mutation_args(rng):
    x, W1, b1, W2, b2 = _two_layer_params(rng, 3, 4, 2)
    return (x, rng.uniform(0, 1, 2), W1, b1, W2, b2, _random_cache(rng, 3, 4, 2))


def two_layer_consistency(ctx):
    """dW1, db1, dW2, db2 against central differences of ½‖y − ŷ‖² through the student's
    own two_layer_forward (the reference's when theirs fails and it is available)."""
    fn = "two_layer_backward"
    rng = ctx.rng("two_layer_fd")
    x, W1, b1, W2, b2 = _two_layer_params(rng, 3, 4, 2)
    y = rng.uniform(0, 1, 2)
    use_reference = "two_layer_forward" in ctx.failed and ctx.reference is not None
    forward = ctx.reference if use_reference else ctx.student
    whose = "the reference" if use_reference else "your"

    def loss(blocks):
        answer = forward.call("two_layer_forward", x, *blocks)
        if not answer.ok or not isinstance(answer.value, dict) or "y_hat" not in answer.value:
            raise ValueError(failure_text("two_layer_forward", answer) if not answer.ok else
                             "two_layer_forward does not return a dict with 'y_hat'")
        return 0.5 * float(np.sum((y - _f(answer.value["y_hat"])) ** 2))

    cache = forward.call("two_layer_forward", x, W1, b1, W2, b2)
    answer = ctx.student.call(fn, x, y, W1, b1, W2, b2, cache.value)
    if not answer.ok:
        return Outcome(0.0, failure_text(fn, answer))
    names = ["dW1", "db1", "dW2", "db2"]
    if not isinstance(answer.value, dict) or any(k not in answer.value for k in names):
        return Outcome(0.0, f"{fn} returned {describe(answer.value)}; expected a dict with keys "
                            + ", ".join(names))
    try:
        reason = directional_check([answer.value[k] for k in names], [W1, b1, W2, b2], loss,
                                   rng, names, transposed="outer_product_transposed",
                                   factors={-1.0: "sign_flip"})
    except ValueError as exc:
        return Outcome(0.0, f"needs {whose} two_layer_forward: {exc}")
    except TypeError:
        return Outcome(0.0, f"{fn} returned gradients that are not arrays of numbers")
    if reason:
        return Outcome(0.0, f"d=3, n=4, m=2, through {whose} two_layer_forward: {reason}",
                       mistake=getattr(reason, "mistake", None))
    return Outcome(1.0, f"agrees with central differences of ½‖y − ŷ‖² through {whose} "
                        "two_layer_forward")



def exercises(hidden) -> tuple[Exercise, ...]:
    W = art.WORKED
    worked_args = (_f(W["x"]), _f(W["W1"]), _f(W["b1"]), _f(W["W2"]), _f(W["b2"]))
    worked_labels = ("x=[2]", "W1=[[0.5], [−0.3]]", "b1=[0.1, −0.2]", "W2=[[0.8, −0.4]]", "b2=[0.3]")
    worked_cache = {k: _f(v) for k, v in art.WORKED_FORWARD.items()}
    return (
        Exercise("two_layer_forward", "two_layer", (
            article("two_layer_forward", worked_args, art.WORKED_FORWARD, 1.5,
                    name="worked example: forward pass", quote=art.WORKED_ARTICLE,
                    labels=worked_labels, helpers=("sigmoid",)),
            *hidden_checks(hidden, "two_layer_forward"),
            no_mutation("two_layer_forward", lambda rng: _two_layer_params(rng, 3, 4, 2), 1.5,
                        ("x", "W1", "b1", "W2", "b2")),
        ), helpers=("sigmoid",)),
        Exercise("two_layer_backward", "two_layer", (
            article("two_layer_backward",
                    (worked_args[0], _f(W["y"]), *worked_args[1:], worked_cache),
                    art.WORKED_GRADS, 3, name="worked example: gradients",
                    quote=art.WORKED_ARTICLE, labels=("x", "y", "W1", "b1", "W2", "b2", "cache"),
                    helpers=("sigmoid", "sigmoid_prime")),
            *hidden_checks(hidden, "two_layer_backward"),
            custom("agrees with finite differences of your forward pass", 3, "consistency",
                   two_layer_consistency, uses=("two_layer_forward",)),
            no_mutation("two_layer_backward", backward_mutation_args, 1,
                        ("x", "y", "W1", "b1", "W2", "b2", "cache")),
        ), helpers=("sigmoid", "sigmoid_prime")),
    )


MISTAKES = {
    "hidden_activation_missing": "the hidden layer passes z1 on as it is: its activation "
                                 "h is σ applied to z1",
    "output_activation_missing": "the output layer stops at z2: ŷ is the output layer's "
                                 "activation of z2",
    "outer_product_transposed": "dW = x·δᵀ has the transposed shape; dW = δ·xᵀ, row i for neuron i",
}
