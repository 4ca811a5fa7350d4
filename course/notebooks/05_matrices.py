# %% [markdown]
# # 5. Many neurons: the matrix form
#
# Notebook 4 treated each neuron by name. With $n$ hidden neurons and $m$ outputs that would
# mean $n + m$ copies of the same lines; matrices say it once.
#
# **You will write:** `two_layer_forward` and `two_layer_backward` for one example
# $x \in \mathbb R^{d}$, a hidden layer of $n$ sigmoid neurons and $m$ sigmoid outputs.

# %% tags=["definitions"]
import numpy as np

# %%
# Your activations from notebook 1.
from earlier import load
globals().update(load("01_activations.ipynb"))

# %% [markdown]
# ## Shapes first
#
# A layer with $n_\text{in}$ inputs and $n_\text{out}$ neurons has a weight matrix of shape
# $(n_\text{out}, n_\text{in})$: **row $i$ holds the weights of neuron $i$, column $j$ the
# weights applied to input $j$.** Its bias has shape $(n_\text{out},)$.
#
# $$\underbrace{z^{(1)}}_{(n,)} = \underbrace{W^{(1)}}_{(n, d)}\,\underbrace{x}_{(d,)} +
#   \underbrace{b^{(1)}}_{(n,)},\qquad h = \sigma(z^{(1)}),\qquad
#   \underbrace{z^{(2)}}_{(m,)} = \underbrace{W^{(2)}}_{(m, n)}\,\underbrace{h}_{(n,)} +
#   \underbrace{b^{(2)}}_{(m,)},\qquad \hat y = \sigma(z^{(2)}).$$
#
# The loss adds the squared errors of the outputs: $\mathcal L = \tfrac12 \lVert y - \hat y
# \rVert^2$.

# %% from="two_layer:two_layer_forward"

# %% test="two_layer_forward" points=6
_out = two_layer_forward(np.array([2.0]), np.array([[0.5], [-0.3]]), np.array([0.1, -0.2]),
                         np.array([[0.8, -0.4]]), np.array([0.3]))
assert set(_out) >= {"z1", "h", "z2", "y_hat"}, "return a dict with z1, h, z2 and y_hat"
assert np.allclose(_out["z1"], [1.1, -0.8])
assert np.allclose(_out["h"], [0.750260, 0.310026], atol=1e-6)
assert np.allclose(_out["y_hat"], [0.684860], atol=1e-6), "worked example: ŷ = 0.684860"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5)
_x, _W1, _b1 = _rng.normal(size=3), _rng.normal(size=(4, 3)), _rng.normal(size=4)
_W2, _b2 = _rng.normal(size=(2, 4)), _rng.normal(size=2)
_out = two_layer_forward(_x, _W1, _b1, _W2, _b2)
_h = 1 / (1 + np.exp(-(_W1 @ _x + _b1)))
assert _out["h"].shape == (4,) and _out["y_hat"].shape == (2,)
assert np.allclose(_out["y_hat"], 1 / (1 + np.exp(-(_W2 @ _h + _b2))))
### END HIDDEN TESTS

# %% [markdown]
# ## The backward pass with vectors
#
# Follow the steps of notebook 4, now for whole layers at once. $\odot$ is the elementwise
# product.
#
# **Output error.** Each output neuron has its own $\delta$, exactly as before:
#
# $$\underbrace{\delta^{(2)}}_{(m,)} = (\hat y - y) \odot \sigma'(z^{(2)}).$$
#
# **Output weights.** The gradient of $W^{(2)}_{ij}$ is the error of neuron $i$ times its
# input $h_j$. A matrix whose $(i, j)$ entry is $a_i b_j$ is the outer product $a b^\top$:
#
# $$\underbrace{\frac{\partial \mathcal L}{\partial W^{(2)}}}_{(m, n)} =
#   \underbrace{\delta^{(2)}}_{(m,)}\, \underbrace{h^\top}_{(1, n)},\qquad
#   \frac{\partial \mathcal L}{\partial b^{(2)}} = \delta^{(2)} .$$
#
# The shape is a free check: the gradient of a matrix has the matrix's shape, $(m, n)$. The
# other order, $h\,\delta^{(2)\top}$, has shape $(n, m)$ and is wrong (unless $m = n$, when it
# is wrong silently).
#
# **Back to the hidden layer.** Hidden neuron $j$ feeds every output $i$ through the weight
# $W^{(2)}_{ij}$, so by the chain rule with several paths,
#
# $$\frac{\partial\mathcal L}{\partial h_j} = \sum_i W^{(2)}_{ij}\,\delta^{(2)}_i
#   = \bigl(W^{(2)\top} \delta^{(2)}\bigr)_j ,\qquad
#   \underbrace{\delta^{(1)}}_{(n,)} = \bigl(\underbrace{W^{(2)\top}}_{(n, m)}
#   \underbrace{\delta^{(2)}}_{(m,)}\bigr) \odot \sigma'(z^{(1)}).$$
#
# The transpose appears because the sum runs over the *rows* of $W^{(2)}$ (the output
# neurons): the error travels backwards along the same connections that carried the signal
# forwards. Writing $W^{(2)} \delta^{(2)}$ instead fails on shapes, except for a square matrix,
# where it silently gives wrong numbers.
#
# **Hidden weights**, once more error times input:
#
# $$\underbrace{\frac{\partial \mathcal L}{\partial W^{(1)}}}_{(n, d)} = \delta^{(1)} x^\top,
#   \qquad \frac{\partial \mathcal L}{\partial b^{(1)}} = \delta^{(1)} .$$
#
# `np.outer(a, b)` computes $a b^\top$ for two vectors.

# %% from="two_layer:two_layer_backward"

# %% [markdown]
# Your functions on the worked example should give the numbers of notebook 4:

# %%
x, y = np.array([2.0]), np.array([1.0])
W1, b1 = np.array([[0.5], [-0.3]]), np.array([0.1, -0.2])
W2, b2 = np.array([[0.8, -0.4]]), np.array([0.3])
cache = two_layer_forward(x, W1, b1, W2, b2)
grads = two_layer_backward(x, y, W1, b1, W2, b2, cache)
for key, val in grads.items():
    print(key, np.round(val, 7).tolist())

# %% test="two_layer_backward" points=12
_x, _y = np.array([2.0]), np.array([1.0])
_W1, _b1, _W2, _b2 = np.array([[0.5], [-0.3]]), np.array([0.1, -0.2]), np.array([[0.8, -0.4]]), np.array([0.3])
_g = two_layer_backward(_x, _y, _W1, _b1, _W2, _b2, two_layer_forward(_x, _W1, _b1, _W2, _b2))
assert np.allclose(_g["dW2"], [[-0.0510294, -0.0210866]], atol=1e-6)
assert np.allclose(_g["db2"], [-0.0680156], atol=1e-6)
assert np.allclose(_g["dW1"], [[-0.0203905], [0.0116394]], atol=1e-6)
assert np.allclose(_g["db1"], [-0.0101953, 0.00581968], atol=1e-6)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(6)
_x, _y = _rng.normal(size=3), _rng.uniform(size=2)
_P = {"W1": _rng.normal(size=(4, 3)), "b1": _rng.normal(size=4),
      "W2": _rng.normal(size=(2, 4)), "b2": _rng.normal(size=2)}
def _loss(P):
    return 0.5 * np.sum((_y - two_layer_forward(_x, P["W1"], P["b1"], P["W2"], P["b2"])["y_hat"]) ** 2)
_g = two_layer_backward(_x, _y, _P["W1"], _P["b1"], _P["W2"], _P["b2"],
                        two_layer_forward(_x, _P["W1"], _P["b1"], _P["W2"], _P["b2"]))
for _k, _v in _P.items():
    assert _g["d" + _k].shape == _v.shape, f"d{_k} must have the shape of {_k}"
    _num = np.zeros_like(_v)
    for _i in np.ndindex(_v.shape):
        _Pp = {k: v.copy() for k, v in _P.items()}; _Pp[_k][_i] += 1e-6
        _Pm = {k: v.copy() for k, v in _P.items()}; _Pm[_k][_i] -= 1e-6
        _num[_i] = (_loss(_Pp) - _loss(_Pm)) / 2e-6
    assert np.allclose(_g["d" + _k], _num, atol=1e-6), f"d{_k} disagrees with finite differences"
### END HIDDEN TESTS

# %% [markdown]
# ## Cost
#
# The forward pass multiplies by each weight once; the backward pass multiplies by each weight
# once more (in $W^\top\delta$) and forms one product per weight (in $\delta h^\top$). Both are
# proportional to the number of weights: for layer sizes $n_0, n_1, \dots, n_L$ the cost is
# $O\bigl(\sum_\ell n_\ell\, n_{\ell+1}\bigr)$. Getting *all* gradients costs a small constant
# times one forward pass. The price is memory: the backward pass needs every $z$ and $h$ of
# the forward pass, $O(\sum_\ell n_\ell)$ numbers per example, which is why `two_layer_forward`
# returns them in a cache.
