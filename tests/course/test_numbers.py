"""Do the notebooks show the exact numbers that feedback quotes (grader/article.py)?"""
import json
import re
from pathlib import Path

import pytest

from grader import article

FOLDER = Path(__file__).resolve().parents[2] / "course" / "source" / "backprop"
NUMBER = re.compile(r"-?\d+\.\d+")


def flat(value):
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in flat(v)]
    return [float(value)]


def written(notebook):
    """Every decimal number of the notebook's markdown with its precision: (value, unit)."""
    cells = json.loads((FOLDER / notebook).read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    out = []
    for token in NUMBER.findall(text):
        digits = token.lstrip("-").split(".")
        significant = len((digits[0] + digits[1]).lstrip("0"))
        if significant >= 5:  # a rounded figure of the article (3 digits) is not an exact value
            out.append((float(token), 10.0 ** -len(digits[1])))
    return out


def shown(value, numbers):
    """``value`` appears correctly rounded to the precision it is written with."""
    return any(abs(n - value) <= 0.5 * unit * (1 + 1e-9) for n, unit in numbers)


CASES = [
    ("03_sigmoid_neuron.ipynb", [v for k, v in article.P1_EXACT.items() if k != "z"]),
    ("04_two_layers_by_hand.ipynb", flat(list(article.WORKED_FORWARD.values()))
     + flat(list(article.WORKED_GRADS.values()))
     + [0.5 * (article.WORKED["y"][0] - article.WORKED_FORWARD["y_hat"][0]) ** 2]),
    ("07_general_backprop.ipynb", flat(article.P2_Y_HAT) + [article.P2_LOSS] + flat(article.P2_GRADS)),
]


@pytest.mark.parametrize("notebook, values", CASES, ids=[c[0] for c in CASES])
def test_the_worked_problems_show_the_exact_values(notebook, values):
    numbers = written(notebook)
    # values with three decimals or fewer (inputs such as z1 = 1.1, the dead unit's 0) are
    # written as they are; every other value must appear rounded at its written precision
    missing = [v for v in values if round(v, 3) != v and not shown(v, numbers)]
    assert missing == []


def test_a_wrong_figure_is_caught():
    numbers = written("03_sigmoid_neuron.ipynb")
    assert shown(article.P1_EXACT["db"], numbers)
    assert not shown(0.112, numbers)  # the article's rounding is not written as exact
    assert not shown(article.P1_EXACT["db"] + 2e-6, numbers)
