"""Is each bank case what it claims to be? Checked with numpy alone, no grader needed.

* every buggy case really differs from the reference in its own function, on an input that
  shows the bug (the W-instead-of-Wᵀ bugs only with square layers, and so on), and every
  other function that does not call the buggy one still matches the reference;
* every correct case matches the reference everywhere (random inputs over shapes that
  expose the classic bugs, extreme z), leaves its arguments alone and warns about nothing;
* the manifest and the folders agree, and hostile files are only checked statically:
  they are never imported here.
"""
from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pytest

from . import support
from .assemble import MARKER, PORT, assemble, strip_markers
from .cases import BASE, CASES, EXERCISES, MODULES, REPO, SUBMISSIONS, Case, of

ACTIVATION_NAMES = ("sigmoid", "relu", "tanh", "identity")


@pytest.fixture(scope="module")
def ref():
    """The reference solutions, loaded from the repository's solutions/ folder."""
    return support.load_package(REPO / "solutions", "_bank_reference")


_loaded: dict[str, support.Submission] = {}


def load(case: Case, tmp_path_factory) -> support.Submission:
    if case.id not in _loaded:
        folder = assemble(case, tmp_path_factory.mktemp(case.name))
        _loaded[case.id] = support.load_package(folder, support.package_name(case.id))
    return _loaded[case.id]


# ------------------------------------------------------------------ inputs


def network(rng, sizes, activations, batch=5):
    params = [(rng.normal(size=(n_out, n_in)), rng.normal(size=n_out))
              for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    X = rng.normal(size=(batch, sizes[0]))
    Y = rng.uniform(0.1, 0.9, size=(batch, sizes[-1]))
    return X, Y, params, list(activations)


# Shapes that expose the classic bugs: non-square and square layers, one and several outputs,
# one to four layers, every activation in every position.
NETWORKS = [
    ((3, 4, 2), ("sigmoid", "sigmoid")),
    ((3, 4, 2), ("relu", "tanh")),
    ((2, 5, 1), ("tanh", "identity")),
    ((4, 3, 3), ("identity", "sigmoid")),
    ((3, 2), ("sigmoid",)),
    ((2, 3, 3, 1), ("relu", "tanh", "sigmoid")),
    ((4, 4, 4, 4, 4), ("tanh", "relu", "sigmoid", "identity")),
    ((3, 3, 3), ("sigmoid", "sigmoid")),
]

EXTREME = np.array([-1000.0, -40.0, -3.0, -1e-3, 0.0, 1e-3, 3.0, 40.0, 1000.0])


def suite():
    """(function name, args) pairs covering every contract function."""
    rng = np.random.default_rng(20240611)
    calls = []
    for name in ("sigmoid", "sigmoid_prime", "relu", "relu_prime", "tanh", "tanh_prime"):
        for z in (0.3, -1.7, np.float64(2.5), np.array(0.8), rng.normal(size=5),
                  3 * rng.normal(size=(3, 4)), EXTREME.copy()):
            calls.append((name, (z,)))
    calls.append(("mse_loss", (0.0, 0.450166)))
    calls.append(("mse_loss", (rng.normal(size=4), rng.normal(size=4))))
    for args in ((0.5, 1.2, -0.8, 0.0), (2.0, -0.3, 0.4, 1.0), (-1.5, 0.7, 0.2, 0.25)):
        calls.append(("linear_neuron_grads", args))
        calls.append(("sigmoid_neuron_grads", args))
    two_layer_shapes = [(3, 4, 2), (3, 3, 3), (1, 2, 1), (2, 5, 1)]
    for d, n, m in two_layer_shapes:
        x, W1, b1 = rng.normal(size=d), rng.normal(size=(n, d)), rng.normal(size=n)
        W2, b2, y = rng.normal(size=(m, n)), rng.normal(size=m), rng.uniform(size=m)
        calls.append(("two_layer_forward", (x, W1, b1, W2, b2)))
        calls.append(("two_layer_backward", (x, y, W1, b1, W2, b2, "reference forward")))
    for sizes, acts in NETWORKS:
        X, Y, params, acts = network(rng, sizes, acts)
        calls.append(("forward", (X, params, acts)))
        calls.append(("loss", (rng.normal(size=Y.shape), Y)))
        calls.append(("backward", (Y, params, "reference forward", acts)))
        grads = [(rng.normal(size=W.shape), rng.normal(size=b.shape)) for W, b in params]
        calls.append(("sgd_step", (params, grads, 0.1)))
        calls.append(("train", (X, Y, params, acts, 0.3, 4)))
    for shape in ((), (5,), (3, 4)):
        C = rng.normal(size=shape)
        x = rng.normal(size=shape)
        calls.append(("numerical_gradient", (lambda v, C=C: float(np.sum(np.sin(v) * C)), x)))
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    calls += [("relative_error", (a, b)), ("relative_error", (a, a.copy())),
              ("relative_error", (np.zeros(4), np.zeros(4))), ("relative_error", (a, a + 1e-9))]
    return calls


def resolve(name, args, ref):
    """Fill in the caches that backward functions take, from the reference forward."""
    if name == "two_layer_backward":
        x, y, W1, b1, W2, b2, _ = args
        return (x, y, W1, b1, W2, b2, ref.two_layer_forward(x, W1, b1, W2, b2))
    if name == "backward":
        Y, params, _, acts = args
        X = np.random.default_rng(len(params)).normal(size=(Y.shape[0], params[0][0].shape[1]))
        return (Y, params, ref.forward(X, params, acts)[1], acts)
    return args


# ------------------------------------------------------------------ comparing


def assert_same(got, want, where="result"):
    """Same structure (lists and tuples interchangeable), same shapes, same values."""
    if isinstance(want, dict):
        assert isinstance(got, dict), f"{where}: a {type(got).__name__}, not a dict"
        assert set(got) == set(want), f"{where}: keys {sorted(got)} instead of {sorted(want)}"
        for key in want:
            assert_same(got[key], want[key], f"{where}[{key!r}]")
    elif isinstance(want, (list, tuple)):
        assert isinstance(got, (list, tuple)), f"{where}: a {type(got).__name__}, not a sequence"
        assert len(got) == len(want), f"{where}: {len(got)} items instead of {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, f"{where}[{i}]")
    else:
        assert np.shape(got) == np.shape(want), f"{where}: shape {np.shape(got)} ≠ {np.shape(want)}"
        np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float),
                                   rtol=1e-9, atol=1e-12, err_msg=where)


def assert_unchanged(after, before, where):
    if isinstance(before, (list, tuple, dict)):
        items = before.items() if isinstance(before, dict) else enumerate(before)
        for key, value in items:
            assert_unchanged(after[key], value, f"{where}[{key!r}]")
    elif isinstance(before, np.ndarray):
        assert np.array_equal(after, before, equal_nan=True), f"{where} was modified in place"


def compare_call(name, args, sub, ref):
    args = resolve(name, args, ref)
    want = getattr(ref, name)(*copy.deepcopy(args))
    given = copy.deepcopy(args)
    got = getattr(sub, name)(*given)
    assert_same(got, want, f"{name}{describe_args(args)}")
    assert_unchanged(given, args, f"{name}: an argument")


def describe_args(args):
    return "(" + ", ".join(f"array{np.shape(a)}" if isinstance(a, np.ndarray) else
                           type(a).__name__ if isinstance(a, (list, dict)) or callable(a) else repr(a)
                           for a in args) + ")"


def differs(got, want) -> bool:
    try:
        assert_same(got, want)
    except AssertionError:
        return True
    return False


# ------------------------------------------------------------------ the manifest


def test_manifest_names_real_exercises_and_mistakes():
    from grader.exercises import MISTAKES

    for case in CASES:
        assert case.category in ("buggy", "correct", "hostile"), case.id
        assert case.description and "\n" not in case.description, case.id
        if case.category == "buggy":
            assert case.exercise in EXERCISES, case.id
            assert set(case.mistakes_accepted) <= set(MISTAKES), case.id
        if case.category == "hostile":
            assert case.zero and set(case.zero) <= set(EXERCISES), case.id
            assert set(case.full_marks()) <= set(EXERCISES), case.id
            assert not set(case.full_marks()) & set(case.zero), case.id


def test_every_folder_is_a_case_and_holds_only_modules():
    assert sorted(p.name for p in BASE.glob("*.py")) == sorted(f"{m}.py" for m in MODULES)
    known = {case.folder for case in CASES}
    for category in ("buggy", "correct", "hostile"):
        for folder in sorted((SUBMISSIONS / category).iterdir()):
            if folder.name == "__pycache__":
                continue
            assert folder in known, f"{folder} is not in cases.py"
            names = [p.name for p in folder.iterdir() if p.name != "__pycache__"]
            assert names and all(n[:-3] in MODULES for n in names), f"{folder}: {names}"
    for case in CASES:
        if case.name != "reference_without_markers":
            assert case.folder.is_dir(), f"{case.id} has no folder"


def test_base_is_the_reference_without_markers():
    """The base is solutions/ minus the nbgrader marker lines (and otherwise untouched)."""
    for module in MODULES:
        reference = (REPO / "solutions" / f"{module}.py").read_text(encoding="utf-8")
        assert (BASE / f"{module}.py").read_text(encoding="utf-8") == strip_markers(reference), (
            f"submissions/base/{module}.py differs from solutions/{module}.py without markers: "
            "run `python -m tests.bank.assemble --refresh-base`, then check the cases still apply")


# ------------------------------------------------------------------ buggy: the bug is there


def article_net():
    x, W1, b1 = np.array([2.0]), np.array([[0.5], [-0.3]]), np.array([0.1, -0.2])
    W2, b2, y = np.array([[0.8, -0.4]]), np.array([0.3]), np.array([1.0])
    return x, y, W1, b1, W2, b2


def two_layer_args(rng, d, n, m):
    x, W1, b1 = rng.normal(size=d), rng.normal(size=(n, d)), rng.normal(size=n)
    W2, b2, y = rng.normal(size=(m, n)), rng.normal(size=m), rng.uniform(size=m)
    return x, y, W1, b1, W2, b2


def backward_args(ref, sizes, acts, batch=6, seed=1):
    rng = np.random.default_rng(seed)
    X, Y, params, acts = network(rng, sizes, acts, batch)
    return Y, params, ref.forward(X, params, acts)[1], acts


def raises(fn, *args) -> bool:
    try:
        fn(*args)
    except Exception:
        return True
    return False


def probe_sigmoid_exp_ratio(sub, ref):
    with np.errstate(all="ignore"):
        assert np.isnan(sub.sigmoid(np.array([1000.0]))).all()
    assert ref.sigmoid(np.array([1000.0]))[0] == 1.0


def probe_sigmoid_prime_of_activation(sub, ref):
    assert sub.sigmoid_prime(0.0) == 0.0 and ref.sigmoid_prime(0.0) == 0.25


def probe_sigmoid_prime_cascade(sub, ref):
    # σ(0)² = σ(0)(1 − σ(0)) = 0.25: the bug is invisible at 0, so probe at 1.
    assert sub.sigmoid_prime(0.0) == pytest.approx(0.25)
    assert differs(sub.sigmoid_prime(1.0), ref.sigmoid_prime(1.0))
    # ... and it reaches everything downstream, through the student's own helper.
    assert differs(sub.sigmoid_neuron_grads(0.5, 1.2, -0.8, 0.0), ref.sigmoid_neuron_grads(0.5, 1.2, -0.8, 0.0))
    x, y, W1, b1, W2, b2 = article_net()
    cache = ref.two_layer_forward(x, W1, b1, W2, b2)
    assert differs(sub.two_layer_backward(x, y, W1, b1, W2, b2, cache),
                   ref.two_layer_backward(x, y, W1, b1, W2, b2, cache))
    args = backward_args(ref, (3, 4, 2), ("sigmoid", "sigmoid"))
    assert differs(sub.backward(*args), ref.backward(*args))


def probe_relu_prime_at_zero(sub, ref):
    assert sub.relu_prime(0.0) == 1.0 and ref.relu_prime(0.0) == 0.0
    assert_same(sub.relu_prime(np.array([-1.0, 2.0])), ref.relu_prime(np.array([-1.0, 2.0])))


def probe_relu_only_scalars(sub, ref):
    assert sub.relu(2.0) == 2.0 and sub.relu(-2.0) == 0.0
    assert raises(sub.relu, np.array([1.0, -1.0]))


def probe_tanh_prime_no_square(sub, ref):
    assert differs(sub.tanh_prime(0.5), ref.tanh_prime(0.5))


def probe_mse_loss_missing_half(sub, ref):
    assert float(sub.mse_loss(1.0, 0.0)) == 1.0 and float(ref.mse_loss(1.0, 0.0)) == 0.5


def probe_linear_neuron_sign_flip(sub, ref):
    got, want = sub.linear_neuron_grads(0.5, 1.2, -0.8, 0.0), ref.linear_neuron_grads(0.5, 1.2, -0.8, 0.0)
    assert_same(got, tuple(-w for w in want))


def probe_sigmoid_neuron_missing_sigmoid_prime(sub, ref):
    got = sub.sigmoid_neuron_grads(0.5, 1.2, -0.8, 0.0)
    assert got[1] == pytest.approx(0.450166, abs=1e-6)  # ŷ − y, without σ'(z) = 0.2475
    assert ref.sigmoid_neuron_grads(0.5, 1.2, -0.8, 0.0)[1] == pytest.approx(0.111424, abs=1e-6)


def probe_two_layer_outer_transposed(sub, ref):
    args = two_layer_args(np.random.default_rng(2), 3, 4, 2)
    cache = ref.two_layer_forward(args[0], *args[2:])
    got = sub.two_layer_backward(*args, cache)
    assert got["dW1"].shape == (3, 4) and got["dW2"].shape == (4, 2)
    assert differs(got, ref.two_layer_backward(*args, cache))


def probe_relu_prime_scalar_only(sub, ref):
    assert sub.relu_prime(2.0) == 1.0 and sub.relu_prime(-1.0) == 0.0
    assert raises(sub.relu_prime, np.array([1.0, -1.0]))


def probe_sigmoid_prime_returns_sigmoid(sub, ref):
    z = np.linspace(-3, 3, 7)
    np.testing.assert_allclose(sub.sigmoid_prime(z), ref.sigmoid(z))


def probe_tanh_prime_of_activation(sub, ref):
    z = np.linspace(-2, 2, 5)
    np.testing.assert_allclose(sub.tanh_prime(z), 1 - z * z)


def probe_linear_neuron_dw_db_swapped(sub, ref):
    assert sub.linear_neuron_grads(2.0, 0.5, 0.1, 1.0) == \
        pytest.approx(ref.linear_neuron_grads(2.0, 0.5, 0.1, 1.0)[::-1])


def probe_two_layer_forward_no_hidden_sigmoid(sub, ref):
    args = two_layer_args(np.random.default_rng(5), 3, 4, 2)
    x, _, W1, b1, W2, b2 = args
    got = sub.two_layer_forward(x, W1, b1, W2, b2)
    np.testing.assert_allclose(got["h"], got["z1"])
    assert differs(got, ref.two_layer_forward(x, W1, b1, W2, b2))


def probe_forward_missing_bias(sub, ref):
    X, _, params, acts = network(np.random.default_rng(6), (3, 4, 2), ("tanh", "sigmoid"))
    zero_b = [(W, np.zeros_like(b)) for W, b in params]
    assert not differs(sub.forward(X, params, acts), ref.forward(X, zero_b, acts))
    assert differs(sub.forward(X, params, acts), ref.forward(X, params, acts))


def probe_forward_cache_holds_outputs(sub, ref):
    X, _, params, acts = network(np.random.default_rng(7), (3, 4, 2), ("tanh", "sigmoid"))
    A_L, cache = sub.forward(X, params, acts)
    np.testing.assert_allclose(A_L, ref.forward(X, params, acts)[0])
    np.testing.assert_allclose(cache[-1][0], A_L)


def probe_backward_own_layer_W(sub, ref):
    args = backward_args(ref, (3, 3, 3), ("tanh", "sigmoid"), batch=4)
    assert differs(sub.backward(*args), ref.backward(*args))
    assert raises(sub.backward, *backward_args(ref, (3, 4, 2), ("tanh", "sigmoid"), batch=4))


def probe_backward_only_output_derivative(sub, ref):
    args = backward_args(ref, (3, 4, 2), ("tanh", "sigmoid"), batch=4)
    got, want = sub.backward(*args), ref.backward(*args)
    np.testing.assert_allclose(got[-1][0], want[-1][0])
    assert differs(got[0], want[0])


def probe_backward_only_two_layers(sub, ref):
    args = backward_args(ref, (3, 4, 2), ("tanh", "sigmoid"), batch=4)
    assert not differs(sub.backward(*args), ref.backward(*args))
    deep = backward_args(ref, (3, 4, 4, 2), ("tanh", "relu", "sigmoid"), batch=4)
    assert differs(sub.backward(*deep), ref.backward(*deep))


def probe_relative_error_mean(sub, ref):
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0])
    assert sub.relative_error(a, b) == pytest.approx(ref.relative_error(a, b) / 3)


def probe_train_ignores_lr(sub, ref):
    X, Y, params, acts = network(np.random.default_rng(8), (2, 3, 1), ("tanh", "sigmoid"), 4)
    assert differs(sub.train(X, Y, params, acts, 0.5, 3), ref.train(X, Y, params, acts, 0.5, 3))
    assert not differs(sub.train(X, Y, params, acts, 0.1, 3), ref.train(X, Y, params, acts, 0.1, 3))


def probe_relu_mutates_input(sub, ref):
    z = np.array([-1.0, 2.0, -3.0])
    np.testing.assert_array_equal(sub.relu(z.copy()), ref.relu(z))
    sub.relu(z)
    assert z.tolist() == [0.0, 2.0, 0.0]


def probe_mse_loss_mean(sub, ref):
    assert sub.mse_loss(1.0, 0.5) == pytest.approx(ref.mse_loss(1.0, 0.5))
    y, y_hat = np.array([1.0, 2.0]), np.array([0.0, 0.0])
    assert np.shape(sub.mse_loss(y, y_hat)) == () and ref.mse_loss(y, y_hat).shape == (2,)


def probe_two_layer_only_dW2_transposed(sub, ref):
    args = two_layer_args(np.random.default_rng(2), 3, 4, 2)
    cache = ref.two_layer_forward(args[0], *args[2:])
    got, want = sub.two_layer_backward(*args, cache), ref.two_layer_backward(*args, cache)
    assert got["dW2"].shape == (4, 2)
    for key in ("dW1", "db1", "db2"):
        np.testing.assert_allclose(got[key], want[key])


def probe_two_layer_W2_not_transposed(sub, ref):
    square = two_layer_args(np.random.default_rng(3), 2, 3, 3)
    cache = ref.two_layer_forward(square[0], *square[2:])
    assert differs(sub.two_layer_backward(*square, cache), ref.two_layer_backward(*square, cache))
    narrow = two_layer_args(np.random.default_rng(4), 2, 3, 1)
    cache = ref.two_layer_forward(narrow[0], *narrow[2:])
    assert raises(sub.two_layer_backward, *narrow, cache)


def probe_two_layer_forward_no_output_sigmoid(sub, ref):
    x, y, W1, b1, W2, b2 = article_net()
    assert sub.two_layer_forward(x, W1, b1, W2, b2)["y_hat"][0] == pytest.approx(0.776198, abs=1e-6)


def probe_forward_only_sigmoid(sub, ref):
    rng = np.random.default_rng(5)
    X, _, params, _ = network(rng, (3, 4, 2), ())
    assert_same(sub.forward(X, params, ["sigmoid", "sigmoid"]), ref.forward(X, params, ["sigmoid", "sigmoid"]))
    assert differs(sub.forward(X, params, ["relu", "tanh"]), ref.forward(X, params, ["relu", "tanh"]))


def probe_forward_only_two_layers(sub, ref):
    rng = np.random.default_rng(6)
    X, _, params, acts = network(rng, (3, 4, 2), ("tanh", "sigmoid"))
    assert_same(sub.forward(X, params, acts), ref.forward(X, params, acts))
    X, _, params, acts = network(rng, (3, 2), ("sigmoid",))
    assert raises(sub.forward, X, params, acts)
    X, _, params, acts = network(rng, (2, 3, 3, 1), ("relu", "tanh", "sigmoid"))
    assert differs(sub.forward(X, params, acts), ref.forward(X, params, acts))


def probe_loss_averages_outputs(sub, ref):
    rng = np.random.default_rng(7)
    Y_hat, Y = rng.normal(size=(4, 1)), rng.normal(size=(4, 1))
    assert sub.loss(Y_hat, Y) == pytest.approx(ref.loss(Y_hat, Y))  # invisible with one output
    Y_hat, Y = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    assert sub.loss(Y_hat, Y) == pytest.approx(ref.loss(Y_hat, Y) / 3)


def probe_loss_missing_1_over_B(sub, ref):
    rng = np.random.default_rng(8)
    Y_hat, Y = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    assert sub.loss(Y_hat, Y) == pytest.approx(4 * ref.loss(Y_hat, Y))


def scaled(grads, factor):
    return [(dW * factor, db * factor) for dW, db in grads]


def probe_backward_transposed_dW(sub, ref):
    args = backward_args(ref, (3, 4, 2), ("sigmoid", "tanh"))
    got = sub.backward(*args)
    assert [g[0].shape for g in got] == [(3, 4), (4, 2)]  # (n_in, n_out): the transpose


def probe_backward_missing_1_over_B(sub, ref):
    args = backward_args(ref, (3, 4, 2), ("sigmoid", "tanh"), batch=6)
    assert_same(sub.backward(*args), scaled(ref.backward(*args), 6))


def probe_backward_divide_by_B_twice(sub, ref):
    args = backward_args(ref, (3, 4, 2), ("sigmoid", "tanh"), batch=6)
    assert_same(sub.backward(*args), scaled(ref.backward(*args), 1 / 6))


def probe_backward_db_wrong_axis(sub, ref):
    args = backward_args(ref, (3, 4, 2), ("sigmoid", "tanh"), batch=6)
    assert [g[1].shape for g in sub.backward(*args)] == [(6,), (6,)]


def probe_backward_missing_activation_derivative(sub, ref):
    args = backward_args(ref, (3, 4, 2), ("sigmoid", "sigmoid"))
    assert differs(sub.backward(*args), ref.backward(*args))
    identity = backward_args(ref, (3, 4, 2), ("identity", "identity"))
    assert_same(sub.backward(*identity), ref.backward(*identity))  # g' = 1: no difference


def probe_backward_derivative_of_activation(sub, ref):
    args = backward_args(ref, (3, 4, 2), ("sigmoid", "tanh"))
    assert differs(sub.backward(*args), ref.backward(*args))


def probe_backward_W_transposed(sub, ref):
    square = backward_args(ref, (3, 3, 3), ("tanh", "sigmoid"))
    assert differs(sub.backward(*square), ref.backward(*square))
    assert raises(sub.backward, *backward_args(ref, (3, 4, 2), ("tanh", "sigmoid")))


def probe_backward_sign_flip(sub, ref):
    args = backward_args(ref, (3, 4, 2), ("sigmoid", "tanh"))
    assert_same(sub.backward(*args), scaled(ref.backward(*args), -1))


def probe_backward_mutates_cache(sub, ref):
    args = backward_args(ref, (3, 4, 2), ("sigmoid", "tanh"))
    before = copy.deepcopy(args)
    assert_same(sub.backward(*args), ref.backward(*before))  # right values...
    with pytest.raises(AssertionError, match="modified in place"):
        assert_unchanged(args, before, "backward's arguments")  # ... a changed cache


def probe_numerical_gradient_forward_difference(sub, ref):
    x = np.array([0.3, -0.2, 0.5])
    f = lambda v: float(np.sum(np.exp(3 * v)))  # noqa: E731 - strong curvature
    exact = 3 * np.exp(3 * x)
    assert ref.relative_error(ref.numerical_gradient(f, x.copy()), exact) < 1e-8
    assert ref.relative_error(sub.numerical_gradient(f, x.copy()), exact) > 1e-6


def probe_numerical_gradient_unrestored_x(sub, ref):
    x = np.array([0.3, -0.2, 0.5])
    sub.numerical_gradient(lambda v: float(np.sum(v ** 2)), x)
    assert not np.array_equal(x, [0.3, -0.2, 0.5])


def probe_relative_error_no_floor(sub, ref):
    with np.errstate(all="ignore"):
        assert math.isnan(sub.relative_error(np.zeros(3), np.zeros(3)))
    assert ref.relative_error(np.zeros(3), np.zeros(3)) == 0.0


def sgd_args():
    rng = np.random.default_rng(9)
    params = [(rng.normal(size=(4, 3)), rng.normal(size=4)), (rng.normal(size=(2, 4)), rng.normal(size=2))]
    grads = [(rng.normal(size=W.shape), rng.normal(size=b.shape)) for W, b in params]
    return params, grads, 0.1


def probe_sgd_ascent(sub, ref):
    params, grads, lr = sgd_args()
    assert_same(sub.sgd_step(params, grads, lr), ref.sgd_step(params, grads, -lr))


def probe_sgd_mutates_params(sub, ref):
    params, grads, lr = sgd_args()
    before = copy.deepcopy(params)
    assert_same(sub.sgd_step(params, grads, lr), ref.sgd_step(before, grads, lr))
    assert not np.array_equal(params[0][0], before[0][0])


def probe_train_losses_after_update(sub, ref):
    rng = np.random.default_rng(10)
    X, Y, params, acts = network(rng, (3, 4, 2), ("tanh", "sigmoid"))
    got_params, got_losses = sub.train(X, Y, params, acts, 0.5, 5)
    want_params, want_losses = ref.train(X, Y, params, acts, 0.5, 5)
    assert_same(got_params, want_params)
    assert_same(got_losses[:-1], want_losses[1:])  # shifted by one update


PROBES = {name[len("probe_"):]: fn for name, fn in globals().items() if name.startswith("probe_")}


def test_every_buggy_case_has_a_probe():
    assert sorted(PROBES) == sorted(case.name for case in of("buggy"))


@pytest.mark.parametrize("case", of("buggy"), ids=lambda c: c.name)
def test_buggy_case_differs_from_the_reference(case, ref, tmp_path_factory):
    """The bug is really there, in the case's own function, on an input that shows it."""
    PROBES[case.name](load(case, tmp_path_factory), ref)


@pytest.mark.parametrize("case", of("buggy"), ids=lambda c: c.name)
def test_buggy_case_changes_nothing_else(case, ref, tmp_path_factory):
    """Every function that neither is nor calls the buggy one matches the reference."""
    sub = load(case, tmp_path_factory)
    skip = {case.exercise, *case.cascades}
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, args in suite():
            if name not in skip:
                compare_call(name, args, sub, ref)


# ------------------------------------------------------------------ correct: it is right


@pytest.mark.parametrize("case", of("correct"), ids=lambda c: c.name)
def test_correct_case_matches_the_reference(case, ref, tmp_path_factory, capsys):
    """Right everywhere, arguments untouched, no warnings even at z = ±1000 (except in the
    cases whose point is advice about a warning)."""
    sub = load(case, tmp_path_factory)
    with warnings.catch_warnings(), np.errstate(over="warn", divide="warn", invalid="warn"):
        warnings.simplefilter("ignore" if case.advice else "error", RuntimeWarning)
        for name, args in suite():
            compare_call(name, args, sub, ref)
    printed = capsys.readouterr().out
    if case.name == "debug_prints":
        assert printed.count("\n") > 1000, "the debug_prints case should print thousands of lines"


def test_correct_case_sigmoid_overflow_only_warns(ref, tmp_path_factory):
    """1/(1 + e^(−z)): the right values everywhere (1/inf = 0), and an overflow warning."""
    sub = load(next(c for c in of("correct") if c.name == "sigmoid_overflow"), tmp_path_factory)
    z = np.array([-1000.0, 0.0, 1000.0])
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn"):
        warnings.simplefilter("always")
        got = sub.sigmoid(z)
    assert any(issubclass(w.category, RuntimeWarning) and "overflow" in str(w.message)
               for w in caught), "no overflow warning"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_same(got, ref.sigmoid(z))


def test_correct_case_relu_prime_ints_returns_ints(ref, tmp_path_factory):
    sub = load(next(c for c in of("correct") if c.name == "relu_prime_ints"), tmp_path_factory)
    assert sub.relu_prime(np.array([-1.0, 0.0, 2.0])).dtype == np.int64


def test_correct_case_python_floats_returns_floats(ref, tmp_path_factory):
    sub = load(next(c for c in of("correct") if c.name == "python_floats"), tmp_path_factory)
    for name in ("sigmoid", "sigmoid_prime", "relu", "relu_prime", "tanh", "tanh_prime"):
        assert type(getattr(sub, name)(0.7)) is float, name
    assert type(sub.mse_loss(1.0, 0.25)) is float
    assert all(type(v) is float for v in sub.sigmoid_neuron_grads(0.5, 1.2, -0.8, 0.0))


def test_correct_case_params_as_lists_returns_lists(ref, tmp_path_factory):
    sub = load(next(c for c in of("correct") if c.name == "params_as_lists"), tmp_path_factory)
    params, grads, lr = sgd_args()
    assert all(type(pair) is list for pair in sub.sgd_step(params, grads, lr))


# ------------------------------------------------------------------ hostile: static checks only


@pytest.mark.parametrize("case", of("hostile"), ids=lambda c: c.name)
def test_hostile_case_is_well_formed(case, tmp_path):
    """Hostile files are compiled, never run: they parse (except the syntax-error case), their
    placeholders get filled in, and the destructive ones are disarmed until they are."""
    files = sorted(case.folder.glob("*.py"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        if case.name == "syntax_error":
            with pytest.raises(SyntaxError):
                compile(text, str(path), "exec")
        else:
            compile(text, str(path), "exec")
        if case.contain or case.name == "lingering_fork":
            assert "_ARMED" in text and MARKER in text, f"{path.name}: no disarming guard"
    if case.name == "socket_connect":
        assert any(PORT in p.read_text(encoding="utf-8") for p in files)
    out = assemble(case, tmp_path / "assembled", marker="bpcourse-bank-test-0123", port=4242)
    generated = any("# bank-generate:" in p.read_text(encoding="utf-8") for p in files)
    if generated:  # a generated helper beside the six, or a notebook or zip instead of them
        assert out.exists()
        if not out.is_dir():
            return
        assert {f"{m}.py" for m in MODULES} <= {p.name for p in out.glob("*.py")} or \
            any(out.glob("*.ipynb")), sorted(p.name for p in out.iterdir())
    else:
        assert sorted(p.name for p in out.glob("*.py")) == sorted(f"{m}.py" for m in MODULES)
    for path in out.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert MARKER not in text and PORT not in text
