"""Every property of ``test_properties.py`` catches a deliberately broken copy of what it guards.

A property test that passes against the reference proves little until it is seen to fail
against a wrong implementation. ``BROKEN`` maps each property to broken copies of the one
function it guards (mostly the mistakes the course brief lists: ``σ'`` written as
``z(1−z)``, ``relu'(0) = 1``, ``1 − tanh`` without the square, dividing by B twice, ``db``
summed over the wrong axis, the article's transposed ``dW``, a batch-order-dependent
gradient, a naive sigmoid that overflows, functions that write into their arguments).
For each one, hypothesis, run as in ``test_properties.py`` (same profile, same examples),
must find a counterexample and report it. To keep the file fast the counterexample is not
shrunk; ``BP_SOLUTIONS_SHRINK=1`` shrinks each one to its simplest form (about 40 s).
"""
import importlib.util
import math
import os
import pathlib

import numpy as np
import pytest

from solutions import activations, network

try:
    from test_properties import ELEMENTWISE, CONTRACT_FUNCTIONS, PROPERTIES, run_property
except ModuleNotFoundError:  # pytest's importlib import mode: load it by path instead
    _spec = importlib.util.spec_from_file_location(
        "bp_solutions_test_properties", pathlib.Path(__file__).with_name("test_properties.py"))
    _module = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_module)
    ELEMENTWISE, CONTRACT_FUNCTIONS = _module.ELEMENTWISE, _module.CONTRACT_FUNCTIONS
    PROPERTIES, run_property = _module.PROPERTIES, _module.run_property

sigmoid = activations.sigmoid

ACTIVATIONS = {  # name -> (g, g'), from the contract's functions only
    "sigmoid": (activations.sigmoid, activations.sigmoid_prime),
    "relu": (activations.relu, activations.relu_prime),
    "tanh": (activations.tanh, activations.tanh_prime),
    "identity": (lambda z: np.asarray(z, dtype=float),
                 lambda z: np.ones_like(np.asarray(z, dtype=float))),
}


# --------------------------------------------------------------------------------------
# Broken activations
# --------------------------------------------------------------------------------------


def sigmoid_prime_z_times_one_minus_z(z):
    """σ' = z(1 − z): the formula σ(1 − σ) with z where σ(z) belongs."""
    z = np.asarray(z, dtype=float)
    return z * (1 - z)


def sigmoid_prime_of_the_activation(z):
    """σ'(σ(z)): the derivative taken at the activation instead of the pre-activation."""
    return activations.sigmoid_prime(sigmoid(z))


def sigmoid_prime_forgets_one_minus_sigma(z):
    """σ' = σ(z): the factor (1 − σ) left out."""
    return sigmoid(z)


def sigmoid_naive(z):
    """1 / (1 + e^(−z)): e^(1000) overflows."""
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def sigmoid_naive_other_branch(z):
    """e^z / (1 + e^z): overflows for large positive z, and inf/inf is nan."""
    e = np.exp(np.asarray(z, dtype=float))
    return e / (1.0 + e)


def relu_prime_greater_or_equal(z):
    """relu'(0) = 1: ``>=`` where ``>`` belongs."""
    return (np.asarray(z, dtype=float) >= 0).astype(float)


def relu_prime_sign(z):
    """sign(z): −1 for negative inputs."""
    return np.sign(np.asarray(z, dtype=float))


def relu_prime_booleans(z):
    """z > 0 without the conversion: booleans, not float64."""
    return np.asarray(z, dtype=float) > 0


def tanh_prime_without_the_square(z):
    """1 − tanh(z): the square forgotten."""
    return 1.0 - np.tanh(np.asarray(z, dtype=float))


def tanh_prime_sech(z):
    """sech(z) = 1 / cosh(z): the right idea, without the square."""
    return 1.0 / np.cosh(np.asarray(z, dtype=float))


def sigmoid_with_math_exp(z):
    """math.exp: fine for one number, a TypeError for an array."""
    return 1.0 / (1.0 + math.exp(-z))


def sigmoid_prime_with_a_dot_product(z):
    """σ · (1 − σ) as a dot product: one number for a whole array."""
    s = sigmoid(z)
    return np.dot(np.ravel(s), np.ravel(1 - s))


def relu_with_builtin_max(z):
    """max(0, z): the builtin compares the whole array with 0."""
    return max(0.0, z)


def relu_prime_as_integers(z):
    """(z > 0) * 1: integers, not float64."""
    return (np.asarray(z, dtype=float) > 0) * 1


def tanh_in_single_precision(z):
    """tanh in float32."""
    return np.tanh(np.asarray(z, dtype=np.float32))


def tanh_prime_with_a_dot_product(z):
    """1 − tanh · tanh as a dot product."""
    t = np.ravel(np.tanh(z))
    return 1.0 - np.dot(t, t)


def mse_loss_averaged(y, y_hat):
    """The mean of the squared errors: one number, not one per element."""
    diff = np.asarray(y, dtype=float) - np.asarray(y_hat, dtype=float)
    return 0.5 * np.mean(diff * diff)


def flattened(func):
    def flat(*args):
        return np.ravel(func(*args))
    flat.__name__ = f"{func.__name__}_flattened"
    return flat


# --------------------------------------------------------------------------------------
# Broken backward passes: the reference algorithm with one mistake each
# --------------------------------------------------------------------------------------


def _backward(Y, params, cache, activations_, *, divide_twice=False, divide=True,
              db_axis=0, article_dW=False, roll_targets=False, first_row_db=False,
              reuse_cache=False):
    Y = np.asarray(Y, dtype=float)
    B = Y.shape[0]
    if roll_targets:
        Y = np.roll(Y, 1, axis=0)  # every target paired with the previous example
    scale = (B * B if divide_twice else B) if divide else 1
    g, g_prime = ACTIVATIONS[activations_[-1]]
    Z = cache[-1][1]
    if reuse_cache:
        delta = Z  # "Δ has Z's shape: reuse its memory", overwriting the caller's cache
        delta[...] = (g(Z) - Y) * g_prime(Z)
    else:
        delta = (g(Z) - Y) * g_prime(Z)
    grads = [None] * len(cache)
    for layer in range(len(cache) - 1, -1, -1):
        A_prev = cache[layer][0]
        dW = (A_prev.T @ delta if article_dW else delta.T @ A_prev) / scale
        db = delta[0] if first_row_db else delta.sum(axis=db_axis) / scale
        grads[layer] = (dW, db)
        if layer > 0:
            _, g_prime = ACTIVATIONS[activations_[layer - 1]]
            delta = (delta @ np.asarray(params[layer][0])) * g_prime(cache[layer - 1][1])
    return grads


def _variant(name, **mistake):
    def backward(Y, params, cache, activations_):
        return _backward(Y, params, cache, activations_, **mistake)
    backward.__name__ = name
    return backward


backward_divides_by_B_twice = _variant("backward_divides_by_B_twice", divide_twice=True)
backward_never_divides_by_B = _variant("backward_never_divides_by_B", divide=False)
backward_db_over_the_wrong_axis = _variant("backward_db_over_the_wrong_axis", db_axis=1)
backward_article_transposed_dW = _variant("backward_article_transposed_dW", article_dW=True)
backward_targets_off_by_one_row = _variant("backward_targets_off_by_one_row",
                                           roll_targets=True)
backward_db_from_the_first_row = _variant("backward_db_from_the_first_row",
                                          first_row_db=True)
backward_reuses_the_cache = _variant("backward_reuses_the_cache", reuse_cache=True)


def test_the_backward_template_without_mistakes_is_the_reference():
    """So that every variant above differs from the reference by its one mistake only."""
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(4, 3)), rng.uniform(size=(4, 2))
    params = [(rng.normal(size=(5, 3)), rng.normal(size=5)),
              (rng.normal(size=(2, 5)), rng.normal(size=2))]
    names = ["tanh", "sigmoid"]
    _, cache = network.forward(X, params, names)
    for (dW, db), (ref_dW, ref_db) in zip(_backward(Y, params, cache, names),
                                          network.backward(Y, params, cache, names)):
        np.testing.assert_array_equal(dW, ref_dW)
        np.testing.assert_array_equal(db, ref_db)


# --------------------------------------------------------------------------------------
# Broken losses and steps
# --------------------------------------------------------------------------------------


def loss_averaged_over_outputs_too(Y_hat, Y):
    """np.mean over every element: divides by B·m (invisible with one output)."""
    diff = np.asarray(Y, dtype=float) - np.asarray(Y_hat, dtype=float)
    return float(np.mean(diff * diff) / 2)


def loss_never_divided(Y_hat, Y):
    """½ ‖Y − Ŷ‖²: not divided by B."""
    diff = np.asarray(Y, dtype=float) - np.asarray(Y_hat, dtype=float)
    return float(np.sum(diff * diff) / 2)


def loss_without_the_half(Y_hat, Y):
    """(1/B) ‖Y − Ŷ‖²: the ½ dropped."""
    diff = np.asarray(Y, dtype=float) - np.asarray(Y_hat, dtype=float)
    return float(np.sum(diff * diff) / diff.shape[0])


def loss_of_the_first_example(Y_hat, Y):
    """½ ‖y₁ − ŷ₁‖²: the batch loop forgotten."""
    diff = np.asarray(Y, dtype=float)[0] - np.asarray(Y_hat, dtype=float)[0]
    return float(np.sum(diff * diff) / 2)


def loss_discounted_by_position(Y_hat, Y):
    """Later rows weigh less: the order of the batch matters."""
    diff = np.asarray(Y, dtype=float) - np.asarray(Y_hat, dtype=float)
    weights = 0.9 ** np.arange(diff.shape[0])
    return float(np.sum(weights[:, None] * diff * diff) / (2 * diff.shape[0]))


def sgd_step_in_place(params, grads, lr):
    """W -= lr·dW: the caller's arrays change."""
    for (W, b), (dW, db) in zip(params, grads):
        W -= lr * dW
        b -= lr * db
    return [(W, b) for W, b in params]


def sgd_step_uphill(params, grads, lr):
    """W += lr·dW: gradient ascent."""
    return [(W + lr * dW, b + lr * db) for (W, b), (dW, db) in zip(params, grads)]


def sgd_step_shortcut_at_zero_lr(params, grads, lr):
    """Returns the caller's own arrays when lr == 0: the result aliases the input."""
    if lr == 0:
        return [(W, b) for W, b in params]
    return [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]


# --------------------------------------------------------------------------------------
# Functions that write into their arguments
# --------------------------------------------------------------------------------------


def sigmoid_clips_in_place(z):
    """Clips z to [−500, 500] "against overflow" in the caller's array."""
    z = np.asarray(z, dtype=float)  # no copy for a float64 array
    np.clip(z, -500.0, 500.0, out=z)
    return 1.0 / (1.0 + np.exp(-z))


def relu_zeroes_in_place(z):
    """z[z < 0] = 0 on the caller's array."""
    z = np.asarray(z, dtype=float)
    z[z < 0] = 0.0
    return z.copy()


def mse_loss_subtracts_in_place(y, y_hat):
    """y −= ŷ, to save an array."""
    y = np.asarray(y, dtype=float)
    y -= y_hat
    return 0.5 * y * y


def two_layer_backward_error_in_the_cache(x, y, W1, b1, W2, b2, cache):
    """cache["y_hat"] −= y: the error computed in the caller's cache."""
    cache["y_hat"] -= y
    error = cache["y_hat"]
    delta2 = error * activations.sigmoid_prime(cache["z2"])
    delta1 = (W2.T @ delta2) * activations.sigmoid_prime(cache["z1"])
    return {"dW1": np.outer(delta1, x), "db1": delta1,
            "dW2": np.outer(delta2, cache["h"]), "db2": delta2}


def numerical_gradient_forward_unrestored(f, x, eps=1e-5):
    """Forward differences, and x[i] += eps; x[i] −= eps does not give x[i] back."""
    grad = np.zeros(np.shape(x))
    f0 = f(x)
    for index in np.ndindex(*np.shape(x)):
        x[index] += eps
        grad[index] = (f(x) - f0) / eps
        x[index] -= eps
    return grad


def train_updates_the_callers_params(X, Y, params, activations_, lr, epochs):
    """Trains the caller's arrays in place (no copy before the first step)."""
    losses = []
    for _ in range(epochs):
        Y_hat, cache = network.forward(X, params, activations_)
        losses.append(network.loss(Y_hat, Y))
        sgd_step_in_place(params, network.backward(Y, params, cache, activations_), lr)
    return [(W, b) for W, b in params], losses


def scribbles_one_ulp(func):
    """``func``, then the first element of its first non-empty array argument moves up
    by one ulp: the smallest change there is, which the property must still see."""
    def _first_array(value):
        if isinstance(value, np.ndarray) and value.size and value.flags.writeable:
            return value
        if isinstance(value, (list, tuple)):
            items = value
        elif isinstance(value, dict):
            items = list(value.values())
        else:
            return None
        for item in items:
            found = _first_array(item)
            if found is not None:
                return found
        return None

    def scribbling(*args):
        result = func(*args)
        target = _first_array(list(args))
        if target is not None:
            target.flat[0] = np.nextafter(target.flat[0], np.inf)
        return result
    scribbling.__name__ = f"{func.__name__}_scribbles_one_ulp"
    return scribbling


# --------------------------------------------------------------------------------------
# Which broken copies each property must catch
# --------------------------------------------------------------------------------------

BROKEN = {
    "sigmoid_prime_is_sigmoid_times_one_minus_sigmoid": [
        sigmoid_prime_z_times_one_minus_z, sigmoid_prime_of_the_activation],
    "sigmoid_prime_is_symmetric": [
        sigmoid_prime_z_times_one_minus_z, sigmoid_prime_forgets_one_minus_sigma],
    "sigmoid_prime_is_a_quarter_at_zero_and_never_negative": [
        sigmoid_prime_z_times_one_minus_z, sigmoid_prime_of_the_activation],
    "sigmoid_prime_never_exceeds_a_quarter": [sigmoid_prime_forgets_one_minus_sigma],
    "sigmoid_never_overflows_nor_warns": [sigmoid_naive, sigmoid_naive_other_branch],
    "relu_prime_is_a_step_with_zero_at_zero": [
        relu_prime_greater_or_equal, relu_prime_sign, relu_prime_booleans],
    "tanh_prime_is_one_minus_tanh_squared": [tanh_prime_without_the_square, tanh_prime_sech],
    "elementwise_keeps_shape[sigmoid]": [sigmoid_with_math_exp],
    "elementwise_keeps_shape[sigmoid_prime]": [sigmoid_prime_with_a_dot_product],
    "elementwise_keeps_shape[relu]": [relu_with_builtin_max],
    "elementwise_keeps_shape[relu_prime]": [relu_prime_as_integers],
    "elementwise_keeps_shape[tanh]": [tanh_in_single_precision],
    "elementwise_keeps_shape[tanh_prime]": [tanh_prime_with_a_dot_product],
    "elementwise_keeps_shape[mse_loss]": [mse_loss_averaged],
    "batch_gradient_is_the_mean_of_per_example_gradients": [
        backward_divides_by_B_twice, backward_never_divides_by_B,
        backward_db_over_the_wrong_axis],
    "batch_order_changes_no_gradient": [
        backward_targets_off_by_one_row, backward_db_from_the_first_row],
    "batch_order_changes_not_the_loss": [
        loss_of_the_first_example, loss_discounted_by_position],
    "gradients_have_the_shapes_of_the_params": [
        backward_article_transposed_dW, backward_db_over_the_wrong_axis],
    "loss_divides_by_the_batch_size_only": [
        loss_averaged_over_outputs_too, loss_never_divided, loss_without_the_half],
    "sgd_step_returns_new_params_and_leaves_inputs_untouched": [
        sgd_step_in_place, sgd_step_uphill, sgd_step_shortcut_at_zero_lr],
    "does_not_mutate[sigmoid]": [sigmoid_clips_in_place],
    "does_not_mutate[relu]": [relu_zeroes_in_place],
    "does_not_mutate[mse_loss]": [mse_loss_subtracts_in_place],
    "does_not_mutate[two_layer_backward]": [two_layer_backward_error_in_the_cache],
    "does_not_mutate[backward]": [backward_reuses_the_cache],
    "does_not_mutate[numerical_gradient]": [numerical_gradient_forward_unrestored],
    "does_not_mutate[sgd_step]": [sgd_step_in_place],
    "does_not_mutate[train]": [train_updates_the_callers_params],
}

# Every elementwise function also flattened, every contract function also scribbling.
for _name, (_func, _arity) in ELEMENTWISE.items():
    BROKEN[f"elementwise_keeps_shape[{_name}]"].append(flattened(_func))
for _name, (_func, _args) in CONTRACT_FUNCTIONS.items():
    BROKEN.setdefault(f"does_not_mutate[{_name}]", []).append(scribbles_one_ulp(_func))

# Shrinking every counterexample to its simplest form would take most of a minute; set
# BP_SOLUTIONS_SHRINK=1 to see the simplest counterexample of each broken copy.
SHRINK = os.environ.get("BP_SOLUTIONS_SHRINK", "") not in ("", "0")

CASES = [
    pytest.param(name, broken, id=f"{name}-{broken.__name__}")
    for name, variants in BROKEN.items() for broken in variants
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the naive sigmoids overflow
@pytest.mark.parametrize("name, broken", CASES)
def test_property_catches_broken_copy(name, broken):
    with pytest.raises(AssertionError) as caught:
        run_property(name, broken, shrink=SHRINK)
    # The failure is hypothesis's report of a counterexample, not an error in the test.
    notes = "\n".join(getattr(caught.value, "__notes__", []))
    assert "property_holds(" in notes, f"no counterexample reported:\n{notes}"


def test_every_property_has_a_broken_copy_it_catches():
    assert set(BROKEN) == set(PROPERTIES), (
        f"without a broken copy: {sorted(set(PROPERTIES) - set(BROKEN))}; "
        f"unknown: {sorted(set(BROKEN) - set(PROPERTIES))}")
    for name, variants in BROKEN.items():
        assert variants, name
        assert all(broken is not PROPERTIES[name].reference for broken in variants), name
