"""Gradient descent with the reference solutions: ``train.sgd_step`` and ``train.train``."""
import copy

import numpy as np
import pytest

from solutions import network, train

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])


def xor_params(hidden, seed):
    rng = np.random.default_rng(seed)
    return [
        (rng.normal(size=(hidden, 2)), np.zeros(hidden)),
        (rng.normal(size=(1, hidden)), np.zeros(1)),
    ]


def assert_bit_identical(a, b):
    """Same structure, same types, and arrays equal bit for bit."""
    assert type(a) is type(b)
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes()
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_bit_identical(x, y)
    else:
        assert a == b


XOR_CONFIGS = [
    # (hidden units, activations, lr, epochs, seed)
    (4, ["tanh", "sigmoid"], 2.0, 2000, 0),
    (8, ["sigmoid", "sigmoid"], 2.0, 2000, 1),
]


@pytest.mark.parametrize("hidden, names, lr, epochs, seed", XOR_CONFIGS,
                         ids=["2-4-1 tanh-sigmoid", "2-8-1 sigmoid-sigmoid"])
def test_train_learns_xor(hidden, names, lr, epochs, seed):
    params = xor_params(hidden, seed)
    trained, losses = train.train(XOR_X, XOR_Y, params, names, lr, epochs)
    final = network.loss(network.forward(XOR_X, trained, names)[0], XOR_Y)
    assert len(losses) == epochs
    assert losses[-1] <= losses[0] / 10
    assert final <= losses[0] / 10, f"loss went from {losses[0]:.4g} only to {final:.4g}"
    assert final <= losses[-1]  # the last update still helped
    predictions = network.forward(XOR_X, trained, names)[0]
    np.testing.assert_array_equal(predictions > 0.5, XOR_Y > 0.5)


def test_losses_k_is_measured_before_the_kth_update():
    names = ["tanh", "sigmoid"]
    params = xor_params(4, 3)
    lr, epochs = 0.7, 5
    trained, losses = train.train(XOR_X, XOR_Y, params, names, lr, epochs)

    # losses[0] is the loss of the initial parameters, bit for bit.
    assert losses[0] == network.loss(network.forward(XOR_X, params, names)[0], XOR_Y)

    # Replaying forward / loss / backward / step by hand gives every entry exactly.
    current = params
    for k in range(epochs):
        Y_hat, cache = network.forward(XOR_X, current, names)
        assert losses[k] == network.loss(Y_hat, XOR_Y), f"losses[{k}]"
        current = train.sgd_step(current, network.backward(XOR_Y, current, cache, names), lr)
    for (W, b), (W_hand, b_hand) in zip(trained, current):
        np.testing.assert_array_equal(W, W_hand)
        np.testing.assert_array_equal(b, b_hand)


@pytest.mark.parametrize("epochs", [0, 1, 2, 7])
def test_one_loss_per_epoch(epochs):
    names = ["tanh", "sigmoid"]
    params = xor_params(3, 4)
    trained, losses = train.train(XOR_X, XOR_Y, params, names, 0.5, epochs)
    assert isinstance(losses, list) and len(losses) == epochs
    assert all(type(value) is float for value in losses)
    assert len(trained) == len(params)
    for (W, b), (W0, b0) in zip(trained, params):
        assert W.shape == W0.shape and b.shape == b0.shape
        assert W.dtype == np.float64 and b.dtype == np.float64
    if epochs == 0:
        for (W, b), (W0, b0) in zip(trained, params):
            np.testing.assert_array_equal(W, W0)
            np.testing.assert_array_equal(b, b0)


@pytest.mark.parametrize("epochs", [0, 3])
def test_train_leaves_its_inputs_untouched(epochs):
    names = ["tanh", "sigmoid"]
    params = xor_params(4, 5)
    X, Y = XOR_X.copy(), XOR_Y.copy()
    snapshot = copy.deepcopy((X, Y, params, names))
    trained, _ = train.train(X, Y, params, names, 1.0, epochs)
    assert_bit_identical((X, Y, params, names), snapshot)
    # The result is made of new arrays: changing it cannot reach the caller's params.
    for (W, b), (W0, b0) in zip(trained, params):
        assert not np.shares_memory(W, W0) and not np.shares_memory(b, b0)


def test_train_accepts_params_as_lists():
    names = ["tanh", "sigmoid"]
    as_tuples = xor_params(4, 6)
    as_lists = [[W.copy(), b.copy()] for W, b in as_tuples]
    trained_t, losses_t = train.train(XOR_X, XOR_Y, as_tuples, names, 1.0, 4)
    trained_l, losses_l = train.train(XOR_X, XOR_Y, as_lists, names, 1.0, 4)
    assert losses_t == losses_l
    for (W1, b1), (W2, b2) in zip(trained_t, trained_l):
        np.testing.assert_array_equal(W1, W2)
        np.testing.assert_array_equal(b1, b2)


def test_zero_learning_rate_changes_nothing():
    names = ["sigmoid", "sigmoid"]
    params = xor_params(3, 7)
    trained, losses = train.train(XOR_X, XOR_Y, params, names, 0.0, 4)
    assert losses == [losses[0]] * 4
    for (W, b), (W0, b0) in zip(trained, params):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)


def test_linear_regression_descends_monotonically_to_least_squares():
    """One identity layer: the loss is a convex quadratic with Hessian ``(1/B) X̃ᵀ X̃``
    (``X̃`` is ``X`` with a column of ones). With ``lr = 1/λ_max`` gradient descent never
    goes uphill and converges to the least-squares fit."""
    rng = np.random.default_rng(8)
    B, d, m = 20, 3, 2
    X = rng.normal(size=(B, d))
    Y = X @ rng.normal(size=(m, d)).T + rng.normal(size=m) + 0.1 * rng.normal(size=(B, m))
    X1 = np.hstack([X, np.ones((B, 1))])
    lr = 1.0 / np.linalg.eigvalsh(X1.T @ X1 / B).max()
    params = [(np.zeros((m, d)), np.zeros(m))]
    [(W, b)], losses = train.train(X, Y, params, ["identity"], lr, 600)
    assert np.all(np.diff(losses) <= 1e-15)
    solution, *_ = np.linalg.lstsq(X1, Y, rcond=None)
    np.testing.assert_allclose(W, solution[:d].T, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(b, solution[d], rtol=1e-8, atol=1e-10)


def test_sgd_step_values():
    W, b = np.array([[1.0, -2.0], [0.5, 4.0]]), np.array([0.25, -1.0])
    dW, db = np.array([[0.5, 0.5], [-1.0, 2.0]]), np.array([1.0, -4.0])
    [(W_new, b_new)] = train.sgd_step([(W, b)], [(dW, db)], 0.5)
    np.testing.assert_array_equal(W_new, [[0.75, -2.25], [1.0, 3.0]])  # W − lr·dW
    np.testing.assert_array_equal(b_new, [-0.25, 1.0])
    np.testing.assert_array_equal(W, [[1.0, -2.0], [0.5, 4.0]])  # untouched
    np.testing.assert_array_equal(b, [0.25, -1.0])


def test_sgd_step_returns_a_new_list_with_one_pair_per_layer():
    params = xor_params(3, 9)
    grads = [(np.ones_like(W), np.ones_like(b)) for W, b in params]
    new = train.sgd_step(params, grads, 0.1)
    assert isinstance(new, list) and new is not params and len(new) == len(params)
    for pair in new:
        assert len(pair) == 2
