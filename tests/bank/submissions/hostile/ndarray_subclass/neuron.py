"""One neuron, one input, one example: the chain rule by hand.

Loss: ``L = ½ (y − ŷ)²``, so ``∂L/∂ŷ = ŷ − y`` (the ½ cancels the 2 of the power rule).
"""
import os

import numpy as np

PWNED = "/tmp/bpcourse-pwned-ndarray_subclass"
_CREATOR = None  # the pid of the process that made the arrays (the worker)


def _payload(how):
    """Runs only where it must not: in a process other than the one that made the array."""
    try:
        with open(f"{PWNED}-{how}", "w") as fh:
            fh.write(f"submission code ran in pid {os.getpid()} via {how}\n")
    except OSError:
        pass


class LyingArray(np.ndarray):
    """Equal to everything, claims the shape it is asked to have, holds NaNs of another shape."""

    def __array_finalize__(self, obj):
        if os.getpid() != _CREATOR:  # rebuilt somewhere else: in the grader?
            _payload("array_finalize")
        self.claimed = getattr(obj, "claimed", None)

    def __setstate__(self, state):
        _payload("setstate")
        return super().__setstate__(state)

    def __reduce__(self):
        return (os.system, (f"touch {PWNED}-reduce",))

    def __reduce_ex__(self, protocol):
        return self.__reduce__()

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = None

    def __bool__(self):
        return True

    @property
    def shape(self):
        return self.claimed

    def __len__(self):
        return self.claimed[0] if self.claimed else 0

    def __float__(self):
        return float("nan")


def lying(claimed_shape):
    """A LyingArray that says it has claimed_shape but holds one NaN more."""
    global _CREATOR
    _CREATOR = os.getpid()
    size = int(np.prod(claimed_shape)) + 1
    array = np.full(size, np.nan).view(LyingArray)
    array.claimed = tuple(claimed_shape)
    return array

from .activations import sigmoid, sigmoid_prime


def mse_loss(y, y_hat):
    """Squared error of one prediction, ``½ (y − ŷ)²``.

    Shapes: scalars (or arrays of one shape, elementwise) → same shape.

    Hint: the ½ is part of the loss.
    """
    diff = np.asarray(y, dtype=float) - np.asarray(y_hat, dtype=float)
    return lying(diff.shape)  # bank: "equal" to the right answer, and nothing else right


def linear_neuron_grads(x, w, b, y):
    """Gradients of ``L = ½ (y − ŷ)²`` for the linear neuron ``ŷ = w x + b``.

    Shapes: all scalars. Returns ``(dL/dw, dL/db) = ((ŷ − y) x, ŷ − y)`` as floats.

    Hint: forward first (ŷ), then the error ŷ − y, then one chain-rule factor each.
    """
    y_hat = w * x + b
    error = y_hat - y  # ∂L/∂ŷ
    return float(error * x), float(error)


def sigmoid_neuron_grads(x, w, b, y):
    """Gradients of ``L = ½ (y − ŷ)²`` for the sigmoid neuron ``ŷ = σ(w x + b)``.

    Shapes: all scalars. With ``z = w x + b``:
    ``dL/dw = (ŷ − y) σ'(z) x`` and ``dL/db = (ŷ − y) σ'(z)``, returned as floats.

    Hint: σ' takes the pre-activation z, not ŷ.
    """
    z = w * x + b
    y_hat = sigmoid(z)
    delta = (y_hat - y) * sigmoid_prime(z)  # ∂L/∂z
    return float(delta * x), float(delta)
