"""The reference solutions' answers to the article's problems (`bpcourse article`)."""
from __future__ import annotations

import numpy as np

from grader import article as art
from grader_hidden.reference import reference_functions


def render_article_report() -> str:
    """The reference solutions' answers to the article's problems, as text."""
    ref = reference_functions()
    p = art.P1
    dw, db = ref["sigmoid_neuron_grads"](p["x"], p["w"], p["b"], p["y"])
    q = art.WORKED
    cache = ref["two_layer_forward"](q["x"], q["W1"], q["b1"], q["W2"], q["b2"])
    g = ref["two_layer_backward"](q["x"], q["y"], q["W1"], q["b1"], q["W2"], q["b2"], cache)
    X, Y = np.array([art.P2["x"]]), np.array([art.P2["y"]])
    Y_hat, c2 = ref["forward"](X, art.p2_params(), art.P2_ACTIVATIONS)
    (dW1, _), (dW2, _) = ref["backward"](Y, art.p2_params(), c2, art.P2_ACTIVATIONS)
    fmt = lambda a: np.array2string(np.ravel(a), precision=6)  # noqa: E731
    return "\n".join([
        "Problem 1 (sigmoid neuron: x=0.5, w=1.2, b=-0.8, y=0)",
        f"  dL/dw = {dw:.6g}, dL/db = {db:.6g}",
        f"  {art.P1_ARTICLE}",
        "Worked example (two sigmoid layers)",
        f"  y_hat = {cache['y_hat'][0]:.6g}, dW1 = {fmt(g['dW1'])}, dW2 = {fmt(g['dW2'])}",
        f"  {art.WORKED_ARTICLE}",
        "Problem 2 (ReLU hidden layer, sigmoid output)",
        f"  y_hat = {Y_hat[0, 0]:.6g}, loss = {ref['loss'](Y_hat, Y):.6g}, "
        f"dW1 = {fmt(dW1)}, dW2 = {fmt(dW2)}",
        f"  {art.P2_NOTE}",
    ])
