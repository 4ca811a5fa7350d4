"""Every analytic gradient of the reference solutions agrees with central finite differences.

The yardstick is the CS231n relative error, elementwise,
``max |a − b| / max(|a| + |b|, 1e-8)``, and it must stay below ``1e-7``.

Central differences in float64 cannot meet that bound on every element: the difference
``f(x + ε) − f(x − ε)`` loses about ``1e-16 |f| / ε ≈ 1e-10`` to rounding, which is more than
``1e-7`` of a small gradient element. So the finite differences that check the solutions
are taken of an independent re-implementation of the loss in ``decimal`` arithmetic with
32 significant digits and ``ε = 1e-11``: truncation (``ε²``) and rounding (``1e-32 / ε``) are
both below ``1e-19``, and the check measures the float64 analytic gradient alone. A second
check takes float64 central differences of the solutions' *own* forward pass and loss, so
that ``backward`` is also proven consistent with ``forward``.

The finite-difference helper is written here; ``solutions.gradcheck`` is not used to check
the other solutions (that would be circular). It is tested on its own at the end of this
file, against functions whose gradients are known in closed form.
"""
import decimal
import os
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from solutions import activations, gradcheck, network, neuron, two_layer

PROFILE = settings.get_profile(os.environ.get("BP_SOLUTIONS_PROFILE", "bp-solutions"))

TOLERANCE = 1e-7
DECIMAL_DIGITS = 32
DECIMAL_EPS = Decimal("1e-11")
FLOAT_EPS = 1e-6
ACTIVATION_NAMES = ("sigmoid", "relu", "tanh", "identity")
RELU_MARGIN = 1e-3  # pre-activations closer than this to ReLU's kink are redrawn


# --------------------------------------------------------------------------------------
# Helpers: relative error, central differences, an exact (decimal) loss
# --------------------------------------------------------------------------------------


def rel_error(a, b):
    """CS231n relative error: ``max |a − b| / max(|a| + |b|, 1e-8)`` over the elements."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    assert a.shape == b.shape, f"shapes differ: {a.shape} vs {b.shape}"
    ratio = np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)
    return float(np.max(ratio, initial=0.0))


def assert_gradients_agree(analytic, numeric, what):
    analytic = np.asarray(analytic)
    numeric = np.asarray(numeric, dtype=float)
    np.testing.assert_equal(analytic.shape, numeric.shape, err_msg=f"{what}: shape")
    error = rel_error(analytic, numeric)
    assert error < TOLERANCE, (
        f"{what}: relative error {error:.3e} >= {TOLERANCE:g}\n"
        f"analytic:\n{analytic}\nfinite differences:\n{numeric}"
    )


def central_difference(f, x, eps):
    """``(f(x + eps·e_i) − f(x − eps·e_i)) / step`` for every index ``i`` of ``x``.

    ``x`` is a float64 array or an object array of ``Decimal``; it is copied, never nudged
    in place. ``step`` is the step actually taken, ``(x_i + eps) − (x_i − eps)``, which is
    ``2 eps`` up to the rounding of ``x_i ± eps``. Returns float64, the shape of ``x``.
    """
    x = np.asarray(x)
    grad = np.empty(x.shape, dtype=float)
    for index in np.ndindex(*x.shape):
        plus = x.copy()
        plus[index] = x[index] + eps
        minus = x.copy()
        minus[index] = x[index] - eps
        grad[index] = float((f(plus) - f(minus)) / (plus[index] - minus[index]))
    return grad


def exact(a):
    """The exact value of every float64 element, as an object array of ``Decimal``."""
    a = np.asarray(a, dtype=float)
    out = np.empty(a.shape, dtype=object)
    for index in np.ndindex(*a.shape):
        out[index] = Decimal(float(a[index]))
    return out


def _dec_sigmoid(z):
    return 1 / (1 + (-z).exp())


def _dec_tanh(z):
    e = (2 * z).exp()
    return (e - 1) / (e + 1)


def _dec_relu(z):
    return z if z > 0 else Decimal(0)


def _dec_identity(z):
    return z


DECIMAL_ACTIVATIONS = {
    "sigmoid": np.frompyfunc(_dec_sigmoid, 1, 1),
    "tanh": np.frompyfunc(_dec_tanh, 1, 1),
    "relu": np.frompyfunc(_dec_relu, 1, 1),
    "identity": np.frompyfunc(_dec_identity, 1, 1),
}


def exact_layers(A, layers):
    """Decimal forward pass from ``A`` through ``layers``, a list of ``(W, b, name)``."""
    for W, b, name in layers:
        A = DECIMAL_ACTIVATIONS[name](A @ W.T + b)
    return A


def exact_network_loss(A_prev, Y, layers):
    """``1/(2B) ‖Y − A_L‖²_F`` in decimal arithmetic, B the number of rows."""
    diff = Y - exact_layers(A_prev, layers)
    return (diff * diff).sum() / (2 * Y.shape[0])


def exact_network_gradients(X, Y, params, names):
    """Decimal central differences of the network loss for every ``W`` and ``b``."""
    layers = [(exact(W), exact(b), name) for (W, b), name in zip(params, names)]
    Y = exact(Y)
    grads = []
    with decimal.localcontext() as context:
        context.prec = DECIMAL_DIGITS
        A_prev = exact(X)
        for i, (W, b, name) in enumerate(layers):
            rest = layers[i + 1:]

            def loss_of_W(W_, b=b, name=name, A_prev=A_prev, rest=rest):
                return exact_network_loss(A_prev, Y, [(W_, b, name)] + rest)

            def loss_of_b(b_, W=W, name=name, A_prev=A_prev, rest=rest):
                return exact_network_loss(A_prev, Y, [(W, b_, name)] + rest)

            grads.append((central_difference(loss_of_W, W, DECIMAL_EPS),
                          central_difference(loss_of_b, b, DECIMAL_EPS)))
            A_prev = exact_layers(A_prev, [(W, b, name)])  # the next layer's input
    return grads


# --------------------------------------------------------------------------------------
# Random networks
# --------------------------------------------------------------------------------------


def pre_activations(X, params):
    """Every layer's Z, computed here (float64) with the contract's ``Z = A W^T + b``."""
    A, Zs = X, []
    float_activations = {
        "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
        "tanh": np.tanh,
        "relu": lambda z: np.maximum(z, 0),
        "identity": lambda z: z,
    }
    for (W, b), name in params:
        Z = A @ W.T + b
        Zs.append(Z)
        A = float_activations[name](Z)
    return Zs


def random_network(rng, widths, names, batch, scale=1.0):
    """``X`` (B, d), ``Y`` (B, m) and ``params`` for the given widths ``[d, n1, …, m]``.

    With ReLU layers, draws again until every pre-activation is at least ``RELU_MARGIN``
    away from the kink (so that finite differences never straddle it).
    """
    for _ in range(1000):
        X = rng.normal(size=(batch, widths[0]))
        params = [
            (scale * rng.normal(size=(n_out, n_in)) / np.sqrt(n_in),
             0.5 * scale * rng.normal(size=n_out))
            for n_in, n_out in zip(widths[:-1], widths[1:])
        ]
        if names[-1] == "sigmoid":
            Y = rng.uniform(0.0, 1.0, size=(batch, widths[-1]))
        else:
            Y = rng.normal(size=(batch, widths[-1]))
        Zs = pre_activations(X, list(zip(params, names)))
        if all(np.all(np.abs(Z) >= RELU_MARGIN)
               for Z, name in zip(Zs, names) if name == "relu"):
            return X, Y, params
    raise AssertionError("could not draw a network away from the ReLU kink")


# (id, widths [d, n1, ..., m], activations, weight scale)
ARCHITECTURES = [
    ("L1-sigmoid-single-output", [3, 1], ["sigmoid"], 1.0),
    ("L1-identity", [4, 2], ["identity"], 1.0),
    ("L1-tanh-square", [3, 3], ["tanh"], 1.0),
    ("L1-relu", [2, 3], ["relu"], 1.0),
    ("L2-sigmoid-article-shape", [1, 2, 1], ["sigmoid", "sigmoid"], 1.0),
    ("L2-relu-sigmoid", [3, 4, 2], ["relu", "sigmoid"], 1.0),
    ("L2-tanh-identity-square", [3, 3, 3], ["tanh", "identity"], 1.0),
    ("L2-sigmoid-saturated", [2, 3, 1], ["sigmoid", "sigmoid"], 6.0),
    ("L3-tanh-sigmoid-identity", [2, 5, 3, 1], ["tanh", "sigmoid", "identity"], 1.0),
    ("L3-relu-relu-tanh", [4, 3, 3, 2], ["relu", "relu", "tanh"], 1.5),
    ("L3-square", [3, 3, 3, 3], ["sigmoid", "tanh", "sigmoid"], 1.0),
    ("L4-all-four", [3, 4, 4, 3, 2], ["tanh", "relu", "sigmoid", "identity"], 1.5),
    ("L4-identity-square", [2, 2, 2, 2, 2], ["identity"] * 4, 1.0),
    ("L4-sigmoid-single-output", [5, 3, 4, 2, 1], ["sigmoid"] * 4, 2.0),
    ("L4-widening", [1, 2, 3, 4, 5], ["identity", "tanh", "relu", "sigmoid"], 1.5),
]


def _check_network_against_exact(X, Y, params, names):
    A_L, cache = network.forward(X, params, names)
    grads = network.backward(Y, params, cache, names)
    assert len(grads) == len(params)
    expected = exact_network_gradients(X, Y, params, names)
    for layer, ((dW, db), (W, b), (fd_W, fd_b)) in enumerate(zip(grads, params, expected)):
        assert dW.shape == W.shape and db.shape == b.shape
        assert dW.dtype == np.float64 and db.dtype == np.float64
        assert_gradients_agree(dW, fd_W, f"dW of layer {layer + 1}")
        assert_gradients_agree(db, fd_b, f"db of layer {layer + 1}")


@pytest.mark.parametrize("batch", [1, 4], ids=lambda b: f"B{b}")
@pytest.mark.parametrize(
    "widths, names, scale",
    [case[1:] for case in ARCHITECTURES],
    ids=[case[0] for case in ARCHITECTURES],
)
def test_network_backward_matches_finite_differences(widths, names, scale, batch):
    rng = np.random.default_rng([len(widths), batch, sum(widths)])
    X, Y, params = random_network(rng, widths, names, batch, scale)
    _check_network_against_exact(X, Y, params, names)


@st.composite
def networks(draw, max_depth=4, max_width=5, max_batch=5):
    depth = draw(st.integers(1, max_depth), label="depth")
    widths = draw(st.lists(st.integers(1, max_width), min_size=depth + 1,
                           max_size=depth + 1), label="widths")
    names = draw(st.lists(st.sampled_from(ACTIVATION_NAMES), min_size=depth,
                          max_size=depth), label="activations")
    batch = draw(st.integers(1, max_batch), label="batch")
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    scale = draw(st.sampled_from([0.5, 1.0, 2.0]), label="scale")
    X, Y, params = random_network(np.random.default_rng(seed), widths, names, batch, scale)
    return X, Y, params, names


@settings(PROFILE, max_examples=max(10, PROFILE.max_examples // 2))
@given(networks())
def test_network_backward_matches_finite_differences_random_architectures(net):
    X, Y, params, names = net
    _check_network_against_exact(X, Y, params, names)


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize(
    "widths, names, scale",
    [case[1:] for case in ARCHITECTURES if case[3] <= 2.0],
    ids=[case[0] for case in ARCHITECTURES if case[3] <= 2.0],
)
def test_network_backward_matches_float_differences_of_its_own_forward(
        widths, names, scale, batch):
    """float64 central differences of ``loss(forward(X, params)[0], Y)`` itself.

    Float64 differences carry ~1e-10 of absolute noise, so here the error is measured
    against the size of the whole gradient: ``max |a − b| / max(max|a| + max|b|, 1e-8)``.
    """
    rng = np.random.default_rng([len(widths), batch, sum(widths), 7])
    X, Y, params = random_network(rng, widths, names, batch, scale)
    _, cache = network.forward(X, params, names)
    grads = network.backward(Y, params, cache, names)
    for layer, ((W, b), (dW, db)) in enumerate(zip(params, grads)):
        def loss_of_W(W_):
            new = list(params)
            new[layer] = (W_, b)
            return network.loss(network.forward(X, new, names)[0], Y)

        def loss_of_b(b_):
            new = list(params)
            new[layer] = (W, b_)
            return network.loss(network.forward(X, new, names)[0], Y)

        for analytic, numeric in ((dW, central_difference(loss_of_W, W, FLOAT_EPS)),
                                  (db, central_difference(loss_of_b, b, FLOAT_EPS))):
            size = max(np.max(np.abs(analytic)) + np.max(np.abs(numeric)), 1e-8)
            assert np.max(np.abs(analytic - numeric)) / size < TOLERANCE


def test_backward_accepts_lists_and_tuples_alike():
    rng = np.random.default_rng(3)
    X, Y, params = random_network(rng, [3, 4, 2], ["tanh", "sigmoid"], 4)
    names = ["tanh", "sigmoid"]
    _, cache = network.forward(X, params, names)
    as_tuples = network.backward(Y, params, cache, names)
    as_lists = network.backward(Y, [[W, b] for W, b in params], cache, names)
    for (dW1, db1), (dW2, db2) in zip(as_tuples, as_lists):
        np.testing.assert_array_equal(dW1, dW2)
        np.testing.assert_array_equal(db1, db2)


# --------------------------------------------------------------------------------------
# The two-layer network (one example, vector form)
# --------------------------------------------------------------------------------------


def exact_two_layer_loss(x, y, W1, b1, W2, b2):
    sig = DECIMAL_ACTIVATIONS["sigmoid"]
    y_hat = sig(W2 @ sig(W1 @ x + b1) + b2)
    diff = y - y_hat
    return (diff * diff).sum() / 2


TWO_LAYER_SHAPES = [(1, 2, 1), (1, 1, 1), (3, 3, 3), (4, 2, 1), (2, 5, 3), (3, 1, 4)]


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("d, n, m", TWO_LAYER_SHAPES, ids=lambda v: str(v))
def test_two_layer_backward_matches_finite_differences(d, n, m, seed):
    rng = np.random.default_rng([d, n, m, seed])
    x = rng.normal(size=d)
    y = rng.uniform(size=m)
    W1, b1 = 1.5 * rng.normal(size=(n, d)), rng.normal(size=n)
    W2, b2 = 1.5 * rng.normal(size=(m, n)), rng.normal(size=m)
    cache = two_layer.two_layer_forward(x, W1, b1, W2, b2)
    grads = two_layer.two_layer_backward(x, y, W1, b1, W2, b2, cache)
    assert set(grads) == {"dW1", "db1", "dW2", "db2"}

    args = {name: exact(v) for name, v in
            dict(x=x, y=y, W1=W1, b1=b1, W2=W2, b2=b2).items()}
    with decimal.localcontext() as context:
        context.prec = DECIMAL_DIGITS
        for key, name in (("dW1", "W1"), ("db1", "b1"), ("dW2", "W2"), ("db2", "b2")):
            def loss_of(v, name=name):
                return exact_two_layer_loss(**{**args, name: v})

            numeric = central_difference(loss_of, args[name], DECIMAL_EPS)
            assert_gradients_agree(grads[key], numeric, key)


@pytest.mark.parametrize("d, n, m", TWO_LAYER_SHAPES, ids=lambda v: str(v))
def test_two_layer_agrees_with_network_on_a_batch_of_one(d, n, m):
    rng = np.random.default_rng([d, n, m, 99])
    x, y = rng.normal(size=d), rng.uniform(size=m)
    W1, b1 = rng.normal(size=(n, d)), rng.normal(size=n)
    W2, b2 = rng.normal(size=(m, n)), rng.normal(size=m)
    cache = two_layer.two_layer_forward(x, W1, b1, W2, b2)
    grads = two_layer.two_layer_backward(x, y, W1, b1, W2, b2, cache)
    params = [(W1, b1), (W2, b2)]
    A_L, net_cache = network.forward(x[None, :], params, ["sigmoid", "sigmoid"])
    (dW1, db1), (dW2, db2) = network.backward(y[None, :], params, net_cache,
                                              ["sigmoid", "sigmoid"])
    np.testing.assert_allclose(cache["y_hat"], A_L[0], rtol=1e-14)
    np.testing.assert_allclose(cache["z1"], net_cache[0][1][0], rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(cache["z2"], net_cache[1][1][0], rtol=1e-14, atol=1e-15)
    for mine, theirs in ((grads["dW1"], dW1), (grads["db1"], db1),
                         (grads["dW2"], dW2), (grads["db2"], db2)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-16)


# --------------------------------------------------------------------------------------
# One neuron
# --------------------------------------------------------------------------------------


def _neuron_draws(seed, count=60):
    rng = np.random.default_rng(seed)
    return rng.uniform(-3.0, 3.0, size=(count, 4))


@pytest.mark.parametrize("kind", ["linear", "sigmoid"])
def test_neuron_grads_match_finite_differences(kind):
    grads_fn = {"linear": neuron.linear_neuron_grads,
                "sigmoid": neuron.sigmoid_neuron_grads}[kind]

    def exact_loss(x, w, b, y):
        z = w * x + b
        y_hat = z if kind == "linear" else _dec_sigmoid(z)
        return (y - y_hat) ** 2 / 2

    for x, w, b, y in _neuron_draws({"linear": 1, "sigmoid": 2}[kind]):
        dw, db = grads_fn(float(x), float(w), float(b), float(y))
        assert type(dw) is float and type(db) is float
        X, Wt, Bi, Yv = (Decimal(float(v)) for v in (x, w, b, y))
        with decimal.localcontext() as context:
            context.prec = DECIMAL_DIGITS
            fd_w = central_difference(lambda v: exact_loss(X, v[()], Bi, Yv),
                                      np.array(Wt, dtype=object), DECIMAL_EPS)
            fd_b = central_difference(lambda v: exact_loss(X, Wt, v[()], Yv),
                                      np.array(Bi, dtype=object), DECIMAL_EPS)
        assert_gradients_agree(dw, fd_w, f"{kind} dL/dw at x={x}, w={w}, b={b}, y={y}")
        assert_gradients_agree(db, fd_b, f"{kind} dL/db at x={x}, w={w}, b={b}, y={y}")


@pytest.mark.parametrize("kind", ["linear", "sigmoid"])
def test_neuron_grads_match_float_differences_of_mse_loss(kind):
    """float64 central differences of the solutions' own ``mse_loss`` and activations."""
    grads_fn = {"linear": neuron.linear_neuron_grads,
                "sigmoid": neuron.sigmoid_neuron_grads}[kind]
    g = (lambda z: z) if kind == "linear" else activations.sigmoid
    for x, w, b, y in _neuron_draws(3, count=20):
        dw, db = grads_fn(x, w, b, y)
        fd_w = central_difference(lambda v: neuron.mse_loss(y, g(v * x + b)), np.array(w),
                                  FLOAT_EPS)
        fd_b = central_difference(lambda v: neuron.mse_loss(y, g(w * x + v)), np.array(b),
                                  FLOAT_EPS)
        np.testing.assert_allclose([dw, db], [fd_w, fd_b], rtol=1e-6, atol=1e-8)


# --------------------------------------------------------------------------------------
# Activation derivatives
# --------------------------------------------------------------------------------------

DERIVATIVES = {
    "sigmoid": (activations.sigmoid, activations.sigmoid_prime),
    "tanh": (activations.tanh, activations.tanh_prime),
    "relu": (activations.relu, activations.relu_prime),
}


def _grid(lo, hi, count, avoid_kink):
    z = np.concatenate([np.linspace(lo, hi, count), [0.0, 1e-2, -1e-2, 0.5, -0.5]])
    if avoid_kink:
        z = z[np.abs(z) >= RELU_MARGIN]
    return z


@pytest.mark.parametrize("name", sorted(DERIVATIVES))
def test_activation_derivative_matches_exact_finite_differences(name):
    """Against decimal differences of the mathematical function, over a wide range."""
    _, prime = DERIVATIVES[name]
    z = _grid(-30.0, 30.0, 241, avoid_kink=(name == "relu"))
    dec = DECIMAL_ACTIVATIONS[name]
    with decimal.localcontext() as context:
        context.prec = DECIMAL_DIGITS
        numeric = np.array([
            central_difference(lambda v: dec(v[()]), np.array(Decimal(float(zi)),
                                                              dtype=object), DECIMAL_EPS)
            for zi in z
        ])
    assert_gradients_agree(prime(z), numeric, f"{name}'")


@pytest.mark.parametrize("shape", [(), (7,), (3, 4), (2, 3, 2)], ids=str)
@pytest.mark.parametrize("name", sorted(DERIVATIVES))
def test_activation_derivative_matches_float_differences_of_the_activation(name, shape):
    """Against float64 differences of the solutions' own activation, elementwise.

    Each element's derivative is the difference quotient of that element alone, taken on
    arrays of several shapes (so the functions are checked as elementwise array maps).
    """
    g, prime = DERIVATIVES[name]
    rng = np.random.default_rng(len(shape) + 10 * ("sigmoid", "tanh", "relu").index(name))
    z = rng.uniform(-3.0, 3.0, size=shape)
    if name == "relu":
        z = np.where(np.abs(z) < RELU_MARGIN, 0.5, z)
    analytic = prime(z)
    assert analytic.shape == z.shape
    numeric = np.empty(z.shape)
    for index in np.ndindex(*z.shape):
        plus, minus = z.copy(), z.copy()
        plus[index] += FLOAT_EPS
        minus[index] -= FLOAT_EPS
        numeric[index] = (g(plus)[index] - g(minus)[index]) / (plus[index] - minus[index])
    assert_gradients_agree(analytic, numeric, f"{name}' on shape {shape}")


def test_relu_derivative_at_the_kink_is_zero():
    np.testing.assert_array_equal(activations.relu_prime(np.array([0.0, -0.0])), [0.0, 0.0])


# --------------------------------------------------------------------------------------
# solutions.gradcheck.numerical_gradient, against gradients known in closed form
# --------------------------------------------------------------------------------------

_A = np.array([[2.0, -1.0, 0.5], [0.3, 1.0, 4.0], [-2.0, 0.0, 1.5]])

KNOWN_GRADIENTS = {
    "sum of squares": (lambda x: np.sum(x * x), lambda x: 2 * x),
    "sum of sines": (lambda x: np.sum(np.sin(x)), np.cos),
    "sum of cubes": (lambda x: np.sum(x ** 3), lambda x: 3 * x ** 2),
    "log-sum-exp": (lambda x: np.log(np.sum(np.exp(x))),
                    lambda x: np.exp(x) / np.sum(np.exp(x))),
    "product of first two": (lambda x: x.flat[0] * x.flat[-1],
                             lambda x: _onehot_product_gradient(x)),
}


def _onehot_product_gradient(x):
    grad = np.zeros_like(x)
    if x.size == 1:
        grad.flat[0] = 2 * x.flat[0]
    else:
        grad.flat[0] = x.flat[-1]
        grad.flat[-1] = x.flat[0]
    return grad


@pytest.mark.parametrize("shape", [(), (1,), (5,), (2, 3), (2, 1, 3)], ids=str)
@pytest.mark.parametrize("name", sorted(KNOWN_GRADIENTS))
def test_numerical_gradient_of_known_functions(name, shape):
    f, grad = KNOWN_GRADIENTS[name]
    x = np.random.default_rng(len(shape)).uniform(-2.0, 2.0, size=shape)
    numeric = gradcheck.numerical_gradient(f, x)
    assert isinstance(numeric, np.ndarray)
    assert numeric.shape == x.shape and numeric.dtype == np.float64
    np.testing.assert_allclose(numeric, grad(x), rtol=1e-6, atol=1e-8)


def test_numerical_gradient_of_a_quadratic_form():
    x = np.array([0.7, -1.2, 2.0])
    numeric = gradcheck.numerical_gradient(lambda v: v @ _A @ v, x)
    np.testing.assert_allclose(numeric, (_A + _A.T) @ x, rtol=1e-7, atol=1e-9)


def test_numerical_gradient_is_the_central_difference_exactly():
    """With a power-of-two ``eps`` and small integers every step below is exact in float64.

    Central: ``((x+h)³ − (x−h)³) / (2h) = 3x² + h²``. A forward difference would give
    ``3x² + 3xh + h²``; a quotient over ``h`` instead of ``2h`` would double it.
    """
    x = np.array([[-3.0, -1.0, 0.0], [1.0, 2.0, 5.0]])
    h = 2.0 ** -4
    numeric = gradcheck.numerical_gradient(lambda v: np.sum(v ** 3), x, eps=h)
    np.testing.assert_array_equal(numeric, 3 * x ** 2 + h ** 2)
    numeric = gradcheck.numerical_gradient(lambda v: np.sum(v ** 2), x, eps=2.0 ** -10)
    np.testing.assert_array_equal(numeric, 2 * x)


def test_numerical_gradient_restores_x_bit_exactly():
    # Values where x + eps − eps != x, signed zero, a subnormal, huge and tiny numbers.
    x = np.array([[0.1, 1 / 3, -0.0, 5e-324], [1e300, -1e-300, 2.0 / 3.0, -7.123456789]])
    before = x.copy()
    identity_before = id(x)
    seen = []

    def f(v):
        seen.append(v.copy())
        return float(np.sum(np.sin(v)))

    gradcheck.numerical_gradient(f, x)
    assert id(x) == identity_before
    assert x.tobytes() == before.tobytes()  # bit for bit, -0.0 included
    # f saw one element nudged at a time, by ±eps, the others exactly as given.
    assert len(seen) == 2 * x.size
    for v in seen:
        changed = v.view(np.uint64) != before.view(np.uint64)
        assert changed.sum() <= 1


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.array([0.1, 0.2, 0.3])
    before = x.copy()
    calls = []

    def f(v):
        calls.append(1)
        if len(calls) == 4:
            raise RuntimeError("boom")
        return float(np.sum(v))

    with pytest.raises(RuntimeError, match="boom"):
        gradcheck.numerical_gradient(f, x)
    assert x.tobytes() == before.tobytes()


def test_numerical_gradient_works_through_a_closure():
    """``f`` ignores its argument and reads the captured array, as student code often does."""
    x = np.random.default_rng(5).uniform(-1.5, 1.5, size=(3, 2))
    before = x.copy()

    def f(_ignored):
        return float(np.sum(x ** 3) + np.sum(np.sin(x)))

    numeric = gradcheck.numerical_gradient(f, x)
    np.testing.assert_allclose(numeric, 3 * before ** 2 + np.cos(before), rtol=1e-7,
                               atol=1e-9)
    assert x.tobytes() == before.tobytes()


def test_numerical_gradient_of_a_network_matches_backward():
    """The course's use of gradcheck: on a network's weights, through a closure."""
    rng = np.random.default_rng(11)
    names = ["tanh", "sigmoid"]
    X, Y, params = random_network(rng, [3, 4, 2], names, 5)
    _, cache = network.forward(X, params, names)
    grads = network.backward(Y, params, cache, names)
    for (W, b), (dW, db) in zip(params, grads):
        for p, dp in ((W, dW), (b, db)):
            numeric = gradcheck.numerical_gradient(
                lambda _: network.loss(network.forward(X, params, names)[0], Y), p)
            np.testing.assert_allclose(numeric, dp, rtol=1e-6, atol=1e-9)


# --------------------------------------------------------------------------------------
# solutions.gradcheck.relative_error
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(), (3,), (2, 2)], ids=str)
def test_relative_error_of_two_zero_arrays_is_zero(shape):
    error = gradcheck.relative_error(np.zeros(shape), np.zeros(shape))
    assert type(error) is float and error == 0.0


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ([1.0], [1.1], abs(1.0 - 1.1) / 2.1),
        ([1.0, 2.0], [1.0, 2.0], 0.0),
        ([1.0, -1.0], [-1.0, 1.0], 1.0),
        ([3.0, 0.0], [1.0, 0.0], 0.5),
        ([0.0], [1e-9], 0.1),  # the 1e-8 floor of the denominator
        ([0.0, 0.0], [1e-10, -1e-10], 0.01),
        ([1.0, 100.0], [1.1, 100.0], abs(1.0 - 1.1) / 2.1),  # the largest element wins
        ([[1e-3, 2.0]], [[1.001e-3, 2.0]], 1e-6 / 2.001e-3),
    ],
)
def test_relative_error_known_values(a, b, expected):
    error = gradcheck.relative_error(np.array(a), np.array(b))
    assert type(error) is float
    np.testing.assert_allclose(error, expected, rtol=1e-12, atol=0)


_pairs = hnp.array_shapes(min_dims=0, max_dims=3, max_side=4).flatmap(
    lambda shape: st.tuples(*[hnp.arrays(np.float64, shape, elements=st.floats(
        -1e6, 1e6, allow_subnormal=False)) for _ in range(2)]))


@PROFILE
@given(_pairs)
def test_relative_error_is_symmetric_and_between_zero_and_one(pair):
    a, b = pair
    forward, backward = gradcheck.relative_error(a, b), gradcheck.relative_error(b, a)
    assert forward == backward
    assert 0.0 <= forward <= 1.0
    assert gradcheck.relative_error(a, a) == 0.0
