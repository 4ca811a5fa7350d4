# %% [markdown]
# # 7. The general algorithm: L layers
#
# Everything is in place: one layer's forward step, the error $\Delta$ at a layer, how to pass
# it back one layer, and how to turn it into weight and bias gradients. Repeating those steps
# for every layer is backpropagation.
#
# **You will write:** `backward`, the gradients of the batch loss for every layer of a network
# with any number of layers and any activation per layer.

# %% tags=["definitions"]
import numpy as np

# %%
# Your activations (notebook 1), ACTIVATIONS, forward and loss (notebook 6).
from earlier import load
globals().update(load("01_activations.ipynb", "06_minibatches.ipynb"))

# %% [markdown]
# ## The algorithm
#
# **Input:** a batch $X$ $(B, d)$ with targets $Y$ $(B, m)$, layers $(W^{(\ell)}, b^{(\ell)})$
# with activations $g_\ell$, for $\ell = 1, \dots, L$.
#
# 1. **Forward.** $A^{(0)} = X$; for $\ell = 1, \dots, L$:
#    $Z^{(\ell)} = A^{(\ell-1)} W^{(\ell)\top} + b^{(\ell)}$ and $A^{(\ell)} = g_\ell(Z^{(\ell)})$.
#    Keep every $(A^{(\ell-1)}, Z^{(\ell)})$.
# 2. **Loss.** $\mathcal L = \frac1{2B}\lVert Y - A^{(L)} \rVert_F^2$.
# 3. **Output error.** $\Delta^{(L)} = (A^{(L)} - Y) \odot g_L'(Z^{(L)})$, shape $(B, n_L)$.
# 4. **Backward.** For $\ell = L, L-1, \dots, 1$:
#    - $\dfrac{\partial\mathcal L}{\partial W^{(\ell)}} = \frac1B\,\Delta^{(\ell)\top}
#      A^{(\ell-1)}$, shape $(n_\ell, n_{\ell-1})$, like $W^{(\ell)}$;
#    - $\dfrac{\partial\mathcal L}{\partial b^{(\ell)}} = \frac1B\sum_{\text{rows}}
#      \Delta^{(\ell)}$, shape $(n_\ell,)$;
#    - if $\ell > 1$: $\Delta^{(\ell-1)} = \bigl(\Delta^{(\ell)} W^{(\ell)}\bigr) \odot
#      g_{\ell-1}'(Z^{(\ell-1)})$, shape $(B, n_{\ell-1})$.
#
# Three details decide whether the code is right for *every* network, not only the one you
# test it on:
#
# - each layer uses **its own** activation's derivative $g_\ell'$, evaluated at its
#   pre-activation $Z^{(\ell)}$ (from the cache), not at $A^{(\ell)}$;
# - the $\frac1B$ appears **once**, in the parameter gradients. $\Delta$ itself is not
#   divided: dividing there as well would divide by $B$ twice in every layer below the top;
# - the loop runs over all layers, so a network of one layer or of five works as well as one
#   of two.
#
# The output $A^{(L)}$ is not stored in the cache, but it is $g_L(Z^{(L)})$, computed from the
# last cache entry. `ACTIVATIONS[name]` gives the pair $(g, g')$.
#
# The tests after the next cell call your `forward` and `loss` of notebook 6 as well: finish
# those first.

# %% from="network:backward"

# %% test="backward" points=16
_params = [(np.array([[0.5], [-0.3]]), np.array([0.1, -0.2])), (np.array([[0.8, -0.4]]), np.array([0.3]))]
_A, _cache = forward(np.array([[2.0]]), _params, ["sigmoid", "sigmoid"])
_g = backward(np.array([[1.0]]), _params, _cache, ["sigmoid", "sigmoid"])
assert len(_g) == 2, "one (dW, db) pair per layer, first layer first"
assert np.allclose(_g[1][0], [[-0.0510294, -0.0210866]], atol=1e-6), "worked example: dW2"
assert np.allclose(_g[0][0], [[-0.0203905], [0.0116394]], atol=1e-6), "worked example: dW1"
assert np.allclose(_g[0][1], [-0.0101953, 0.00581968], atol=1e-6), "worked example: db1"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(9)
_X, _Y = _rng.normal(size=(5, 3)), _rng.normal(size=(5, 2))
_acts = ["tanh", "relu", "sigmoid", "identity"]
_params = [(_rng.normal(size=(4, 3)), _rng.normal(size=4)), (_rng.normal(size=(4, 4)), _rng.normal(size=4)),
           (_rng.normal(size=(3, 4)), _rng.normal(size=3)), (_rng.normal(size=(2, 3)), _rng.normal(size=2))]
_A, _cache = forward(_X, _params, _acts)
_g = backward(_Y, _params, _cache, _acts)
for _layer in range(4):
    for _which in range(2):
        _p = _params[_layer][_which]
        assert _g[_layer][_which].shape == _p.shape, "a gradient has the shape of its parameter"
        _num = np.zeros_like(_p)
        for _i in np.ndindex(_p.shape):
            _old = _p[_i]
            _p[_i] = _old + 1e-6; _fp = loss(forward(_X, _params, _acts)[0], _Y)
            _p[_i] = _old - 1e-6; _fm = loss(forward(_X, _params, _acts)[0], _Y)
            _p[_i] = _old
            _num[_i] = (_fp - _fm) / 2e-6
        assert np.allclose(_g[_layer][_which], _num, atol=1e-5), f"layer {_layer + 1} disagrees with finite differences"
### END HIDDEN TESTS

# %% [markdown]
# ## Problem 2, solved
#
# The article poses a second problem and leaves it open. The network has a **ReLU** hidden
# layer of two neurons and a sigmoid output:
#
# $$x = -1,\quad W^{(1)} = \begin{pmatrix} 2 \\ -1 \end{pmatrix},\quad
#   b^{(1)} = \begin{pmatrix} 0.5 \\ -0.3 \end{pmatrix},\quad
#   W^{(2)} = \begin{pmatrix} 0.7 & 0.4 \end{pmatrix},\quad b^{(2)} = 0.2,\quad y = 1 .$$
#
# *Forward.* $z^{(1)} = (2 \cdot (-1) + 0.5,\ (-1)(-1) - 0.3) = (-1.5,\ 0.7)$. ReLU zeroes the
# negative one: $h = (0,\ 0.7)$. Then $z^{(2)} = 0.7 \cdot 0 + 0.4 \cdot 0.7 + 0.2 = 0.48$,
# $\hat y = \sigma(0.48) = 0.617748$ and $\mathcal L = \tfrac12 (1 - 0.617748)^2 = 0.0730583$.
#
# *Backward.*
#
# | quantity | computation | value |
# | --- | --- | --- |
# | $\delta^{(2)}$ | $(\hat y - y)\,\sigma'(z^{(2)}) = -0.382252 \times 0.236136$ | $-0.0902633$ |
# | $\partial\mathcal L/\partial W^{(2)}$ | $\delta^{(2)} h^\top = -0.0902633 \cdot (0,\ 0.7)$ | $(0,\ -0.0631843)$ |
# | $\partial\mathcal L/\partial b^{(2)}$ | $\delta^{(2)}$ | $-0.0902633$ |
# | $W^{(2)\top}\delta^{(2)}$ | $(0.7,\ 0.4) \cdot (-0.0902633)$ | $(-0.0631843,\ -0.0361053)$ |
# | $\mathrm{relu}'(z^{(1)})$ | $z^{(1)} = (-1.5,\ 0.7)$ | $(0,\ 1)$ |
# | $\delta^{(1)}$ | elementwise product of the two rows above | $(0,\ -0.0361053)$ |
# | $\partial\mathcal L/\partial W^{(1)}$ | $\delta^{(1)} x^\top$, with $x = -1$ | $(0,\ 0.0361053)^\top$ |
# | $\partial\mathcal L/\partial b^{(1)}$ | $\delta^{(1)}$ | $(0,\ -0.0361053)$ |
#
# **The first hidden neuron is dead** for this input: its pre-activation is negative, ReLU
# outputs 0 and its derivative is 0, so every gradient that passes through it is exactly 0
# (its outgoing weight $W^{(2)}_{11}$ gets 0 as well, since its input $h_1$ is 0). If that
# happens for every example of the training set, the neuron never changes again. Sigmoid and
# tanh neurons never pass exactly zero gradient; that is one reason to initialise ReLU
# networks with care.
#
# Your `forward` and `backward` reproduce the table: one example is a batch of one row.

# %%
X, Y = np.array([[-1.0]]), np.array([[1.0]])
params = [(np.array([[2.0], [-1.0]]), np.array([0.5, -0.3])), (np.array([[0.7, 0.4]]), np.array([0.2]))]
acts = ["relu", "sigmoid"]
Y_hat, cache = forward(X, params, acts)
print("y_hat =", Y_hat.round(6).tolist(), " loss =", round(loss(Y_hat, Y), 7))
for number, (dW, db) in enumerate(backward(Y, params, cache, acts), start=1):
    print(f"layer {number}: dW = {dW.round(7).tolist()}, db = {db.round(7).tolist()}")

# %% [markdown]
# ## What it costs
#
# The backward pass does, layer by layer, two matrix products of the same size as the forward
# pass's one ($\Delta^\top A$ and $\Delta W$): about twice the forward cost, so the whole
# gradient costs a small constant times one evaluation of the network, whatever the number
# of parameters. Estimating the same gradient by nudging each parameter in turn (notebook 8)
# costs two forward passes *per parameter*. That difference, a constant against millions, is
# why backpropagation made deep learning possible.
