# %% [markdown]
# # 3. One sigmoid neuron (Problem 1)
#
# A linear neuron can only draw straight lines. Put a sigmoid after it and the chain grows
# by one link:
#
# $$z = w x + b, \qquad \hat y = \sigma(z), \qquad \mathcal L = \tfrac12 (y - \hat y)^2 .$$
#
# **You will write:** `sigmoid_neuron_grads`. It uses your `sigmoid` and `sigmoid_prime`
# from notebook 1, loaded by the next cell.

# %% tags=["definitions"]
import numpy as np

# %%
# Your sigmoid and sigmoid_prime from notebook 1: its "definitions" cells, run again here.
from earlier import load
globals().update(load("01_activations.ipynb"))

# %% [markdown]
# ## Three factors
#
# The loss now reaches $w$ through $\hat y$ and then through $z$, so the chain rule has three
# factors:
#
# $$\frac{\partial \mathcal L}{\partial w}
#   = \underbrace{\frac{\partial \mathcal L}{\partial \hat y}}_{\hat y - y}\;
#     \underbrace{\frac{\partial \hat y}{\partial z}}_{\sigma'(z)}\;
#     \underbrace{\frac{\partial z}{\partial w}}_{x},
# \qquad
#   \frac{\partial \mathcal L}{\partial b} = (\hat y - y)\,\sigma'(z)\cdot 1 .$$
#
# The product of the first two factors, $\delta = (\hat y - y)\,\sigma'(z) = \partial\mathcal
# L/\partial z$, is the *error at the pre-activation*. It will be the hero of every later
# notebook: once you know $\delta$ for a neuron, the gradient of each of its weights is
# $\delta$ times that weight's input, and the gradient of its bias is $\delta$ itself.
#
# Since $\sigma'(z) = \sigma(z)(1 - \sigma(z)) = \hat y (1 - \hat y)$, you may also write
# $\delta = (\hat y - y)\,\hat y\,(1 - \hat y)$. Either way the derivative belongs to $z$: do
# not pass $\hat y$ into `sigmoid_prime`.

# %% from="neuron:sigmoid_neuron_grads"

# %% [markdown]
# ## Problem 1, solved step by step
#
# **Given** $x = 0.5$, $w = 1.2$, $b = -0.8$ and the target $y = 0$, find
# $\partial\mathcal L/\partial w$ and $\partial\mathcal L/\partial b$ for the squared-error loss.
#
# *Forward.*
#
# | quantity | formula | exact value | the article's rounding |
# | --- | --- | --- | --- |
# | $z$ | $1.2 \cdot 0.5 - 0.8$ | $-0.2$ | $-0.2$ |
# | $\hat y$ | $\sigma(-0.2) = 1/(1 + e^{0.2})$ | $0.450166$ | $0.450$ |
# | $\mathcal L$ | $\tfrac12 (0 - 0.450166)^2$ | $0.101325$ | $0.101$ |
#
# *Backward.*
#
# | quantity | formula | exact value | the article's rounding |
# | --- | --- | --- | --- |
# | $\partial\mathcal L/\partial\hat y$ | $\hat y - y$ | $0.450166$ | $0.450$ |
# | $\sigma'(z)$ | $\hat y (1 - \hat y)$ | $0.247517$ | $0.248$ |
# | $\partial\mathcal L/\partial w$ | $0.450166 \cdot 0.247517 \cdot 0.5$ | $0.0557118$ | $0.056$ |
# | $\partial\mathcal L/\partial b$ | $0.450166 \cdot 0.247517$ | $0.111424$ | $0.112$ |
#
# **A slip in the article: rounding too early.** The article rounds every intermediate
# result to three digits and then multiplies the rounded numbers: $0.450 \times 0.248 =
# 0.1116$, which it reports as $0.112$. The exact product is $0.111424$, which rounds to
# $0.111$. Rounding once, at the end, is the rule; this course (and its grader) compares
# your functions with the exact values, and quotes the article's figures only to help you
# find your place in it.
#
# The next cell lets your function redo the computation.

# %%
x, w, b, y = 0.5, 1.2, -0.8, 0.0
print(f"z = {w * x + b:.6g}, y_hat = {sigmoid(w * x + b):.6f}, "
      f"loss = {0.5 * (y - sigmoid(w * x + b)) ** 2:.6f}")
print(f"sigma'(z) = {sigmoid_prime(w * x + b):.6f}")
dw, db = sigmoid_neuron_grads(x, w, b, y)
print(f"dL/dw = {dw:.7f}   dL/db = {db:.6f}")

# %% test="sigmoid_neuron_grads" points=7
_dw, _db = sigmoid_neuron_grads(0.5, 1.2, -0.8, 0.0)
assert np.isclose(_dw, 0.0557118, atol=1e-6), "Problem 1: dL/dw should be 0.0557118"
assert np.isclose(_db, 0.111424, atol=1e-6), "Problem 1: dL/db should be 0.111424 (not 0.112)"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3)
for _x, _w, _b, _y in _rng.normal(size=(10, 4)):
    _dw, _db = sigmoid_neuron_grads(_x, _w, _b, _y)
    _f = lambda w, b: 0.5 * (_y - 1 / (1 + np.exp(-(w * _x + b)))) ** 2
    assert np.isclose(_dw, (_f(_w + 1e-6, _b) - _f(_w - 1e-6, _b)) / 2e-6, atol=1e-6)
    assert np.isclose(_db, (_f(_w, _b + 1e-6) - _f(_w, _b - 1e-6)) / 2e-6, atol=1e-6)
### END HIDDEN TESTS

# %% [markdown]
# ## Reading the answer
#
# Both gradients are positive, so the loss grows with $w$ and $b$: gradient descent will
# lower both, pushing $z$ further below zero and $\hat y$ towards the target 0. Notice also
# how much smaller the gradients are than the error $0.45$: the factor $\sigma'(z) \approx
# 0.25$ already cuts them by four. That shrinking is harmless with one neuron; it is the
# reason deep stacks of sigmoids train slowly.
