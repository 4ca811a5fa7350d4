"""The article's problems: inputs, exact answers, and the article's rounded figures.

The exact values follow from the formulas (computed in float64, and checked against the
reference by the tests); the article rounds intermediate values, so its figures differ in
the third digit. Feedback quotes them; grading uses the exact values. These numbers are
public (they are in the article), so the student's self-check may use them.
"""
from __future__ import annotations

# Problem 1: one sigmoid neuron.
P1 = {"x": 0.5, "w": 1.2, "b": -0.8, "y": 0.0}
P1_EXACT = {"z": -0.2, "y_hat": 0.4501660026875221, "loss": 0.10132471498783108,
            "sigma_prime": 0.24751657271185998,
            "dw": 0.05571177306830671, "db": 0.11142354613661341}
P1_ARTICLE = "the article rounds: ŷ ≈ 0.450, L ≈ 0.101, σ'(z) ≈ 0.248, ∂L/∂w ≈ 0.056, " \
             "∂L/∂b ≈ 0.112 (the exact ∂L/∂b rounds to 0.111)"

# The worked example: two sigmoid layers, one example.
WORKED = {"x": [2.0], "W1": [[0.5], [-0.3]], "b1": [0.1, -0.2], "W2": [[0.8, -0.4]],
          "b2": [0.3], "y": [1.0]}
WORKED_FORWARD = {"z1": [1.1, -0.8], "h": [0.7502601055951177, 0.31002551887238755],
                  "z2": [0.7761978769271392], "y_hat": [0.684860091434837]}
WORKED_GRADS = {"dW1": [[-0.02039052599888407], [0.011639360709532413]],
                "db1": [-0.010195262999442034, 0.005819680354766207],
                "dW2": [[-0.051029407134454995, -0.021086578250166625]],
                "db2": [-0.06801562118777153]}
WORKED_ARTICLE = "the article rounds: ŷ ≈ 0.685, L ≈ 0.050, δ2 ≈ −0.068, " \
                 "∂L/∂W1 ≈ [[−0.020], [0.012]], ∂L/∂b1 ≈ [−0.010, 0.006]"

# Problem 2: ReLU hidden layer, sigmoid output (the article gives no solution).
P2 = {"x": [-1.0], "W1": [[2.0], [-1.0]], "b1": [0.5, -0.3], "W2": [[0.7, 0.4]],
      "b2": [0.2], "y": [1.0]}
P2_ACTIVATIONS = ["relu", "sigmoid"]
P2_Y_HAT = [[0.617747874769249]]
P2_CACHE = [([[-1.0]], [[-1.5, 0.7]]), ([[0.0, 0.7]], [[0.48]])]
P2_LOSS = 0.07305834362171289
P2_GRADS = [([[0.0], [0.03610530920517972]], [0.0, -0.03610530920517972]),
            ([[0.0, -0.06318429110906451]], [-0.0902632730129493])]
P2_NOTE = "the article leaves Problem 2 unsolved; exact: ŷ = 0.617748, L = 0.0730583, " \
          "∂L/∂W2 = [[0, −0.0631843]]; the first hidden unit is dead, so its gradients are 0"


def p2_params():
    import numpy as np

    return [(np.array(P2["W1"]), np.array(P2["b1"])), (np.array(P2["W2"]), np.array(P2["b2"]))]
