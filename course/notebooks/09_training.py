# %% [markdown]
# # 9. Training
#
# Gradients tell each parameter which way is uphill. **Gradient descent** takes a small step
# the other way, recomputes the gradients, and repeats:
#
# $$W^{(\ell)} \leftarrow W^{(\ell)} - \eta\,\frac{\partial\mathcal L}{\partial W^{(\ell)}},
#   \qquad b^{(\ell)} \leftarrow b^{(\ell)} - \eta\,\frac{\partial\mathcal L}{\partial
#   b^{(\ell)}},$$
#
# with a learning rate $\eta > 0$. The minus sign is the whole point: with a plus, the loss
# climbs.
#
# **You will write:** `sgd_step` and `train`, and then use them on two problems: XOR, the
# classic function no single neuron can learn, and a two-class data set of interleaved
# half-moons that this notebook generates.

# %% tags=["definitions"]
import numpy as np

# %%
import matplotlib.pyplot as plt

# Your activations (1), forward and loss (6), backward (7).
from earlier import load
globals().update(load("01_activations.ipynb", "06_minibatches.ipynb", "07_general_backprop.ipynb"))

# %% [markdown]
# ## One step
#
# Each parameter moves by $-\eta$ times its own gradient: `W - lr * dW` and `b - lr * db`,
# layer by layer. A `+` here is the most common one-character bug of the whole course: the
# loss then rises at every step.
#
# `sgd_step` returns **new** parameters and leaves the old ones untouched. Writing `W -= lr *
# dW` would change the caller's arrays in place: harmless in a training loop, but surprising
# anywhere else (a gradient check, a comparison of two learning rates from the same start).

# %% from="train:sgd_step"

# %% test="sgd_step" points=3
_params = [(np.array([[1.0, 2.0]]), np.array([0.5]))]
_grads = [(np.array([[0.5, -1.0]]), np.array([2.0]))]
_new = sgd_step(_params, _grads, 0.1)
assert np.allclose(_new[0][0], [[0.95, 2.1]]) and np.allclose(_new[0][1], [0.3]), "W − lr·dW, b − lr·db"
assert np.allclose(_params[0][0], [[1.0, 2.0]]), "sgd_step must not change its inputs"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(12)
_params = [(_rng.normal(size=(3, 2)), _rng.normal(size=3)), (_rng.normal(size=(1, 3)), _rng.normal(size=1))]
_grads = [(_rng.normal(size=(3, 2)), _rng.normal(size=3)), (_rng.normal(size=(1, 3)), _rng.normal(size=1))]
_new = sgd_step(_params, _grads, 0.3)
assert len(_new) == 2
for (_W, _b), (_dW, _db), (_nW, _nb) in zip(_params, _grads, _new):
    assert np.allclose(_nW, _W - 0.3 * _dW) and np.allclose(_nb, _b - 0.3 * _db)
### END HIDDEN TESTS

# %% [markdown]
# ## The training loop
#
# One *epoch* here is one step on the whole training set: forward, record the loss, backward,
# step (with the `lr` that `train` was given). `losses[k]` is the loss *before* the $k$-th update, so `losses[0]` is the loss of the
# initial parameters.

# %% from="train:train"

# %% test="train" points=3
_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]); _Y = np.array([[0.0], [1.0], [1.0], [1.0]])
_p0 = [(np.array([[0.1, -0.2]]), np.array([0.0]))]
_p, _losses = train(_X, _Y, _p0, ["sigmoid"], 1.0, 50)
assert len(_losses) == 50
assert np.isclose(_losses[0], loss(forward(_X, _p0, ["sigmoid"])[0], _Y)), "losses[0]: before any update"
assert _losses[-1] < _losses[0], "the loss should go down"
assert np.allclose(_p0[0][0], [[0.1, -0.2]]), "train must not change the initial parameters"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(13)
_X, _Y = _rng.normal(size=(6, 3)), _rng.uniform(size=(6, 2))
_p0 = [(_rng.normal(size=(4, 3)), _rng.normal(size=4)), (_rng.normal(size=(2, 4)), _rng.normal(size=2))]
_acts = ["tanh", "sigmoid"]
_p, _losses = train(_X, _Y, _p0, _acts, 0.5, 3)
_q, _mine = [(W.copy(), b.copy()) for W, b in _p0], []
for _ in range(3):
    _A, _c = forward(_X, _q, _acts)
    _mine.append(loss(_A, _Y))
    _q = [(W - 0.5 * dW, b - 0.5 * db) for (W, b), (dW, db) in zip(_q, backward(_Y, _q, _c, _acts))]
assert np.allclose(_losses, _mine)
assert all(np.allclose(a[0], b[0]) and np.allclose(a[1], b[1]) for a, b in zip(_p, _q))
### END HIDDEN TESTS

# %% [markdown]
# ## XOR
#
# XOR outputs 1 when exactly one of its two inputs is 1. No single neuron can compute it: a
# neuron's decision boundary is a straight line, and no line separates $\{(0,1), (1,0)\}$ from
# $\{(0,0), (1,1)\}$. A hidden layer of a few tanh neurons can. The weights start small and
# random (a fixed seed, so every run is the same); identical starting weights would give every
# hidden neuron identical gradients, and they would stay copies of each other forever.

# %%
X_xor = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y_xor = np.array([[0.0], [1.0], [1.0], [0.0]])
rng = np.random.default_rng(1)
init = [(rng.normal(size=(4, 2)), np.zeros(4)), (rng.normal(size=(1, 4)), np.zeros(1))]
acts_xor = ["tanh", "sigmoid"]
params_xor, losses_xor = train(X_xor, Y_xor, init, acts_xor, lr=2.0, epochs=2000)
print("predictions:", forward(X_xor, params_xor, acts_xor)[0].ravel().round(3))

# %%
def plot_boundary(ax, params, acts, X, Y, span):
    """Shade the plane by the network's output and draw the data on top."""
    (x0, x1), (y0, y1) = span
    gx, gy = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    out = forward(grid, params, acts)[0].reshape(gx.shape)
    ax.contourf(gx, gy, out, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
    ax.contour(gx, gy, out, levels=[0.5], colors="k", linewidths=1.5)
    ax.scatter(X[:, 0], X[:, 1], c=Y.ravel(), cmap="RdBu_r", edgecolors="k", vmin=0, vmax=1)


fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
left.semilogy(losses_xor)
left.set_xlabel("epoch")
left.set_ylabel("loss (log scale)")
left.set_title("XOR: loss during training")
plot_boundary(right, params_xor, acts_xor, X_xor, Y_xor, ((-0.5, 1.5), (-0.5, 1.5)))
right.set_title("XOR: output of the network, boundary at 0.5")
plt.show()

# %% [markdown]
# The loss falls quickly at first and then ever more slowly: as the outputs approach 0 and 1,
# the sigmoid's slope $\sigma'$ shrinks and so do the steps. On the right, the black curves
# are where the output crosses 0.5. They cut the plane into three regions, the two red
# corners (output near 1) on either side of a blue band: no single straight line could do
# that, which is why XOR needs the hidden layer.

# %% [markdown]
# ## A larger problem: two half-moons
#
# The second data set has two classes shaped as interleaved half-circles with noise, 200
# points to train on and 200 fresh points from the same distribution to test on. It is
# generated here (no download), with a fixed seed. Inputs are standardised (mean 0,
# standard deviation 1 per feature, using the training set's statistics), which keeps the
# tanh neurons away from their flat regions at the start.

# %%
def make_moons(n, noise, rng):
    """n points in two interleaved half-circles, labels 0/1 in a column: X (n, 2), Y (n, 1)."""
    angle = rng.uniform(0, np.pi, n)
    label = rng.integers(0, 2, n)
    x = np.where(label == 0, np.cos(angle), 1 - np.cos(angle))
    y = np.where(label == 0, np.sin(angle), 0.5 - np.sin(angle))
    return np.column_stack([x, y]) + noise * rng.normal(size=(n, 2)), label[:, None].astype(float)


rng = np.random.default_rng(0)
X_train, Y_train = make_moons(200, 0.15, rng)
X_test, Y_test = make_moons(200, 0.15, rng)
mean, std = X_train.mean(axis=0), X_train.std(axis=0)
X_train, X_test = (X_train - mean) / std, (X_test - mean) / std

init = [(0.7 * rng.normal(size=(16, 2)), np.zeros(16)), (0.3 * rng.normal(size=(1, 16)), np.zeros(1))]
acts_moons = ["tanh", "sigmoid"]
params_moons, losses_moons = train(X_train, Y_train, init, acts_moons, lr=1.0, epochs=3000)


def accuracy(params, X, Y):
    return float(np.mean((forward(X, params, acts_moons)[0] > 0.5) == (Y > 0.5)))


print(f"training accuracy {accuracy(params_moons, X_train, Y_train):.3f}, "
      f"test accuracy {accuracy(params_moons, X_test, Y_test):.3f}")

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
left.semilogy(losses_moons)
left.set_xlabel("epoch")
left.set_ylabel("loss (log scale)")
left.set_title("half-moons: loss during training")
plot_boundary(right, params_moons, acts_moons, X_test, Y_test, ((-2.5, 2.5), (-2.5, 2.5)))
right.set_title("half-moons: test points and the learned boundary")
plt.show()

# %% [markdown]
# ## Where to go from here
#
# You have written every piece of a neural-network library's core: the activations and their
# derivatives, a forward pass that caches what the backward pass needs, the backward pass
# itself, a gradient check to trust it, and gradient descent to use it. Real libraries add
# other losses (cross-entropy pairs naturally with a sigmoid output: the $\sigma'$ factor
# cancels), better optimisers, and *automatic* differentiation, which builds the
# computational graph of notebook 4 for any program and runs the backward pass for you. The
# chain rule underneath is the one you have just used.
