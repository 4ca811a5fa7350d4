"""The article's numbers, as restored in ``shared/COURSE-BRIEF.md``, to the digits printed there.

Every figure the brief prints with six significant digits is checked twice: the exact value
rounded to that many significant digits must *be* the printed figure, and it must agree
with it to ``rtol = 5e-6``. Figures the brief prints short (``z = −0.2``, ``h = [0, 0.7]``)
are exact and are checked to ``rtol = 1e-12``.

The figures in square brackets are the article's own, computed from rounded intermediates;
one of them (``∂L/∂b = 0.112`` in Problem 1) is wrong in the third digit, and
``test_article_slip_problem_1_dL_db`` records it.
"""
import numpy as np
import pytest

from solutions import activations, network, neuron, two_layer


def significant_digits(text):
    """How many significant digits a printed decimal has: ``"0.00581968"`` → 6."""
    digits = text.lstrip("+-−").replace(".", "").lstrip("0")
    return len(digits)


def round_significant(value, digits):
    return float(f"{value:.{digits - 1}e}")


def assert_printed(value, printed, what):
    """``value`` (a number or an array) shows as ``printed`` (a string or nested lists)."""
    value = np.asarray(value, dtype=float)
    printed_array = np.asarray(printed, dtype=object)
    assert value.shape == printed_array.shape, f"{what}: shape {value.shape}"
    for index in np.ndindex(*value.shape):
        text = printed_array[index].replace("−", "-")
        expected = float(text)
        got = float(value[index])
        digits = significant_digits(text)
        if expected == 0.0:
            assert got == 0.0, f"{what}{list(index)}: {got!r} is not exactly 0"
        elif digits >= 5:
            assert round_significant(got, digits) == expected, (
                f"{what}{list(index)}: {got!r} does not round to {text}")
            np.testing.assert_allclose(got, expected, rtol=5e-6, err_msg=what)
        else:  # printed short because it is exact
            np.testing.assert_allclose(got, expected, rtol=1e-12, err_msg=what)


def test_the_helpers_read_the_brief_as_printed():
    assert significant_digits("0.00581968") == 6
    assert significant_digits("−0.0510294") == 6
    assert significant_digits("0.48") == 2
    assert round_significant(0.11142354613661341, 6) == 0.111424
    assert round_significant(-0.0203905312, 6) == -0.0203905


# --------------------------------------------------------------------------------------
# Problem 1: one sigmoid neuron
# --------------------------------------------------------------------------------------

P1 = dict(x=0.5, w=1.2, b=-0.8, y=0.0)


def problem_1():
    x, w, b, y = P1["x"], P1["w"], P1["b"], P1["y"]
    z = w * x + b
    y_hat = activations.sigmoid(z)
    dw, db = neuron.sigmoid_neuron_grads(x, w, b, y)
    return {
        "z": z,
        "y_hat": y_hat,
        "L": neuron.mse_loss(y, y_hat),
        "sigma_prime": activations.sigmoid_prime(z),
        "dL/dw": dw,
        "dL/db": db,
    }


PROBLEM_1_PRINTED = {
    "z": "−0.2",
    "y_hat": "0.450166",
    "L": "0.101325",
    "sigma_prime": "0.247517",
    "dL/dw": "0.0557118",
    "dL/db": "0.111424",
}


@pytest.mark.parametrize("name", list(PROBLEM_1_PRINTED))
def test_problem_1(name):
    assert_printed(problem_1()[name], PROBLEM_1_PRINTED[name], f"Problem 1 {name}")


def test_problem_1_through_a_one_unit_network():
    """The same neuron as a 1-1 sigmoid network on a batch of one."""
    X, Y = np.array([[P1["x"]]]), np.array([[P1["y"]]])
    params = [(np.array([[P1["w"]]]), np.array([P1["b"]]))]
    A, cache = network.forward(X, params, ["sigmoid"])
    assert_printed(A, [["0.450166"]], "ŷ")
    assert_printed(network.loss(A, Y), "0.101325", "L")
    [(dW, db)] = network.backward(Y, params, cache, ["sigmoid"])
    assert_printed(dW, [["0.0557118"]], "dW")
    assert_printed(db, ["0.111424"], "db")


# The article's figures (in brackets in the brief) and how many decimals it printed.
PROBLEM_1_ARTICLE = {
    "y_hat": "0.450",
    "L": "0.101",
    "sigma_prime": "0.248",
    "dL/dw": "0.056",
}


@pytest.mark.parametrize("name", list(PROBLEM_1_ARTICLE))
def test_problem_1_article_figures_that_are_right(name):
    printed = PROBLEM_1_ARTICLE[name]
    decimals = len(printed.split(".")[1])
    assert round(float(problem_1()[name]), decimals) == float(printed)


def test_article_slip_problem_1_dL_db():
    """The article prints ∂L/∂b = 0.112; the exact value 0.111424… rounds to 0.111.

    The article multiplied rounded intermediates: ŷ ≈ 0.450 and σ'(z) ≈ 0.248 give
    0.450 × 0.248 = 0.1116 ≈ 0.112. The course grades against the exact value.
    """
    values = problem_1()
    exact = values["dL/db"]
    assert round(exact, 3) == 0.111
    assert round(exact, 3) != 0.112
    from_rounded = round(float(values["y_hat"]), 3) * round(float(values["sigma_prime"]), 3)
    assert round(from_rounded, 3) == 0.112  # the article's slip, reproduced


def test_linear_neuron_small_integers():
    """``ŷ = 3·2 + 1 = 7``, ``y = 4``: ``∂L/∂ŷ = 3``, so ``(∂L/∂w, ∂L/∂b) = (6, 3)``."""
    assert neuron.linear_neuron_grads(2.0, 3.0, 1.0, 4.0) == (6.0, 3.0)
    assert neuron.mse_loss(4.0, 7.0) == 4.5


# --------------------------------------------------------------------------------------
# The worked example: two sigmoid layers
# --------------------------------------------------------------------------------------

WORKED = dict(
    x=np.array([2.0]),
    W1=np.array([[0.5], [-0.3]]),
    b1=np.array([0.1, -0.2]),
    W2=np.array([[0.8, -0.4]]),
    b2=np.array([0.3]),
    y=np.array([1.0]),
)

WORKED_PRINTED = {
    "z1": ["1.1", "−0.8"],
    "h": ["0.750260", "0.310026"],
    "z2": ["0.776198"],
    "y_hat": ["0.684860"],
    "L": "0.0496566",
    "delta2": ["−0.0680156"],
    "dW2": [["−0.0510294", "−0.0210866"]],
    "db2": ["−0.0680156"],
    "dW1": [["−0.0203905"], ["0.0116394"]],
    "db1": ["−0.0101953", "0.00581968"],
}


def worked_example_two_layer():
    p = WORKED
    cache = two_layer.two_layer_forward(p["x"], p["W1"], p["b1"], p["W2"], p["b2"])
    grads = two_layer.two_layer_backward(p["x"], p["y"], p["W1"], p["b1"], p["W2"],
                                         p["b2"], cache)
    values = dict(cache)
    values.update(grads)
    values["L"] = float(np.sum(neuron.mse_loss(p["y"], cache["y_hat"])))
    values["delta2"] = grads["db2"]
    return values


def worked_example_network(batch=1):
    p = WORKED
    X = np.tile(p["x"], (batch, 1))
    Y = np.tile(p["y"], (batch, 1))
    params = [(p["W1"], p["b1"]), (p["W2"], p["b2"])]
    A, cache = network.forward(X, params, ["sigmoid", "sigmoid"])
    (dW1, db1), (dW2, db2) = network.backward(Y, params, cache, ["sigmoid", "sigmoid"])
    return {
        "z1": cache[0][1][0], "h": cache[1][0][0], "z2": cache[1][1][0], "y_hat": A[0],
        "L": network.loss(A, Y), "delta2": db2,
        "dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2,
    }


@pytest.mark.parametrize("name", list(WORKED_PRINTED))
def test_worked_example_two_layer(name):
    assert_printed(worked_example_two_layer()[name], WORKED_PRINTED[name], name)


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("name", list(WORKED_PRINTED))
def test_worked_example_network(name, batch):
    """The general algorithm on a batch of one, and on three copies (the same mean)."""
    assert_printed(worked_example_network(batch)[name], WORKED_PRINTED[name], name)


def test_worked_example_rows_and_columns():
    """Row i of ∂L/∂W2 belongs to output neuron i, column j to hidden neuron j."""
    values = worked_example_two_layer()
    np.testing.assert_allclose(values["dW2"], np.outer(values["delta2"], values["h"]),
                               rtol=1e-15)
    np.testing.assert_allclose(values["dW1"], np.outer(values["db1"], WORKED["x"]),
                               rtol=1e-15)


# The article's rounded figures for the worked example: all of them are right.
WORKED_ARTICLE = {
    "y_hat": ["0.685"],
    "L": "0.050",
    "delta2": ["−0.068"],
    "dW1": [["−0.020"], ["0.012"]],
    "db1": ["−0.010", "0.006"],
}


@pytest.mark.parametrize("name", list(WORKED_ARTICLE))
def test_worked_example_article_figures(name):
    printed = np.asarray(WORKED_ARTICLE[name], dtype=object)
    value = np.asarray(worked_example_two_layer()[name], dtype=float)
    for index in np.ndindex(*value.shape):
        text = printed[index].replace("−", "-")
        assert round(float(value[index]), len(text.split(".")[1])) == float(text)


# --------------------------------------------------------------------------------------
# Problem 2: ReLU hidden layer, sigmoid output, one dead unit
# --------------------------------------------------------------------------------------

P2_PARAMS = [
    (np.array([[2.0], [-1.0]]), np.array([0.5, -0.3])),
    (np.array([[0.7, 0.4]]), np.array([0.2])),
]
P2_NAMES = ["relu", "sigmoid"]

P2_PRINTED = {
    "z1": ["−1.5", "0.7"],
    "h": ["0", "0.7"],
    "z2": ["0.48"],
    "y_hat": ["0.617748"],
    "L": "0.0730583",
    "dW2": [["0", "−0.0631843"]],
    "db2": ["−0.0902633"],
    "dW1": [["0"], ["0.0361053"]],
    "db1": ["0", "−0.0361053"],
}


def problem_2(batch=1):
    X = np.tile([[-1.0]], (batch, 1))
    Y = np.tile([[1.0]], (batch, 1))
    A, cache = network.forward(X, P2_PARAMS, P2_NAMES)
    (dW1, db1), (dW2, db2) = network.backward(Y, P2_PARAMS, cache, P2_NAMES)
    return {
        "z1": cache[0][1][0], "h": cache[1][0][0], "z2": cache[1][1][0], "y_hat": A[0],
        "L": network.loss(A, Y), "dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2,
    }


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("name", list(P2_PRINTED))
def test_problem_2(name, batch):
    assert_printed(problem_2(batch)[name], P2_PRINTED[name], name)


@pytest.mark.parametrize("batch", [1, 3])
def test_problem_2_dead_relu_unit_has_exactly_zero_gradients(batch):
    values = problem_2(batch)
    assert values["z1"][0] < 0 and activations.relu_prime(values["z1"][0]) == 0.0
    assert values["h"][0] == 0.0
    # Nothing flows into the dead unit's weights, nor out of it into W2's first column.
    assert values["dW1"][0, 0] == 0.0
    assert values["db1"][0] == 0.0
    assert values["dW2"][0, 0] == 0.0
    # ...while the live unit's gradients are not zero.
    assert values["dW1"][1, 0] != 0.0 and values["db1"][1] != 0.0
    assert values["dW2"][0, 1] != 0.0


def test_problem_2_hidden_layer_is_the_relu_of_z1():
    values = problem_2()
    np.testing.assert_array_equal(values["h"], activations.relu(values["z1"]))
