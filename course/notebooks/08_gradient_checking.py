# %% [markdown]
# # 8. Gradient checking
#
# A backward pass with a bug still returns numbers of the right shape, and training with them
# may even lower the loss for a while. The reliable test is to compare the analytic gradient
# with a numerical one, computed from the definition of the derivative and nothing else.
#
# **You will write:** `numerical_gradient` (central differences) and `relative_error`.

# %% tags=["definitions"]
import numpy as np

# %%
import matplotlib.pyplot as plt

# Your activations (notebook 1), forward and loss (notebook 6), backward (notebook 7).
from earlier import load
globals().update(load("01_activations.ipynb", "06_minibatches.ipynb", "07_general_backprop.ipynb"))

# %% [markdown]
# ## Central differences
#
# The derivative is the limit of a difference quotient. Taking a small but finite step
# $\varepsilon$ in both directions along coordinate $i$,
#
# $$\frac{\partial f}{\partial x_i} \approx \frac{f(x + \varepsilon e_i) - f(x - \varepsilon
#   e_i)}{2\varepsilon},$$
#
# where $e_i$ is the $i$-th unit vector. Expanding $f$ in a Taylor series shows why this
# *central* difference beats the one-sided (forward) difference $\bigl(f(x + \varepsilon e_i)
# - f(x)\bigr)/\varepsilon$: the terms in $\varepsilon$ cancel, so its error shrinks like
# $\varepsilon^2$ instead of $\varepsilon$.
#
# The function is called as `f(x)` on the *whole* array, and may also read `x` through a
# closure (as in `lambda _: loss(forward(X, params, acts)[0], Y)` with `x` one of the
# weight matrices in `params`). So nudge the entry of `x` **in place**, evaluate, and put the
# saved value back, exactly: a check that leaves a weight changed by $\varepsilon$ corrupts
# every later check.
#
# `x` has shape `x.shape`, the gradient has the same shape; `np.ndindex(*x.shape)` visits
# every index of an array of any shape.

# %% from="gradcheck:numerical_gradient"

# %% test="numerical_gradient" points=6
_x = np.array([[1.0, -2.0], [0.5, 3.0]])
_saved = _x.copy()
_g = numerical_gradient(lambda v: np.sum(v ** 3), _x)
assert _g.shape == (2, 2)
assert np.allclose(_g, 3 * _saved ** 2, atol=1e-6)
assert np.array_equal(_x, _saved), "x must be exactly as it was before the call"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(10)
_A = _rng.normal(size=(4, 4)); _x = _rng.normal(size=4); _saved = _x.copy()
_g = numerical_gradient(lambda v: float(v @ _A @ v), _x)
assert np.allclose(_g, (_A + _A.T) @ _saved, atol=1e-6)
assert np.array_equal(_x, _saved)
_w = _rng.normal(size=(2, 3))
_g = numerical_gradient(lambda _: float(np.sum(np.sin(_w))), _w)  # reads x through a closure
assert np.allclose(_g, np.cos(_w), atol=1e-7)
_g = numerical_gradient(lambda v: float(np.sum(v ** 3)), np.array([1.0]), eps=1e-2)
assert np.isclose(_g[0], 3.0001, atol=1e-9), "use the central difference"
### END HIDDEN TESTS

# %% [markdown]
# ## Comparing two gradients
#
# Gradients can be large or tiny, so compare them *relative* to their size:
#
# $$\text{rel}(a, b) = \max_i \frac{|a_i - b_i|}{\max\bigl(|a_i| + |b_i|,\ 10^{-8}\bigr)} .$$
#
# The floor $10^{-8}$ keeps the quotient finite where both gradients are 0 (two zero arrays
# agree perfectly: their error is 0). As a rule of thumb for float64 and
# $\varepsilon = 10^{-5}$: below about $10^{-7}$ the two agree; around $10^{-4}$ look closer
# (a kink of ReLU near the tested point can cause it); above $10^{-2}$ something is wrong.

# %% from="gradcheck:relative_error"

# %% test="relative_error" points=3
assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
assert np.isclose(relative_error(np.array([1.0, 2.0]), np.array([1.1, 2.0])), 0.1 / 2.1)
assert isinstance(relative_error(np.ones(2), np.ones(2)), float)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(11)
_a, _b = _rng.normal(size=(3, 4)), _rng.normal(size=(3, 4))
assert np.isclose(relative_error(_a, _b), np.max(np.abs(_a - _b) / np.maximum(np.abs(_a) + np.abs(_b), 1e-8)))
assert np.isclose(relative_error(np.array([1e-12]), np.array([0.0])), 1e-4)
### END HIDDEN TESTS

# %% [markdown]
# ## Checking backpropagation
#
# Take a three-layer network with a different activation in each layer and a batch whose
# size, widths and outputs all differ, so that no transposed matrix can hide behind a square
# shape. Compare every gradient of your `backward` with the numerical one.

# %%
rng = np.random.default_rng(0)
X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
acts = ["tanh", "sigmoid", "identity"]
params = [(rng.normal(size=(5, 3)), rng.normal(size=5)), (rng.normal(size=(4, 5)), rng.normal(size=4)),
          (rng.normal(size=(2, 4)), rng.normal(size=2))]
A, cache = forward(X, params, acts)
grads = backward(Y, params, cache, acts)
for number, ((W, b), (dW, db)) in enumerate(zip(params, grads), start=1):
    num_dW = numerical_gradient(lambda _: loss(forward(X, params, acts)[0], Y), W)
    num_db = numerical_gradient(lambda _: loss(forward(X, params, acts)[0], Y), b)
    print(f"layer {number}: rel. error dW {relative_error(dW, num_dW):.1e}, db {relative_error(db, num_db):.1e}")

# %% [markdown]
# ## Choosing $\varepsilon$
#
# A smaller step is not always better. Two errors compete: the *truncation* error of the
# difference formula, which shrinks with $\varepsilon$ ($\propto\varepsilon^2$ for central,
# $\propto\varepsilon$ for forward differences), and the *rounding* error of subtracting two
# nearly equal floating-point numbers, which grows like $10^{-16}/\varepsilon$. The plot shows
# the relative error of both formulas against your backward pass, for the first layer's
# weights, over twelve orders of magnitude of $\varepsilon$.

# %%
W1 = params[0][0]
f = lambda _: loss(forward(X, params, acts)[0], Y)
epsilons = np.logspace(-12, -1, 23)
central, one_sided = [], []
for eps in epsilons:
    central.append(relative_error(grads[0][0], numerical_gradient(f, W1, eps=eps)))
    forward_diff = np.zeros_like(W1)
    base = f(W1)
    for i in np.ndindex(*W1.shape):
        saved = W1[i]
        W1[i] = saved + eps
        forward_diff[i] = (f(W1) - base) / eps
        W1[i] = saved
    one_sided.append(relative_error(grads[0][0], forward_diff))

fig, ax = plt.subplots(figsize=(6.5, 4))
ax.loglog(epsilons, central, "o-", label="central difference")
ax.loglog(epsilons, one_sided, "s-", label="forward difference")
ax.set_xlabel("step ε")
ax.set_ylabel("relative error against backward")
ax.axvline(1e-5, color="0.7", ls=":", label="ε = 1e-5 (the default)")
ax.legend()
ax.grid(True, which="major", alpha=0.3)
plt.show()

# %% [markdown]
# Both curves are V-shaped. On the right, truncation dominates: the forward difference's error
# falls by one decade per decade of $\varepsilon$, the central one's by two. On the left,
# rounding dominates and both rise again. The best step balances the two errors: about
# $\sqrt{10^{-16}} = 10^{-8}$ for the forward difference and about $(10^{-16})^{1/3} \approx
# 5\cdot 10^{-6}$ for the central one, which is why `numerical_gradient` defaults to
# $\varepsilon = 10^{-5}$. At its best step the central difference is several orders of
# magnitude more accurate than the forward difference at its own.
#
# Gradient checking is a test, not a training method: it needs two evaluations of the loss per
# parameter. Run it on a small network, once, after every change to `backward`.
