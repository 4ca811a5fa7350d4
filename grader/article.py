"""The article's problems: inputs, exact answers and the article's rounded figures.

The exact values follow from the formulas; the article rounds intermediate values, so its
figures (kept here for feedback) can differ in the third digit.
"""
from __future__ import annotations

PROBLEM_1 = {"x": 0.5, "w": 1.2, "b": -0.8, "y": 0.0}
PROBLEM_1_EXACT = {"z": -0.2, "y_hat": 0.45016600268752216, "loss": 0.10132472485848571,
                   "sigma_prime": 0.24751657271185995,
                   "dw": 0.05571177306830671, "db": 0.11142354613661341}
PROBLEM_1_ARTICLE = {"y_hat": "0.450", "loss": "0.101", "sigma_prime": "0.248",
                     "dw": "0.056", "db": "0.112"}

WORKED = {"x": [2.0], "W1": [[0.5], [-0.3]], "b1": [0.1, -0.2], "W2": [[0.8, -0.4]],
          "b2": [0.3], "y": [1.0]}
WORKED_ARTICLE = {"y_hat": "0.685", "loss": "0.050", "delta2": "-0.068",
                  "dW1": "[[-0.020], [0.012]]", "db1": "[-0.010, 0.006]"}

PROBLEM_2 = {"x": [-1.0], "W1": [[2.0], [-1.0]], "b1": [0.5, -0.3], "W2": [[0.7, 0.4]],
             "b2": [0.2], "y": [1.0]}


def render_article_report() -> str:
    """The reference solutions' answers to the article's problems, as text."""
    import numpy as np

    from solutions import neuron, network, two_layer

    p = PROBLEM_1
    dw, db = neuron.sigmoid_neuron_grads(p["x"], p["w"], p["b"], p["y"])
    lines = ["Problem 1 (sigmoid neuron, x=0.5, w=1.2, b=-0.8, y=0)",
             f"  dL/dw = {dw:.6g}   (article: {PROBLEM_1_ARTICLE['dw']})",
             f"  dL/db = {db:.6g}   (article: {PROBLEM_1_ARTICLE['db']}; exact rounds to 0.111)"]
    for title, q in (("Worked example (two sigmoid layers)", WORKED),):
        cache = two_layer.two_layer_forward(q["x"], q["W1"], q["b1"], q["W2"], q["b2"])
        g = two_layer.two_layer_backward(q["x"], q["y"], q["W1"], q["b1"], q["W2"], q["b2"], cache)
        lines += [title,
                  f"  y_hat = {cache['y_hat'][0]:.6g}   (article: {WORKED_ARTICLE['y_hat']})",
                  f"  dW1 = {np.array2string(g['dW1'].ravel(), precision=6)}   "
                  f"(article: {WORKED_ARTICLE['dW1']})",
                  f"  dW2 = {np.array2string(g['dW2'].ravel(), precision=6)}"]
    q = PROBLEM_2
    params = [(np.array(q["W1"]), np.array(q["b1"])), (np.array(q["W2"]), np.array(q["b2"]))]
    X, Y = np.array([q["x"]]), np.array([q["y"]])
    Y_hat, cache = network.forward(X, params, ["relu", "sigmoid"])
    (dW1, db1), (dW2, db2) = network.backward(Y, params, cache, ["relu", "sigmoid"])
    lines += ["Problem 2 (ReLU hidden layer, sigmoid output; the course's own solution)",
              f"  y_hat = {Y_hat[0, 0]:.6g}, loss = {network.loss(Y_hat, Y):.6g}",
              f"  dW1 = {np.array2string(dW1.ravel(), precision=6)}  (first unit dead: 0)",
              f"  dW2 = {np.array2string(dW2.ravel(), precision=6)}"]
    return "\n".join(lines)
