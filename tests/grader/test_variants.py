"""Are the known-wrong variants really wrong, and named with words feedback can use?"""
import copy

import numpy as np
import pytest

from grader import article as art
from grader.compare import mismatch
from grader.exercises import BY_NAME
from grader.exercises import MISTAKES
from grader_hidden import VARIANTS, reference_functions

REFERENCE = reference_functions()
ALL = [(fn, mistake, variant) for fn, items in VARIANTS.items() for mistake, variant in items]


def _cases(fn):
    """Inputs from the exercise's own hidden cases."""
    rng = np.random.default_rng(0)
    from grader_hidden import activations, gradcheck, network, neuron, train, two_layer

    return {
        "sigmoid_prime": activations.elementwise_cases,
        "relu_prime": activations.elementwise_cases,
        "tanh_prime": activations.elementwise_cases, "mse_loss": neuron.mse_cases,
        "linear_neuron_grads": neuron.neuron_cases, "sigmoid_neuron_grads": neuron.neuron_cases,
        "two_layer_forward": two_layer.two_layer_forward_cases,
        "two_layer_backward": two_layer.two_layer_backward_cases,
        "forward": network.forward_cases, "loss": network.loss_cases,
        "backward": network.backward_cases, "numerical_gradient": gradcheck.numgrad_cases,
        "relative_error": gradcheck.relative_error_cases, "sgd_step": train.sgd_cases,
        "train": train.train_cases,
    }[fn](rng)


@pytest.mark.parametrize("fn, mistake, variant", ALL, ids=[f"{f}-{m}" for f, m, _ in ALL])
def test_every_variant_is_named_and_differs_from_the_reference_on_some_hidden_case(fn, mistake, variant):
    assert mistake in MISTAKES and fn in BY_NAME
    differs = 0
    for _, args in _cases(fn):
        want = REFERENCE[fn](*copy.deepcopy(args))
        try:
            with np.errstate(all="ignore"):
                got = variant(*copy.deepcopy(args))
        except Exception:
            differs += 1  # e.g. W where Wᵀ belongs breaks the shapes: also a difference
            continue
        if mismatch(got, want, 1e-6, 1e-9):
            differs += 1
    assert differs, f"the {mistake} variant of {fn} equals the reference on every hidden case"


def test_the_article_constants_are_what_the_reference_computes():
    p = art.P1
    assert REFERENCE["sigmoid_neuron_grads"](p["x"], p["w"], p["b"], p["y"]) == (
        art.P1_EXACT["dw"], art.P1_EXACT["db"])
    w = art.WORKED
    cache = REFERENCE["two_layer_forward"](w["x"], w["W1"], w["b1"], w["W2"], w["b2"])
    assert mismatch(cache, art.WORKED_FORWARD, 1e-15, 0) is None
    grads = REFERENCE["two_layer_backward"](w["x"], w["y"], w["W1"], w["b1"], w["W2"], w["b2"], cache)
    assert mismatch(grads, art.WORKED_GRADS, 1e-15, 0) is None
    X, Y = np.array([art.P2["x"]]), np.array([art.P2["y"]])
    Y_hat, p2_cache = REFERENCE["forward"](X, art.p2_params(), art.P2_ACTIVATIONS)
    assert mismatch((Y_hat, p2_cache), (art.P2_Y_HAT, art.P2_CACHE), 1e-15, 0) is None
    assert REFERENCE["loss"](Y_hat, Y) == art.P2_LOSS
    grads = REFERENCE["backward"](Y, art.p2_params(), p2_cache, art.P2_ACTIVATIONS)
    assert mismatch(grads, art.P2_GRADS, 1e-15, 0) is None


def test_exercise_points_add_up_to_100():
    from grader.exercises import EXERCISES
    from grader.contract import FUNCTION_MODULE

    assert sum(e.points for e in EXERCISES) == pytest.approx(100.0)
    assert [e.name for e in EXERCISES] == list(FUNCTION_MODULE)
