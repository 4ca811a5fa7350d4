# %% [markdown]
# # 1. Activations and their derivatives
#
# A neural network is a long composition of simple functions. Training it means asking, for
# every parameter, *how would the loss change if this number moved a little?* The tool that
# answers that question for a composition is the **chain rule**, and backpropagation is
# nothing more than the chain rule applied in a careful order.
#
# This first notebook builds the smallest pieces: the activation functions that sit between
# layers, and their derivatives. Every later notebook calls them.
#
# **You will write:** `sigmoid`, `sigmoid_prime`, `relu`, `relu_prime`, `tanh`, `tanh_prime`.
# Each takes a number or an array of any shape and returns an array of the same shape
# (the functions act *elementwise*).

# %% tags=["definitions"]
import numpy as np

# %%
import matplotlib.pyplot as plt

# %% [markdown]
# ## The chain rule
#
# If $f$ depends on $x$ only through an intermediate quantity $g(x)$, a small change of $x$
# is first scaled by $g'(x)$ and then by $f'(g)$:
#
# $$\frac{df}{dx} = \frac{df}{dg}\,\frac{dg}{dx}.$$
#
# When $x$ influences $f$ through several intermediate quantities $g_1, \dots, g_k$, the
# effects add up, one term per path:
#
# $$\frac{\partial f}{\partial x_i} = \sum_{j} \frac{\partial f}{\partial g_j}\,
# \frac{\partial g_j}{\partial x_i}.$$
#
# Keep the second form in mind: in a network, a hidden neuron feeds *every* neuron of the
# next layer, and its gradient is exactly such a sum.

# %% [markdown]
# ## The sigmoid
#
# The logistic sigmoid squeezes any real number into the open interval $(0, 1)$:
#
# $$\sigma(z) = \frac{1}{1 + e^{-z}}.$$
#
# To differentiate it, write $u = 1 + e^{-z}$, so that $\sigma = u^{-1}$. The power rule
# gives $d\sigma/du = -u^{-2}$ and the exponential gives $du/dz = -e^{-z}$; their product is
#
# $$\sigma'(z) = \frac{e^{-z}}{(1 + e^{-z})^2}
#   = \underbrace{\frac{1}{1 + e^{-z}}}_{\sigma(z)} \cdot
#     \underbrace{\frac{e^{-z}}{1 + e^{-z}}}_{1 - \sigma(z)}
#   = \sigma(z)\,\bigl(1 - \sigma(z)\bigr).$$
#
# The second factor is $1 - \sigma(z)$ because $\frac{e^{-z}}{1+e^{-z}} = \frac{(1 + e^{-z}) -
# 1}{1 + e^{-z}}$. This form is cheap: once the forward pass has computed $\sigma(z)$, the
# derivative costs one multiplication. It is largest at $z = 0$, where it equals $1/4$, and it
# fades quickly on both sides: a sigmoid neuron that is far from zero learns slowly.
#
# **Watch the argument.** $\sigma'$ is a function of the *pre-activation* $z$. A common bug
# is to call `sigmoid_prime(a)` on the activation $a = \sigma(z)$; the result is
# $\sigma'(\sigma(z))$, a different number.
#
# **Watch the overflow.** For $z = -1000$, `np.exp(-z)` overflows to `inf`. Numerically
# safe code uses $e^{-|z|}$, which never exceeds 1, and picks the right formula for each sign
# of $z$: $\sigma(z) = 1/(1 + e^{-|z|})$ when $z \ge 0$ and $e^{-|z|}/(1 + e^{-|z|})$ when
# $z < 0$.

# %% from="activations:sigmoid,sigmoid_prime"

# %% [markdown]
# These checks use values you can verify by hand: $\sigma(0) = 1/2$, $\sigma'(0) = 1/4$,
# and the symmetry $\sigma(-z) = 1 - \sigma(z)$.

# %% test="sigmoid" points=4
assert np.isclose(sigmoid(0.0), 0.5)
assert np.allclose(sigmoid(np.array([-2.0, 2.0])), [0.11920292, 0.88079708])
assert sigmoid(np.zeros((2, 3))).shape == (2, 3), "sigmoid must keep the shape of its input"
with np.errstate(over="raise"):  # no overflow warning for large |z|
    assert np.allclose(sigmoid(np.array([-1000.0, 1000.0])), [0.0, 1.0])
### BEGIN HIDDEN TESTS
_z = np.linspace(-30, 30, 121)
assert np.allclose(sigmoid(-_z), 1 - sigmoid(_z))
assert np.allclose(sigmoid(_z), 1 / (1 + np.exp(-_z)))
### END HIDDEN TESTS

# %% test="sigmoid_prime" points=6
assert np.isclose(sigmoid_prime(0.0), 0.25)
assert np.isclose(sigmoid_prime(-0.2), 0.2475165727), "σ'(-0.2): take σ' of z, not of σ(z)"
assert sigmoid_prime(np.zeros(4)).shape == (4,)
### BEGIN HIDDEN TESTS
_z = np.linspace(-8, 8, 33)
_numeric = (sigmoid(_z + 1e-6) - sigmoid(_z - 1e-6)) / 2e-6
assert np.allclose(sigmoid_prime(_z), _numeric, atol=1e-8)
assert np.all(np.isfinite(sigmoid_prime(np.array([-1000.0, 1000.0]))))
### END HIDDEN TESTS

# %% [markdown]
# ## ReLU
#
# The rectified linear unit keeps positive inputs and zeroes the rest:
#
# $$\mathrm{relu}(z) = \max(0, z), \qquad
#   \mathrm{relu}'(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0. \end{cases}$$
#
# At $z = 0$ the function has a kink and, strictly speaking, no derivative. Any value between
# 0 and 1 would be a defensible choice; this course (like most libraries) uses
# $\mathrm{relu}'(0) = 0$, so write the condition as `z > 0`, not `z >= 0`.
#
# A ReLU neuron whose input is negative passes *no* gradient back. In notebook 7 you will
# meet such a "dead" neuron in the article's second problem.

# %% from="activations:relu,relu_prime"

# %% test="relu" points=3
assert np.allclose(relu(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 3.0])
assert relu(np.zeros((3, 2))).shape == (3, 2)
### BEGIN HIDDEN TESTS
_z = np.linspace(-5, 5, 41)
assert np.allclose(relu(_z), np.where(_z > 0, _z, 0.0))
### END HIDDEN TESTS

# %% test="relu_prime" points=4
assert np.allclose(relu_prime(np.array([-2.0, 3.0])), [0.0, 1.0])
assert relu_prime(0.0) == 0.0, "the course's convention: relu'(0) = 0"
### BEGIN HIDDEN TESTS
_z = np.linspace(-5, 5, 40)  # avoids 0: a smooth point for the finite difference
assert np.allclose(relu_prime(_z), (relu(_z + 1e-6) - relu(_z - 1e-6)) / 2e-6)
assert np.asarray(relu_prime(np.zeros((2, 2)))).dtype == np.float64
### END HIDDEN TESTS

# %% [markdown]
# ## Tanh
#
# The hyperbolic tangent is a sigmoid stretched to the interval $(-1, 1)$ and centred at 0;
# indeed $\tanh(z) = 2\sigma(2z) - 1$.
#
# $$\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}, \qquad \tanh'(z) = 1 - \tanh^2(z).$$
#
# The derivative follows from the quotient rule: the numerator's derivative is the
# denominator and vice versa, so $\tanh' = \frac{(e^z + e^{-z})^2 - (e^z - e^{-z})^2}
# {(e^z + e^{-z})^2} = 1 - \tanh^2$. The square matters: $1 - \tanh(z)$ is a different
# function (at $z = 1$ it gives $0.24$ where the true slope is $0.42$). And as with the
# sigmoid, `tanh_prime` takes the pre-activation $z$: compute $\tanh(z)$ first, then square it.

# %% from="activations:tanh,tanh_prime"

# %% test="tanh" points=3
assert np.isclose(tanh(0.0), 0.0)
assert np.allclose(tanh(np.array([-1.0, 1.0])), [-0.76159416, 0.76159416])
### BEGIN HIDDEN TESTS
_z = np.linspace(-20, 20, 81)
assert np.allclose(tanh(_z), np.tanh(_z))
assert tanh(np.zeros((2, 5))).shape == (2, 5)
### END HIDDEN TESTS

# %% test="tanh_prime" points=4
assert np.isclose(tanh_prime(0.0), 1.0)
assert np.isclose(tanh_prime(1.0), 0.41997434), "tanh'(z) = 1 - tanh(z)**2: mind the square"
### BEGIN HIDDEN TESTS
_z = np.linspace(-6, 6, 25)
assert np.allclose(tanh_prime(_z), (tanh(_z + 1e-6) - tanh(_z - 1e-6)) / 2e-6, atol=1e-8)
### END HIDDEN TESTS

# %% [markdown]
# ## Each activation beside its derivative
#
# The left column shows the functions, the right column their derivatives (your code draws
# them). Three facts to read off the pictures:
#
# - the sigmoid's slope never exceeds $1/4$: on its way back through a sigmoid layer, a
#   gradient is multiplied by $1/4$ or less (the weights may then enlarge it again);
# - tanh has slope 1 at the origin, four times the sigmoid's;
# - ReLU's slope is exactly 0 or 1: a gradient either passes through unchanged or not at all.

# %%
z = np.linspace(-5, 5, 401)
pairs = [("sigmoid", sigmoid, sigmoid_prime), ("relu", relu, relu_prime),
         ("tanh", tanh, tanh_prime)]
fig, axes = plt.subplots(3, 2, figsize=(8, 7), sharex=True)
for row, (name, g, g_prime) in zip(axes, pairs):
    row[0].plot(z, g(z), color="tab:blue")
    row[0].set_ylabel(name)
    row[1].plot(z, g_prime(z), color="tab:red")
    for ax in row:
        ax.axhline(0, color="0.8", lw=0.8)
        ax.axvline(0, color="0.8", lw=0.8)
axes[0, 0].set_title("g(z)")
axes[0, 1].set_title("g'(z)")
axes[-1, 0].set_xlabel("z")
axes[-1, 1].set_xlabel("z")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## What comes next
#
# Notebook 2 uses none of these yet: it starts with a neuron that has no activation at all,
# to see the chain rule at work on the simplest possible case.
