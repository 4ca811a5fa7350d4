# %% [markdown]
# # 4. Two layers by hand: the worked example
#
# Time to stack neurons. This notebook has no exercise: it follows every number of one
# forward and one backward pass through a tiny network, so that the matrix formulas of the
# next notebooks have something concrete to stand on.
#
# The network has one input, two hidden sigmoid neurons and one sigmoid output:
#
# $$z^{(1)} = W^{(1)} x + b^{(1)},\quad h = \sigma(z^{(1)}),\quad
#   z^{(2)} = W^{(2)} h + b^{(2)},\quad \hat y = \sigma(z^{(2)}),\quad
#   \mathcal L = \tfrac12 (y - \hat y)^2 .$$
#
# with the values
#
# $$x = 2,\quad W^{(1)} = \begin{pmatrix} 0.5 \\ -0.3 \end{pmatrix},\quad
#   b^{(1)} = \begin{pmatrix} 0.1 \\ -0.2 \end{pmatrix},\quad
#   W^{(2)} = \begin{pmatrix} 0.8 & -0.4 \end{pmatrix},\quad b^{(2)} = 0.3,\quad y = 1 .$$
#
# Shapes: $x$ is $(1,)$, $W^{(1)}$ is $(2, 1)$ (one row per hidden neuron), $W^{(2)}$ is
# $(1, 2)$ (one row per output neuron, one column per hidden neuron).

# %% tags=["definitions"]
import numpy as np

# %%
import matplotlib.pyplot as plt

# Your sigmoid and sigmoid_prime from notebook 1.
from earlier import load
globals().update(load("01_activations.ipynb"))

# %% [markdown]
# ## Forward pass
#
# | step | computation | exact | article |
# | --- | --- | --- | --- |
# | hidden pre-activations | $z^{(1)}_1 = 0.5 \cdot 2 + 0.1$, $\; z^{(1)}_2 = -0.3 \cdot 2 - 0.2$ | $1.1,\ -0.8$ | |
# | hidden activations | $h = \sigma(z^{(1)})$ | $0.750260,\ 0.310026$ | |
# | output pre-activation | $z^{(2)} = 0.8 \cdot 0.750260 - 0.4 \cdot 0.310026 + 0.3$ | $0.776198$ | |
# | prediction | $\hat y = \sigma(z^{(2)})$ | $0.684860$ | $0.685$ |
# | loss | $\tfrac12 (1 - 0.684860)^2$ | $0.0496566$ | $0.050$ |
#
# ## Backward pass
#
# Start at the loss and walk back, multiplying by one local derivative per step.
#
# 1. **Output error.** $\delta^{(2)} = \partial\mathcal L/\partial z^{(2)} = (\hat y - y)\,
#    \sigma'(z^{(2)}) = -0.315140 \times 0.215826 = -0.0680156$ (article: $-0.068$).
# 2. **Output layer's parameters.** Each weight's gradient is the error at its neuron times
#    the input it multiplied: $\partial\mathcal L/\partial W^{(2)}_{1j} = \delta^{(2)} h_j$,
#    so $\partial\mathcal L/\partial W^{(2)} = (-0.0510294,\ -0.0210866)$, and
#    $\partial\mathcal L/\partial b^{(2)} = \delta^{(2)} = -0.0680156$.
# 3. **Back into the hidden layer.** Hidden neuron $j$ reaches the loss through the weight
#    $W^{(2)}_{1j}$, so $\partial\mathcal L/\partial h_j = W^{(2)}_{1j}\,\delta^{(2)}$:
#    $(-0.0544125,\ 0.0272062)$. Then through its own sigmoid:
#    $\delta^{(1)}_j = \partial\mathcal L/\partial h_j \cdot \sigma'(z^{(1)}_j)$, which gives
#    $\delta^{(1)} = (-0.0101953,\ 0.00581968)$ (article: $-0.010,\ 0.006$).
# 4. **Hidden layer's parameters.** Again error times input: $\partial\mathcal L/\partial
#    W^{(1)}_{j1} = \delta^{(1)}_j x = (-0.0203905,\ 0.0116394)$ (article: $-0.020,\ 0.012$)
#    and $\partial\mathcal L/\partial b^{(1)} = \delta^{(1)}$.
#
# Step 3 is the whole idea of backpropagation: the hidden layer's error is *assembled from the
# output layer's error*, which is already known. Nothing about the loss has to be
# differentiated twice. With more output neurons, step 3 becomes a sum over them, one term per
# path, exactly the multivariable chain rule of notebook 1.
#
# Here the article's three-digit figures agree with the exact values rounded to three digits;
# in Problem 1 (notebook 3) they did not, because the article rounded *before* multiplying.

# %% [markdown]
# ## The same computation in code
#
# Every node of the computation gets a forward value (`value`) and a gradient
# $\partial\mathcal L/\partial(\text{node})$ (`grad`). The backward half visits the nodes in
# reverse order, and each line is one local derivative times the gradient of the node above.

# %%
value, grad = {}, {}
value["x"], value["y"] = 2.0, 1.0
value["w11"], value["w21"], value["b11"], value["b12"] = 0.5, -0.3, 0.1, -0.2
value["v1"], value["v2"], value["b2"] = 0.8, -0.4, 0.3     # v: the row of W2

# forward
value["z11"] = value["w11"] * value["x"] + value["b11"]
value["z12"] = value["w21"] * value["x"] + value["b12"]
value["h1"], value["h2"] = float(sigmoid(value["z11"])), float(sigmoid(value["z12"]))
value["z2"] = value["v1"] * value["h1"] + value["v2"] * value["h2"] + value["b2"]
value["y_hat"] = float(sigmoid(value["z2"]))
value["L"] = 0.5 * (value["y"] - value["y_hat"]) ** 2

# backward: one chain-rule factor per line
grad["L"] = 1.0
grad["y_hat"] = grad["L"] * (value["y_hat"] - value["y"])
grad["z2"] = grad["y_hat"] * float(sigmoid_prime(value["z2"]))          # δ2
grad["v1"], grad["v2"] = grad["z2"] * value["h1"], grad["z2"] * value["h2"]
grad["b2"] = grad["z2"]
grad["h1"], grad["h2"] = grad["z2"] * value["v1"], grad["z2"] * value["v2"]
grad["z11"] = grad["h1"] * float(sigmoid_prime(value["z11"]))           # δ1, first neuron
grad["z12"] = grad["h2"] * float(sigmoid_prime(value["z12"]))           # δ1, second neuron
grad["w11"], grad["w21"] = grad["z11"] * value["x"], grad["z12"] * value["x"]
grad["b11"], grad["b12"] = grad["z11"], grad["z12"]
grad["x"] = grad["z11"] * value["w11"] + grad["z12"] * value["w21"]   # two paths: a sum

for name in ["y_hat", "L", "z2", "v1", "v2", "b2", "z11", "z12", "w11", "w21"]:
    shown = f"{grad[name]: .7f}" if name in grad else ""
    print(f"{name:6s} value {value[name]: .7f}   grad {shown}")

# %% [markdown]
# ## The computational graph
#
# The picture below draws each quantity as a node, with its forward value on top and its
# gradient $\partial\mathcal L/\partial(\cdot)$ below. Arrows show the forward direction;
# gradients flow against them. Parameters (orange) are the leaves we want gradients for;
# the target $y$ gets no gradient because nothing can change it.

# %%
def draw_graph(value, grad, positions, edges, params):
    """Boxes with value and gradient at `positions`, arrows along `edges` (from, to)."""
    fig, ax = plt.subplots(figsize=(12, 5.5))
    boxes = {}
    for name, (px, py) in positions.items():
        g = f"grad {grad[name]:.4g}" if name in grad else "grad —"
        color = "#fde2c4" if name in params else "#dbe9f6"
        boxes[name] = ax.text(px, py, f"{name}\n{value[name]:.4g}\n{g}", ha="center",
                              va="center", fontsize=8,
                              bbox=dict(boxstyle="round", fc=color, ec="0.4"))
    for src, dst in edges:  # clipped to the boxes' outlines, so every arrowhead shows
        ax.annotate("", xy=positions[dst], xytext=positions[src],
                    arrowprops=dict(arrowstyle="->", color="0.45", shrinkA=1, shrinkB=1,
                                    patchA=boxes[src].get_bbox_patch(),
                                    patchB=boxes[dst].get_bbox_patch()))
    ax.set_xlim(-0.6, 6.6)
    ax.set_ylim(-0.8, 4.8)
    ax.axis("off")
    return fig


positions = {
    "x": (0, 2), "w11": (0, 4), "b11": (1, 4), "w21": (0, 0), "b12": (1, 0),
    "z11": (1.4, 3), "z12": (1.4, 1), "h1": (2.6, 3), "h2": (2.6, 1),
    "v1": (3.2, 4.3), "v2": (3.2, -0.3), "b2": (4.0, 3.4), "z2": (4.0, 2),
    "y_hat": (5.0, 2), "y": (5.6, 3.4), "L": (6.1, 2),
}
edges = [("x", "z11"), ("w11", "z11"), ("b11", "z11"), ("x", "z12"), ("w21", "z12"),
         ("b12", "z12"), ("z11", "h1"), ("z12", "h2"), ("h1", "z2"), ("h2", "z2"),
         ("v1", "z2"), ("v2", "z2"), ("b2", "z2"), ("z2", "y_hat"), ("y_hat", "L"), ("y", "L")]
fig = draw_graph(value, grad, positions, edges, {"w11", "w21", "b11", "b12", "v1", "v2", "b2"})
plt.show()

# %% [markdown]
# Two things to check on the graph:
#
# - **Gradient times input.** The gradient on `v1` is the gradient on `z2` times the value of
#   `h1`; the gradient on `w11` is the gradient on `z11` times the value of `x`.
# - **Where paths join, gradients add.** `x` feeds both hidden neurons, so its gradient is the
#   sum of two contributions. A parameter is used once here, so it has one.
#
# Notebook 5 writes these same steps with vectors and matrices, so that they work for any
# number of neurons.
