# %% [markdown]
# # 6. Mini-batches: many examples at once
#
# Training never looks at one example at a time: it averages the gradient over a
# *mini-batch* of $B$ examples, which gives a steadier direction and lets numpy do the work
# in a few large matrix products instead of many small ones.
#
# **You will write:** `forward`, which pushes a whole batch through any number of layers, and
# the batch `loss`. Notebook 7 writes the matching `backward`.

# %% tags=["definitions"]
import numpy as np

# %%
# Your activations from notebook 1.
from earlier import load
globals().update(load("01_activations.ipynb"))

# %% [markdown]
# ## Examples are rows
#
# Stack the $B$ input vectors as the **rows** of a matrix $X$ of shape $(B, d)$. One example
# $x$ gave $z = W x + b$; as a row, that is $z^\top = x^\top W^\top + b^\top$. Stacking rows:
#
# $$\underbrace{Z^{(1)}}_{(B, n)} = \underbrace{X}_{(B, d)}\,\underbrace{W^{(1)\top}}_{(d, n)}
#   + \underbrace{b^{(1)}}_{(n,)},\qquad
#   \underbrace{H}_{(B, n)} = \sigma(Z^{(1)}),\qquad
#   \underbrace{\hat Y}_{(B, m)} = \sigma\bigl(H W^{(2)\top} + b^{(2)}\bigr).$$
#
# Row $r$ of $Z^{(1)}$ is the pre-activation of example $r$. The bias is a vector of shape
# $(n,)$ added to every row: numpy's broadcasting does exactly that.
#
# The same step works for any layer $\ell$ with any activation $g_\ell$:
# $Z^{(\ell)} = A^{(\ell-1)} W^{(\ell)\top} + b^{(\ell)}$ and $A^{(\ell)} = g_\ell(Z^{(\ell)})$,
# starting from $A^{(0)} = X$. A network is therefore a list of `(W, b)` pairs plus a list of
# activation names. The backward pass will need each layer's input $A^{(\ell-1)}$ and
# pre-activation $Z^{(\ell)}$, so `forward` keeps them in a `cache`, one `(A_prev, Z)` pair per
# layer.
#
# The names map to your functions (and to the identity, for a linear output layer):

# %% from="network:_identity,_identity_prime,ACTIVATIONS"

# %% from="network:forward"

# %% test="forward" points=8
_params = [(np.array([[0.5], [-0.3]]), np.array([0.1, -0.2])), (np.array([[0.8, -0.4]]), np.array([0.3]))]
_A, _cache = forward(np.array([[2.0]]), _params, ["sigmoid", "sigmoid"])
assert _A.shape == (1, 1) and np.allclose(_A, [[0.684860]], atol=1e-6), "worked example as a batch of one"
assert len(_cache) == 2, "one (A_prev, Z) pair per layer"
assert np.allclose(_cache[0][0], [[2.0]]) and np.allclose(_cache[0][1], [[1.1, -0.8]])
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(7)
_X = _rng.normal(size=(5, 3))
_params = [(_rng.normal(size=(4, 3)), _rng.normal(size=4)), (_rng.normal(size=(3, 4)), _rng.normal(size=3)),
           (_rng.normal(size=(2, 3)), _rng.normal(size=2))]
_A, _cache = forward(_X, _params, ["relu", "tanh", "identity"])
_H1 = np.maximum(_X @ _params[0][0].T + _params[0][1], 0)
_H2 = np.tanh(_H1 @ _params[1][0].T + _params[1][1])
assert _A.shape == (5, 2)
assert np.allclose(_A, _H2 @ _params[2][0].T + _params[2][1])
assert np.allclose(_cache[2][0], _H2)
### END HIDDEN TESTS

# %% [markdown]
# ## The batch loss
#
# The loss of a batch is the *mean over examples* of the per-example loss
# $\tfrac12\lVert y_r - \hat y_r\rVert^2$. Summing the squared entries of a whole matrix is the
# squared Frobenius norm, so
#
# $$\mathcal L = \frac{1}{2B}\,\lVert Y - \hat Y \rVert_F^2
#   = \frac{1}{2B} \sum_{r=1}^{B}\sum_{k=1}^{m} \bigl(Y_{rk} - \hat Y_{rk}\bigr)^2 .$$
#
# Divide by $B$, the number of rows, and *not* by $B m$: the outputs of one example are summed,
# as they were for one example. (With one output the two agree, which hides the mistake.)

# %% from="network:loss"

# %% test="loss" points=4
assert np.isclose(loss(np.array([[0.684860]]), np.array([[1.0]])), 0.0496566, atol=1e-6)
assert np.isclose(loss(np.zeros((2, 3)), np.ones((2, 3))), 1.5), "divide by 2B, not by 2Bm"
assert isinstance(loss(np.zeros((2, 1)), np.ones((2, 1))), float)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(8)
_Yh, _Y = _rng.normal(size=(6, 3)), _rng.normal(size=(6, 3))
assert np.isclose(loss(_Yh, _Y), np.sum((_Y - _Yh) ** 2) / 12)
### END HIDDEN TESTS

# %% [markdown]
# ## The batch gradient and the slip in the article
#
# The gradient of a mean is the mean of the gradients. For the output layer of notebook 5, one
# example $r$ contributes $\delta^{(2)}_r h_r^\top$; averaging over the batch,
#
# $$\frac{\partial\mathcal L}{\partial W^{(2)}} = \frac1B\sum_{r=1}^B \delta^{(2)}_r h_r^\top
#   = \frac1B\,\underbrace{\Delta^{(2)\top}}_{(m, B)}\,\underbrace{H}_{(B, n)},
#   \qquad \underbrace{\Delta^{(2)}}_{(B, m)} = (\hat Y - Y) \odot \sigma'(Z^{(2)}),$$
#
# where row $r$ of $\Delta^{(2)}$ is $\delta^{(2)\top}_r$. The sum over $r$ of outer products
# is exactly what the matrix product $\Delta^\top H$ computes, and its shape $(m, n)$ is the
# shape of $W^{(2)}$, as it must be. The bias gradient is the mean of the rows,
# $\frac1B\sum_r \delta^{(2)}_r$ (sum over `axis=0`, the examples). Sending the error back a
# layer becomes $\Delta^{(1)} = (\Delta^{(2)} W^{(2)}) \odot \sigma'(Z^{(1)})$, of shape
# $(B, m)(m, n) = (B, n)$: the row form of $W^{(2)\top}\delta^{(2)}$.
#
# **The article's slip.** The article states the batch weight gradient as
# $\frac1B (A^{(\ell-1)})^\top \Delta^{(\ell)}$. Check its shape:
# $(n_{\ell-1}, B)\,(B, n_\ell) = (n_{\ell-1}, n_\ell)$, which is $(n_\text{in}, n_\text{out})$,
# the **transpose** of $W^{(\ell)}$. That formula is right for the other convention, where
# $Z = A W + b$ with $W$ of shape $(n_\text{in}, n_\text{out})$; with this course's (and the
# article's own) $Z = A W^\top + b$, the gradient is
#
# $$\frac{\partial\mathcal L}{\partial W^{(\ell)}} = \frac1B\,\Delta^{(\ell)\top} A^{(\ell-1)} .$$
#
# The cell below shows the difference on shapes. For a square layer both have the same shape
# and only the values are wrong, so shapes alone cannot catch it: compare with finite
# differences (notebook 8).

# %%
rng = np.random.default_rng(0)
B, n_in, n_out = 4, 3, 2
A_prev, Delta, W = rng.normal(size=(B, n_in)), rng.normal(size=(B, n_out)), rng.normal(size=(n_out, n_in))
print("W:                    ", W.shape)
print("right, Delta.T @ A/B: ", (Delta.T @ A_prev / B).shape)
print("article, A.T @ Delta/B:", (A_prev.T @ Delta / B).shape)
