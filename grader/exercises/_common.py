"""What every exercise home shares: the ``Exercise`` record, small numeric helpers, the
directional finite-difference check, and the words for mistakes that several functions can
make. Public: nothing here computes a contract function's answer."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.checks import Check, Failure


@dataclass(frozen=True)
class Exercise:
    name: str
    module: str
    checks: tuple[Check, ...]
    helpers: tuple[str, ...] = ()

    @property
    def points(self) -> float:
        return sum(c.points for c in self.checks)


def hidden_checks(hidden, fn: str) -> tuple[Check, ...]:
    """The hidden part's checks for ``fn`` (its module's ``CHECKS``), or none without it."""
    if hidden is None:
        return ()
    return tuple(hidden.CHECKS.get(fn, ()))


def _f(a):
    return np.asarray(a, dtype=float)


def _sigmoid(z):  # the mathematical truth the public properties compare with
    z = _f(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _seed_screen(n: int):
    """A screen of ``n`` seeds drawn from the check's rng (the course secret's, in grade)."""
    return lambda rng: [(int(s),) for s in rng.integers(0, 10_000, n)]


def _seeds():
    from hypothesis import strategies as st

    return st.tuples(st.integers(0, 10_000))


def ratio_name(ratio: float, names: dict[float, str], rtol: float = 1e-3) -> str | None:
    """The mistake whose factor (the student's answer over the right one) ``ratio`` is."""
    for factor, name in names.items():
        if np.isfinite(ratio) and abs(ratio - factor) <= rtol * abs(factor):
            return name
    return None


def directional_check(grads: list, blocks: list, objective, rng, names: list[str],
                      eps: float = 1e-5, transposed: str | None = None,
                      factors: dict[float, str] | None = None) -> str | None:
    """Compare a gradient with central differences along random directions:
    ⟨g, v⟩ against (f(θ + εv) − f(θ − εv)) / 2ε. First one direction through every block at
    once (two evaluations in all: a wrong gradient anywhere disagrees with probability 1);
    only when that disagrees, one direction per block, to name the block that is wrong.
    The failure names a mistake found without correct code: ``transposed`` when a matrix
    block has the transposed shape, ``factors[r]`` when the whole gradient is r times the
    finite differences' (a missing 1/B, a sign)."""
    arrays = []
    for block, grad, name in zip(blocks, grads, names):
        grad = np.asarray(grad, dtype=float) if not isinstance(grad, np.ndarray) else grad
        if grad.shape != block.shape:
            flipped = block.ndim == 2 and grad.shape == block.shape[::-1]
            return Failure(f"{name} has shape {grad.shape}, expected {block.shape}"
                           + (" (the transpose)" if flipped else ""),
                           transposed if flipped else None)
        arrays.append(grad)
    directions = [rng.normal(0, 1, block.shape) for block in blocks]
    norm = max(float(np.sqrt(sum(np.sum(v * v) for v in directions))), 1e-12)
    directions = [v / norm for v in directions]

    def disagree(ks):
        values = []
        for sign in (1, -1):
            moved = [b.copy() for b in blocks]
            for k in ks:
                moved[k] = blocks[k] + sign * eps * directions[k]
            values.append(objective(moved))
        numeric = (values[0] - values[1]) / (2 * eps)
        analytic = float(sum(np.sum(arrays[k] * directions[k]) for k in ks))
        if not np.isfinite(analytic) or \
                abs(numeric - analytic) > 1e-6 * max(abs(numeric), abs(analytic)) + 1e-9:
            return analytic, numeric
        return None

    every = disagree(range(len(blocks)))
    if every is None:
        if all(not np.any(a) for a in arrays) and _flat(objective, blocks, directions, eps):
            return ("the loss does not change when the parameters move (a constant forward "
                    "pass?), so finite differences confirm nothing; a gradient is checked "
                    "against a loss that depends on the parameters")
        return None
    mistake = None
    if factors and every[1] != 0:
        ratio = every[0] / every[1]
        mistake = ratio_name(ratio, factors)
    for k, name in enumerate(names):
        found = disagree([k])
        if found:
            return Failure(f"{name} along a random direction v: ⟨{name}, v⟩ = {found[0]:.6g}, "
                           f"but central differences of the loss give {found[1]:.6g}", mistake)
    return Failure(f"along a random direction v through every parameter: ⟨grads, v⟩ = "
                   f"{every[0]:.6g}, but central differences of the loss give {every[1]:.6g}",
                   mistake)


def _flat(objective, blocks, directions, eps) -> bool:
    """True when the objective is the same at θ and at θ ± a larger step: it does not depend
    on the parameters, and a zero gradient would agree with it without any work."""
    base = objective(list(blocks))
    for sign in (1, -1):
        moved = [b + sign * 1e3 * eps * v for b, v in zip(blocks, directions)]
        if abs(objective(moved) - base) > 1e-12 * max(1.0, abs(base)):
            return False
    return True


# Mistakes more than one function can make: their names and the words feedback uses.
MISTAKES: dict[str, str] = {
    "sign_flip": "the error has the wrong sign: ∂L/∂ŷ = ŷ − y, not y − ŷ",
    "missing_activation_derivative": "the activation derivative is missing from a delta: "
                                      "δ = (ŷ − y) ⊙ g'(z)",
    "activation_derivative_of_activation": "the derivative is taken at the activation A "
                                           "instead of the pre-activation Z: use g'(Z)",
    "W_instead_of_WT": "W used where its transpose belongs when sending the error back a layer "
                       "(invisible when W is square)",
    "loss_missing_half": "the loss lacks the ½: L = ½(y − ŷ)²",
    "mutates_input": "the function changes an argument in place; build new arrays instead",
    "only_sigmoid": "the code uses sigmoid everywhere; use each layer's own activation",
    "only_scalars": "the code only works for scalars (or one example); use array operations",
    "missing_1_over_B": "the batch gradient is a mean: divide by B",
    "divide_by_B_twice": "divided by B twice",
    "non_finite": "NaN or inf where the answer is finite",
}
