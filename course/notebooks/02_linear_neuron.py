# %% [markdown]
# # 2. One linear neuron
#
# Before any network, take the smallest model that can learn: one input $x$, one weight $w$,
# one bias $b$, and no activation at all.
#
# $$\hat y = w x + b, \qquad \mathcal{L} = \tfrac12 (y - \hat y)^2 .$$
#
# The prediction $\hat y$ is compared with the target $y$ by the squared error. The factor
# $\tfrac12$ is a convenience: differentiating the square brings down a 2, and the half
# cancels it, so the gradient of the loss with respect to the prediction is simply the
# error $\hat y - y$.
#
# **You will write:** `mse_loss` and `linear_neuron_grads`.

# %% tags=["definitions"]
import numpy as np

# %%
import matplotlib.pyplot as plt

# %% [markdown]
# ## The loss
#
# `mse_loss(y, y_hat)` is $\tfrac12 (y - \hat y)^2$, elementwise, so that it works on one
# number or on an array of them. Without the $\tfrac12$ every gradient below would come out
# twice as large: still pointing the right way, but not the function this course (and its
# grader) asks for.

# %% from="neuron:mse_loss"

# %% test="mse_loss" points=3
assert np.isclose(mse_loss(1.0, 0.6), 0.08), "L = ½ (y − ŷ)²: is the ½ there?"
assert np.isclose(mse_loss(0.0, 0.0), 0.0)
### BEGIN HIDDEN TESTS
_y, _p = np.linspace(-3, 3, 13), np.linspace(2, -1, 13)
assert np.allclose(mse_loss(_y, _p), 0.5 * (_y - _p) ** 2)
assert np.allclose(mse_loss(_y, _p), mse_loss(_p, _y))
### END HIDDEN TESTS

# %% [markdown]
# ## Gradients by the chain rule
#
# The loss depends on $w$ only through $\hat y$, so the chain rule has two factors. The
# first is the same for both parameters:
#
# $$\frac{\partial \mathcal L}{\partial \hat y} = \tfrac12 \cdot 2 (y - \hat y)\cdot(-1)
#   = \hat y - y .$$
#
# Mind the sign: the inner derivative of $y - \hat y$ with respect to $\hat y$ is $-1$, which
# turns $y - \hat y$ into $\hat y - y$. The second factor is how the prediction moves with
# each parameter: $\partial \hat y / \partial w = x$ and $\partial \hat y / \partial b = 1$.
# Hence
#
# $$\frac{\partial \mathcal L}{\partial w} = (\hat y - y)\,x, \qquad
#   \frac{\partial \mathcal L}{\partial b} = \hat y - y .$$
#
# Read the first formula as a sentence: *the blame a weight receives is the error at the
# output times the input that flowed through that weight.* A weight whose input was 0 had no
# influence and gets no gradient. Every weight gradient in this course has this shape:
# (error arriving at the neuron) × (input the weight multiplied).
#
# **A small example.** With $x = 2$, $w = 0.5$, $b = 0.1$ and $y = 1.5$: the prediction is
# $\hat y = 1.1$, the error $\hat y - y = -0.4$, the loss $\tfrac12 (0.4)^2 = 0.08$, and the
# gradients are $\partial\mathcal L/\partial w = -0.4 \cdot 2 = -0.8$ and
# $\partial\mathcal L/\partial b = -0.4$. Both are negative: increasing $w$ or $b$ would
# raise the prediction towards the target and lower the loss.

# %% from="neuron:linear_neuron_grads"

# %% test="linear_neuron_grads" points=5
_dw, _db = linear_neuron_grads(2.0, 0.5, 0.1, 1.5)
assert np.isclose(_dw, -0.8) and np.isclose(_db, -0.4), "expected (-0.8, -0.4): sign of ŷ − y?"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(2)
for _x, _w, _b, _y in _rng.normal(size=(10, 4)):
    _dw, _db = linear_neuron_grads(_x, _w, _b, _y)
    _f = lambda w, b: 0.5 * (_y - (w * _x + b)) ** 2
    assert np.isclose(_dw, (_f(_w + 1e-6, _b) - _f(_w - 1e-6, _b)) / 2e-6, atol=1e-6)
    assert np.isclose(_db, (_f(_w, _b + 1e-6) - _f(_w, _b - 1e-6)) / 2e-6, atol=1e-6)
### END HIDDEN TESTS

# %% [markdown]
# ## What the gradient means, in a picture
#
# Hold $b$ fixed and look at the loss as a function of $w$ alone: a parabola. The gradient
# at the current $w$ is the slope of the tangent there. Gradient descent steps *against* the
# slope, towards the bottom of the bowl.

# %%
x, w, b, y = 2.0, 0.5, 0.1, 1.5
dw, db = linear_neuron_grads(x, w, b, y)
ws = np.linspace(-0.5, 1.8, 200)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(ws, mse_loss(y, ws * x + b), label="loss as a function of w")
ax.plot(ws, mse_loss(y, w * x + b) + dw * (ws - w), "--", label=f"tangent at w = {w}, slope {dw:.2f}")
ax.plot([w], [mse_loss(y, w * x + b)], "ko")
ax.annotate("", xy=(w - 0.25 * dw, mse_loss(y, w * x + b)), xytext=(w, mse_loss(y, w * x + b)),
            arrowprops=dict(arrowstyle="->", color="tab:green"))
ax.set_xlabel("w")
ax.set_ylabel("loss")
ax.set_ylim(-0.1, 1.5)
ax.legend()
plt.show()

# %% [markdown]
# The green arrow is a step of gradient descent, $w \leftarrow w - \eta\,\partial\mathcal
# L/\partial w$ with learning rate $\eta = 0.25$: from $0.5$ to $0.5 + 0.25 \cdot 0.8 = 0.7$,
# which happens to be the bottom of this bowl ($w x + b = y$ there). Usually one step only
# gets closer; notebook 9 repeats it in a training loop.
