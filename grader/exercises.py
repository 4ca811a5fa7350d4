"""The exercises and their checks, declared as data: one entry per contract function.

Points add up to 100. ``helpers`` lists the student's own functions an exercise may call:
when one of them lost points in its own exercise, the student's function is called with a
correct version of that helper supplied from the trusted side, so one bug costs points once.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader import article as art
from grader.checks import (EVIDENCE, Check, Outcome, agree, article, custom, failure_text,
                           no_mutation, prop)
from grader.compare import describe, mismatch
from grader.mistakes import MISTAKES

ACTS = ("sigmoid", "sigmoid_prime", "relu", "relu_prime", "tanh", "tanh_prime")
TRAIN_HELPERS = ("forward", "loss", "backward", "sgd_step", *ACTS)


@dataclass(frozen=True)
class Exercise:
    name: str
    module: str
    checks: tuple[Check, ...]
    helpers: tuple[str, ...] = ()

    @property
    def points(self) -> float:
        return sum(c.points for c in self.checks)


def _f(a):
    return np.asarray(a, dtype=float)


def _sigmoid(z):  # the mathematical truth the public properties compare with
    z = _f(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


# ============================================================== elementwise activations

EDGE = np.array([0.0, -0.0, 1e-12, -1e-12, 0.5, -0.5, 1.0, -1.0, 3.0, -3.0, 10.0, -10.0,
                 35.0, -35.0, 100.0, -100.0, 710.0, -710.0, 1000.0, -1000.0])


# Every hidden case holds values drawn from the course secret: a fixed input would be public
# (the package is), and a table of its answers could pass without any code. Fixed edge values
# (0, ±0, tiny, extreme) travel inside arrays that also hold secret ones.

def elementwise_cases(rng):
    edge = np.concatenate([EDGE, rng.normal(0, 4, 6)])
    return [
        ("z a Python float", (float(rng.uniform(0.05, 2.0)),)),
        ("z a negative 0-d array", (np.array(-rng.uniform(0.5, 3.0)),)),
        ("z a tiny Python float", (float(rng.choice([-1.0, 1.0]) * rng.uniform(1e-9, 1e-6)),)),
        ("a vector holding 0, tiny and extreme values (|z| up to 1000)", (edge,)),
        ("a (3, 4) matrix", (rng.normal(0, 4, (3, 4)),)),
        ("a (2, 3, 2) array", (rng.normal(0, 2, (2, 3, 2)),)),
    ]


def screen_z(rng):
    return [(np.concatenate([EDGE, rng.normal(0, 3, 300), rng.uniform(-60, 60, 200)]),)]


def _floats():
    from hypothesis import strategies as st

    return st.tuples(st.floats(-60, 60, allow_nan=False))


def _first_bad(ok: np.ndarray) -> int | None:
    bad = np.flatnonzero(~np.asarray(ok, dtype=bool))
    return int(bad[0]) if bad.size else None


def _at(z, i) -> str:
    z = _f(z)
    return f"{float(z.flat[i])!r}" if z.ndim == 0 else f"{float(z.flat[i])!r} (element {i})"


def _shaped(fn, z, out):
    """The output as a float array of z's shape, or a message."""
    arr = np.asarray(out) if isinstance(out, (np.ndarray, np.number, int, float, bool, list)) else None
    if arr is None or arr.dtype.kind not in "biuf":
        return None, f"{fn}(z) returned {describe(out)}, expected numbers"
    if arr.shape != np.shape(z):
        return None, f"{fn}(z) for z of shape {np.shape(z)} returned shape {arr.shape}"
    return arr.astype(float), None


def equals_truth(fn: str, truth, formula: str, rtol=1e-7, atol=1e-12):
    """Property: fn(z) equals a formula, elementwise."""
    def holds(call, z):
        out, msg = _shaped(fn, z, call(z))
        if msg:
            return msg
        want = truth(_f(z))
        i = _first_bad(np.isclose(out, want, rtol=rtol, atol=atol))
        if i is None:
            return None
        return (f"{fn}({_at(z, i)}) returned {out.flat[i]:.6g}, expected {want.flat[i]:.6g} "
                f"({formula})")
    return holds


def mirror_holds(fn: str, ok, says: str, first=None):
    """Property relating fn(z) and fn(−z), elementwise: ``ok(out, mirrored)`` must hold
    everywhere (``first(call)`` may check something else before, e.g. a value at 0)."""
    def holds(call, z):
        out, msg = _shaped(fn, z, call(z))
        if msg:
            return msg
        mirrored, msg = _shaped(fn, z, call(-_f(z)))
        if msg:
            return msg
        msg = first(call) if first else None
        if msg:
            return msg
        i = _first_bad(ok(out, mirrored))
        if i is None:
            return None
        zi = float(_f(z).flat[i])
        return (f"{fn}({zi!r}) = {out.flat[i]:.6g} and {fn}({-zi!r}) = {mirrored.flat[i]:.6g}: "
                + says)
    return holds


def _quarter_at_zero(call):
    zero = float(np.asarray(call(0.0), dtype=float))
    if not np.isclose(zero, 0.25, rtol=1e-12):
        return f"sigmoid_prime(0.0) returned {zero:.6g}, expected 0.25 (its maximum)"
    return None


sigmoid_shape_holds = mirror_holds(
    "sigmoid", lambda s, m: (s >= 0) & (s <= 1) & np.isclose(m, 1 - s, rtol=1e-9, atol=1e-12),
    "they must lie in [0, 1] and add up to 1 (σ(−z) = 1 − σ(z))")
sigmoid_prime_shape_holds = mirror_holds(
    "sigmoid_prime",
    lambda d, m: (d <= 0.25 + 1e-15) & (d >= 0) & np.isclose(d, m, rtol=1e-9, atol=1e-12),
    "σ' is symmetric and lies in [0, 0.25]", first=_quarter_at_zero)
tanh_shape_holds = mirror_holds(
    "tanh", lambda t, m: (np.abs(t) <= 1) & np.isclose(m, -t, rtol=1e-9, atol=1e-12),
    "tanh is odd and lies in [−1, 1]")


def shape_and_finite(fn: str, points: float, overflow_mistake: str = "non_finite") -> Check:
    """Hygiene: the same shape for a float, a 0-d array and N-d arrays; finite at |z| ≤ 1000."""
    inputs = [0.5, np.array(-2.0), np.zeros(0), np.linspace(-3, 3, 5),
              np.arange(24.0).reshape(2, 3, 4) - 12, EDGE.copy()]

    def run(ctx):
        warned = []
        for z, answer in zip(inputs, ctx.student.call_many(fn, [(z,) for z in inputs])):
            if not answer.ok:
                return Outcome(0.0, failure_text(fn, answer))
            out, msg = _shaped(fn, z, answer.value)
            if msg:
                return Outcome(0.0, msg)
            i = _first_bad(np.isfinite(out))
            if i is not None:
                return Outcome(0.0, f"{fn}({_at(z, i)}) returned {out.flat[i]}, but the answer "
                                    "is finite", mistake=overflow_mistake)
            warned += [w for w in getattr(answer, "warnings", ()) if w not in warned]
        advice = None
        if warned:  # right values, noisy computation: teach it, deduct nothing
            advice = (f"{fn} is right, but at |z| up to 1000 numpy "
                      f"warned: {'; '.join(warned)}"
                      + (f". {MISTAKES[overflow_mistake]}" if overflow_mistake != "non_finite" else ""))
        return Outcome(1.0, "keeps the shape of its input (float, 0-d, empty, N-d); finite "
                            "for |z| up to 1000", advice=advice)
    return custom("same shape as its input; finite for large |z|", points, "hygiene", run,
                  independent_calls=lambda ctx: [((z,), False) for z in inputs])


def activation(fn, truth, formula, points_ref, points_prop, points_hyg, extra_props=(),
               overflow_mistake="non_finite"):
    checks = [agree(fn, elementwise_cases, points_ref)]
    if points_prop:
        checks.append(prop(fn, formula, points_prop, screen=screen_z,
                           holds=equals_truth(fn, truth, formula), strategy=_floats,
                           role=EVIDENCE))
    checks += list(extra_props)
    checks.append(shape_and_finite(fn, points_hyg, overflow_mistake))
    return Exercise(fn, "activations", tuple(checks))


# ============================================================== neuron

def neuron_cases(rng):
    x, w, b = (int(v) * int(s) for v, s in zip(rng.integers(1, 3, 3), rng.choice([-1, 1], 3)))
    cases = [(f"integer inputs x={x}, w={w}, b={b}, y=1", (x, w, b, 1))]
    for _ in range(5):
        x, w, b, y = (float(v) for v in rng.normal(0, 1.5, 4))
        cases.append((f"x={x:.3g}, w={w:.3g}, b={b:.3g}, y={y:.3g}", (x, w, b, y)))
    return cases


def _scalar_pair(value):
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        return None
    try:
        pair = [float(np.asarray(v, dtype=float)) for v in value]
    except (TypeError, ValueError):
        return None
    return pair


def neuron_consistency(fn: str, model) -> Check:
    """Public: the student's gradients equal central differences of the loss."""
    def run(ctx):
        rng = ctx.rng(fn + "fd")
        worst = 0.0
        inputs = [tuple(float(v) for v in rng.normal(0, 1.5, 4)) for _ in range(5)]
        for (x, w, b, y), answer in zip(inputs, ctx.student.call_many(fn, inputs)):
            if not answer.ok:
                return Outcome(0.0, failure_text(fn, answer))
            pair = _scalar_pair(answer.value)
            if pair is None:
                return Outcome(0.0, f"{fn} returned {describe(answer.value)}, expected two numbers "
                                    "(dL/dw, dL/db)")
            eps = 1e-6
            loss = lambda w_, b_: 0.5 * (y - model(w_ * x + b_)) ** 2  # noqa: E731
            fd = [(loss(w + eps, b) - loss(w - eps, b)) / (2 * eps),
                  (loss(w, b + eps) - loss(w, b - eps)) / (2 * eps)]
            err = max(abs(p - q) / max(abs(p) + abs(q), 1e-8) for p, q in zip(pair, fd))
            if err > 1e-5:
                return Outcome(0.0, f"{fn}({x:.3g}, {w:.3g}, {b:.3g}, {y:.3g}) returned "
                                    f"({pair[0]:.6g}, {pair[1]:.6g}), but central differences of "
                                    f"the loss give ({fd[0]:.6g}, {fd[1]:.6g})")
            worst = max(worst, err)
        return Outcome(1.0, f"agrees with central differences of the loss (relative error "
                            f"{worst:.1e})")
    return custom("agrees with finite differences of the loss", 2, "consistency", run)


def returns_two_scalars(fn: str) -> Check:
    def run(ctx):
        answer = ctx.student.call(fn, 0.3, -0.7, 0.2, 1.0)
        if not answer.ok:
            return Outcome(0.0, failure_text(fn, answer))
        if _scalar_pair(answer.value) is None or any(
                np.ndim(v) != 0 for v in answer.value):
            return Outcome(0.0, f"{fn} returned {describe(answer.value)}; expected a pair of "
                                "scalars (dL/dw, dL/db)")
        return Outcome(1.0, "returns a pair of scalars")
    return custom("returns a pair of scalars", 1, "hygiene", run,
                  independent_calls=lambda ctx: [((0.3, -0.7, 0.2, 1.0), False)])


def mse_cases(rng):
    same = float(rng.uniform(-2, 2))
    return [(f"y = ŷ = {same:.3g}", (same, same)),
            ("y an integer", (int(rng.integers(-3, 4)), float(rng.normal())))] + [
        (f"y={a:.3g}, ŷ={b:.3g}", (float(a), float(b))) for a, b in rng.normal(0, 2, (4, 2))]


def mse_holds(call, y, y_hat):
    got = np.asarray(call(y, y_hat), dtype=float)
    want = 0.5 * (y - y_hat) ** 2
    if got.shape != () or not np.isclose(got, want, rtol=1e-9, atol=1e-15):
        return f"mse_loss({y!r}, {y_hat!r}) returned {describe(got)}, expected {want:.6g} (½(y − ŷ)²)"
    return None


def _mse_strategy():
    from hypothesis import strategies as st

    f = st.floats(-100, 100, allow_nan=False)
    return st.tuples(f, f)


# ============================================================== two layers

TWO_LAYER_DIMS = [(1, 2, 1), (3, 4, 2), (3, 3, 3), (2, 3, 3), (4, 2, 1)]


def _two_layer_params(rng, d, n, m):
    return (rng.normal(0, 1, d), rng.normal(0, 1, (n, d)), rng.normal(0, 0.5, n),
            rng.normal(0, 1, (m, n)), rng.normal(0, 0.5, m))


def two_layer_forward_cases(rng):
    cases = []
    for d, n, m in TWO_LAYER_DIMS:
        label = f"d={d}, n={n}, m={m}" + (" (W2 square)" if n == m else "")
        cases.append((label, _two_layer_params(rng, d, n, m)))
    return cases


def _two_layer_cache(x, W1, b1, W2, b2):
    z1 = W1 @ x + b1
    h = _sigmoid(z1)
    z2 = W2 @ h + b2
    return {"z1": z1, "h": h, "z2": z2, "y_hat": _sigmoid(z2)}


def two_layer_backward_cases(rng):
    cases = []
    for label, (x, W1, b1, W2, b2) in two_layer_forward_cases(rng):
        y = rng.uniform(0, 1, W2.shape[0])
        cases.append((label, (x, y, W1, b1, W2, b2, _two_layer_cache(x, W1, b1, W2, b2))))
    return cases


def directional_check(grads: list, blocks: list, objective, rng, names: list[str],
                      eps: float = 1e-5) -> str | None:
    """Compare a gradient with central differences along random directions:
    ⟨g, v⟩ against (f(θ + εv) − f(θ − εv)) / 2ε. First one direction through every block at
    once (two evaluations in all: a wrong gradient anywhere disagrees with probability 1);
    only when that disagrees, one direction per block, to name the block that is wrong."""
    arrays = []
    for block, grad, name in zip(blocks, grads, names):
        grad = np.asarray(grad, dtype=float) if not isinstance(grad, np.ndarray) else grad
        if grad.shape != block.shape:
            return f"{name} has shape {grad.shape}, expected {block.shape}"
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
        return None
    for k, name in enumerate(names):
        found = disagree([k])
        if found:
            return (f"{name} along a random direction v: ⟨{name}, v⟩ = {found[0]:.6g}, but "
                    f"central differences of the loss give {found[1]:.6g}")
    return (f"along a random direction v through every parameter: ⟨grads, v⟩ = {every[0]:.6g}, "
            f"but central differences of the loss give {every[1]:.6g}")


def two_layer_consistency(ctx):
    """dW1, db1, dW2, db2 against central differences of ½‖y − ŷ‖² through the student's
    own two_layer_forward (the reference's when theirs fails and it is available)."""
    fn = "two_layer_backward"
    rng = ctx.rng("two_layer_fd")
    x, W1, b1, W2, b2 = _two_layer_params(rng, 3, 4, 2)
    y = rng.uniform(0, 1, 2)
    use_reference = "two_layer_forward" in ctx.failed and ctx.reference is not None
    forward = ctx.reference if use_reference else ctx.student
    whose = "the reference" if use_reference else "your"

    def loss(blocks):
        answer = forward.call("two_layer_forward", x, *blocks)
        if not answer.ok or not isinstance(answer.value, dict) or "y_hat" not in answer.value:
            raise ValueError(failure_text("two_layer_forward", answer) if not answer.ok else
                             "two_layer_forward does not return a dict with 'y_hat'")
        return 0.5 * float(np.sum((y - _f(answer.value["y_hat"])) ** 2))

    cache = forward.call("two_layer_forward", x, W1, b1, W2, b2)
    answer = ctx.student.call(fn, x, y, W1, b1, W2, b2, cache.value)
    if not answer.ok:
        return Outcome(0.0, failure_text(fn, answer))
    names = ["dW1", "db1", "dW2", "db2"]
    if not isinstance(answer.value, dict) or any(k not in answer.value for k in names):
        return Outcome(0.0, f"{fn} returned {describe(answer.value)}; expected a dict with keys "
                            + ", ".join(names))
    try:
        reason = directional_check([answer.value[k] for k in names], [W1, b1, W2, b2], loss,
                                   rng, names)
    except ValueError as exc:
        return Outcome(0.0, f"needs {whose} two_layer_forward: {exc}")
    except TypeError:
        return Outcome(0.0, f"{fn} returned gradients that are not arrays of numbers")
    if reason:
        return Outcome(0.0, f"d=3, n=4, m=2, through {whose} two_layer_forward: {reason}")
    return Outcome(1.0, f"agrees with central differences of ½‖y − ŷ‖² through {whose} "
                        "two_layer_forward")


# ============================================================== network

NETS = [  # layer sizes, activations, batch size
    ((3, 2), ("sigmoid",), 4),
    ((2, 3, 1), ("sigmoid", "sigmoid"), 1),
    ((3, 3, 3), ("tanh", "sigmoid"), 5),
    ((4, 5, 1), ("relu", "sigmoid"), 6),
    ((2, 4, 4, 3), ("relu", "tanh", "identity"), 3),
    ((3, 5, 4, 4, 2), ("sigmoid", "relu", "tanh", "sigmoid"), 7),
    ((2, 6, 3), ("tanh", "identity"), 4),
]


def make_net(rng, sizes, acts, B):
    X = rng.normal(0, 1, (B, sizes[0]))
    params = [(rng.normal(0, 1.2 / np.sqrt(n_in), (n_out, n_in)), rng.normal(0, 0.5, n_out))
              for n_in, n_out in zip(sizes, sizes[1:])]
    Y = rng.uniform(0, 1, (B, sizes[-1]))
    return X, params, list(acts), Y


def net_label(sizes, acts, B):
    square = any(a == b for a, b in zip(sizes[1:], sizes[2:]))
    return (f"{len(acts)} layer{'s' if len(acts) > 1 else ''}, sizes {list(sizes)}, "
            f"[{', '.join(acts)}], B={B}" + (", square layers" if square else ""))


def _reference_forward(X, params, acts):
    """backward is graded on caches from the reference forward (hidden checks only)."""
    from solutions.network import forward

    return forward(X, params, acts)


def forward_cases(rng):
    return [(net_label(*spec), make_net(rng, *spec)[:3]) for spec in NETS]


def backward_cases(rng):
    cases = []
    for spec in NETS:
        X, params, acts, Y = make_net(rng, *spec)
        _, cache = _reference_forward(X, params, acts)
        cases.append((net_label(*spec), (Y, params, cache, acts)))
    return cases


def loss_cases(rng):
    return [(f"B={B}, m={m}", (rng.uniform(0, 1, (B, m)), rng.uniform(0, 1, (B, m))))
            for B, m in ((1, 1), (4, 1), (3, 3), (5, 2))]


def loss_holds(call, seed):
    """Duplicating the batch or permuting its rows leaves the mean loss unchanged."""
    rng = np.random.default_rng(seed)
    B, m = int(rng.integers(1, 6)), int(rng.integers(1, 4))
    Y_hat, Y = rng.uniform(0, 1, (B, m)), rng.uniform(0, 1, (B, m))
    base = np.asarray(call(Y_hat, Y), dtype=float)
    if base.shape != ():
        return f"loss returned {describe(base)}; expected one number"
    twice = float(np.asarray(call(np.vstack([Y_hat, Y_hat]), np.vstack([Y, Y])), dtype=float))
    if not np.isclose(twice, base, rtol=1e-9):
        return (f"with B={B}, m={m}: loss of the batch is {float(base):.6g} but of the batch "
                f"repeated twice {twice:.6g}; a mean over the examples does not change")
    order = rng.permutation(B)
    shuffled = float(np.asarray(call(Y_hat[order], Y[order]), dtype=float))
    if not np.isclose(shuffled, base, rtol=1e-9):
        return f"with B={B}, m={m}: reordering the rows changed the loss"
    if float(base) < 0:
        return f"loss returned {float(base):.6g} < 0"
    return None


def _seed_screen(n: int):
    """A screen of ``n`` seeds drawn from the check's rng (the course secret's, in grade)."""
    return lambda rng: [(int(s),) for s in rng.integers(0, 10_000, n)]


def _seeds():
    from hypothesis import strategies as st

    return st.tuples(st.integers(0, 10_000))


def _random_cache(rng, sizes, acts, B):
    params = [(rng.normal(0, 1, (n_out, n_in)), rng.normal(0, 0.5, n_out))
              for n_in, n_out in zip(sizes, sizes[1:])]
    cache = [(rng.normal(0, 1, (B, n_in)), rng.normal(0, 1.5, (B, n_out)))
             for n_in, n_out in zip(sizes, sizes[1:])]
    return params, cache, list(acts), rng.uniform(0, 1, (B, sizes[-1]))


def backward_mutation_args(rng):
    """A public check may not use the reference: any cache of the right shapes will do."""
    params, cache, acts, Y = _random_cache(rng, (2, 4, 4, 3), ("relu", "tanh", "identity"), 3)
    return Y, params, cache, acts


def batch_holds(call, seed):
    """The batch gradient is the mean of the per-example gradients, in any row order."""
    rng = np.random.default_rng(seed)
    spec = NETS[seed % len(NETS)]
    sizes, acts, B = spec[0], spec[1], min(max(spec[2], 2), 3)  # each row is one more process
    params, cache, acts, Y = _random_cache(rng, sizes, acts, B)
    full = call(Y, params, cache, acts)
    rows = [call(Y[i:i + 1], params, [(A[i:i + 1], Z[i:i + 1]) for A, Z in cache], acts)
            for i in range(B)]
    try:
        mean = [(np.mean([_f(r[k][0]) for r in rows], axis=0),
                 np.mean([_f(r[k][1]) for r in rows], axis=0)) for k in range(len(params))]
    except (TypeError, ValueError, IndexError, KeyError):
        return f"backward's answers for single rows cannot be averaged ({net_label(sizes, acts, B)})"
    reason = mismatch(full, mean, 1e-7, 1e-10)
    if reason:
        return (f"{net_label(sizes, acts, B)}: the batch gradient is not the mean of the "
                f"per-example gradients ({reason.replace('the result', 'grads')})")
    order = rng.permutation(B)
    shuffled = call(Y[order], params, [(A[order], Z[order]) for A, Z in cache], acts)
    reason = mismatch(shuffled, full, 1e-9, 1e-12)
    if reason:
        return f"{net_label(sizes, acts, B)}: reordering the batch rows changed the gradients"
    return None


FD_NETS = [((3, 4, 2), ("tanh", "sigmoid"), 3), ((2, 3, 3, 1), ("sigmoid", "tanh", "identity"), 2)]


def backward_consistency(ctx):
    """Central differences of the student's own loss(forward(...)) against their backward."""
    use_ref = bool({"forward", "loss"} & ctx.failed) and ctx.reference is not None
    impl = ctx.reference if use_ref else ctx.student
    # The loss of a forward pass is a formula the grader knows: in grade, the reference's
    # (the student's loss either passed its own checks, and so equals it, or is replaced by
    # it); in check, the student's own. One sandbox call per evaluation instead of two.
    loss_impl = ctx.reference or impl
    whose = "the reference" if use_ref else "your"
    rng = ctx.rng("backward_fd")
    for spec in FD_NETS:
        X, params, acts, Y = make_net(rng, *spec)

        def objective(blocks):
            p = [(blocks[2 * k], blocks[2 * k + 1]) for k in range(len(params))]
            out = impl.call("forward", X, p, acts)
            if not out.ok:
                raise ValueError(failure_text("forward", out))
            try:
                A_L = out.value[0]
            except (TypeError, IndexError, KeyError):
                raise ValueError("forward does not return (A_L, cache)") from None
            value = loss_impl.call("loss", A_L, Y)
            if not value.ok:
                raise ValueError(failure_text("loss", value))
            return float(np.asarray(value.value, dtype=float))

        first = impl.call("forward", X, params, acts)
        cache = first.value[1] if first.ok and isinstance(first.value, (list, tuple)) \
            and len(first.value) == 2 else None
        if cache is None:
            return Outcome(0.0, f"needs {whose} forward, which returns no (A_L, cache)")
        answer = ctx.student.call("backward", Y, params, cache, acts)
        if not answer.ok:
            return Outcome(0.0, failure_text("backward", answer))
        grads = answer.value
        if not isinstance(grads, (list, tuple)) or len(grads) != len(params) or any(
                not isinstance(g, (list, tuple)) or len(g) != 2 for g in grads):
            return Outcome(0.0, f"backward returned {describe(grads)}; expected one (dW, db) pair "
                                f"per layer ({len(params)} here)")
        names = [f"{name}{k + 1}" for k in range(len(params)) for name in ("dW", "db")]
        try:
            reason = directional_check([g for pair in grads for g in pair],
                                       [a for pair in params for a in pair], objective, rng, names)
        except ValueError as exc:
            return Outcome(0.0, f"needs {whose} forward and loss: {exc}")
        except TypeError:
            return Outcome(0.0, "backward returned gradients that are not arrays of numbers")
        if reason:
            return Outcome(0.0, f"{net_label(*spec)}: backward disagrees with {whose} "
                                f"loss(forward(...)): {reason}")
    return Outcome(1.0, f"agrees with central differences of {whose} loss(forward(...)) on "
                        f"{len(FD_NETS)} networks, every dW and db along random directions")


def forward_structure(ctx):
    """forward returns (A_L, cache) with one (A_prev, Z) pair per layer, and never mutates."""
    rng = ctx.rng("forward_structure")
    X, params, acts, _ = make_net(rng, (2, 4, 4, 3), ("relu", "tanh", "identity"), 3)
    answer = ctx.student.call("forward", X, params, acts, return_args=True)
    if not answer.ok:
        return Outcome(0.0, failure_text("forward", answer))
    value = answer.value
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        return Outcome(0.0, f"forward returned {describe(value)}; expected a pair (A_L, cache)")
    A_L, cache = value
    if not isinstance(cache, (list, tuple)) or len(cache) != len(params):
        return Outcome(0.0, f"the cache has {describe(cache)}; expected one (A_prev, Z) pair per "
                            f"layer ({len(params)} here)")
    shapes = [((3, 2), (3, 4)), ((3, 4), (3, 4)), ((3, 4), (3, 3))]
    for k, (entry, (sa, sz)) in enumerate(zip(cache, shapes)):
        if not isinstance(entry, (list, tuple)) or len(entry) != 2:
            return Outcome(0.0, f"cache[{k}] is {describe(entry)}; expected a pair (A_prev, Z)")
        if np.shape(entry[0]) != sa or np.shape(entry[1]) != sz:
            return Outcome(0.0, f"cache[{k}] holds shapes {np.shape(entry[0])} and "
                                f"{np.shape(entry[1])}; expected A_prev {sa} and Z {sz}")
    from grader.checks import _first_change

    for name, before, after in zip(("X", "params", "activations"), (X, params, acts),
                                   answer.args_after or ()):
        change = _first_change(before, after)
        if change:
            return Outcome(0.0, f"forward changed its argument {name} in place",
                           mistake="mutates_input")
    return Outcome(1.0, "returns (A_L, cache) with one (A_prev, Z) pair per layer, inputs untouched")


# ============================================================== gradcheck

def cubic(c1, c2, c3):
    """f(x) = Σ c1·x + c2·x² + c3·x³, handed to student code as a Callback: inside the
    sandbox it is a plain function that asks the grader for f(x) and shows nothing else (no
    coefficients, no gradient)."""
    from grader.sandbox import Callback

    def f(x):
        x = np.asarray(x, dtype=float)
        return float(np.sum(c1 * x + c2 * x ** 2 + c3 * x ** 3))
    return Callback(f)


def _cubic(rng, shape):
    return cubic(rng.normal(0, 1, shape), rng.normal(0, 1, shape), rng.normal(0, 1, shape))


def numgrad_cases(rng):
    cases = []
    for shape in ((), (1,), (5,), (3, 4), (2, 2, 3)):
        x = rng.normal(0, 1.5, shape) if shape else np.array(rng.normal(0, 1.5))
        cases.append((f"a cubic function at x of shape {shape}", (_cubic(rng, shape), x)))
    return cases


def numgrad_restores(ctx):
    rng = ctx.rng("numgrad_restore")
    x = rng.normal(0, 1, (3, 4)) * np.array([1.0, 1e-3, 1e3, 3.3])
    answer = ctx.student.call("numerical_gradient", _cubic(rng, (3, 4)), x, return_args=True)
    if not answer.ok:
        return Outcome(0.0, failure_text("numerical_gradient", answer))
    after = (answer.args_after or (None, None))[1]
    if not isinstance(after, np.ndarray) or after.shape != x.shape:
        return Outcome(0.0, "numerical_gradient changed x", mistake="unrestored_x")
    if not np.array_equal(after, x):
        i = int(np.flatnonzero(after != x)[0])
        return Outcome(0.0, f"after numerical_gradient, x[{np.unravel_index(i, x.shape)}] is "
                            f"{after.flat[i]!r} instead of {x.flat[i]!r}: restore each element "
                            "exactly (save it, then put the saved value back)",
                       mistake="unrestored_x")
    return Outcome(1.0, "leaves x exactly as it found it")


def numgrad_quadratic_holds(call, seed):
    """Central differences are exact (up to rounding) for a quadratic."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 6))
    x = rng.normal(0, 2, n)
    c1, c2 = rng.normal(0, 1, n), rng.normal(0, 1, n)
    f = cubic(c1, c2, np.zeros(n))
    got = call(f, x)
    want = c1 + 2 * c2 * x
    reason = mismatch(got, want, 1e-6, 1e-8)
    if reason:
        return (f"for f(x) = Σ c1·x + c2·x² at x = {np.array2string(x, precision=3)}, "
                f"numerical_gradient gave {describe(got)}, expected {describe(want)} "
                "(central differences are exact for quadratics)")
    return None


def relative_error_cases(rng):
    a = rng.normal(0, 1, (3, 4))
    n = int(rng.integers(2, 7))
    s = float(rng.uniform(0.5, 2.0))
    return [
        # (two zero arrays give 0.0: public knowledge, checked by the property instead)
        ("tiny values against zeros (the floor of the denominator)",
         (np.zeros(n), rng.normal(0, 1e-10, n))),
        ("equal arrays", (a, a.copy())),
        ("a and a + 1e-6", (a, a + 1e-6)),
        ("arrays of different magnitudes", (a * 1e3, a * 1e3 + rng.normal(0, 1, a.shape))),
        ("a zero and a nonzero array", (np.zeros(n + 1), rng.normal(0, 1, n + 1))),
        ("two Python floats", (s, s * float(rng.uniform(1.05, 1.3)))),
    ]


def _relative_error_global(a, b):
    """Also accepted: the max difference over the max denominator (another reading)."""
    a, b = _f(a), _f(b)
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(a) + np.abs(b))), 1e-8))


def relative_error_holds(call, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(0, 1, int(rng.integers(1, 6)))
    zero = float(np.asarray(call(np.zeros_like(a), np.zeros_like(a)), dtype=float))
    if zero != 0.0:
        return f"relative_error of two zero arrays returned {zero!r}, expected 0.0"
    ab = float(np.asarray(call(a, 2 * a), dtype=float))
    ba = float(np.asarray(call(2 * a, a), dtype=float))
    if not np.isclose(ab, ba, rtol=1e-12) or not 0 <= ab <= 1:
        return f"relative_error(a, 2a) = {ab:.6g} and relative_error(2a, a) = {ba:.6g}: it is " \
               "symmetric and lies in [0, 1]"
    if not np.isclose(ab, 1 / 3, rtol=1e-9) and not np.all(a == 0):
        return f"relative_error(a, 2a) returned {ab:.6g}, expected 1/3 (|a − 2a| / (|a| + |2a|))"
    return None


# ============================================================== train

def sgd_cases(rng):
    cases = []
    for spec in NETS[:4]:
        _, params, _, _ = make_net(rng, *spec)
        grads = [(rng.normal(0, 1, W.shape), rng.normal(0, 1, b.shape)) for W, b in params]
        cases.append((f"{len(params)} layer(s), lr=0.1", (params, grads, 0.1)))
    return cases


XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])


def train_cases(rng):
    cases = []
    for sizes, acts, lr, epochs in (((2, 3, 1), ("tanh", "sigmoid"), 0.5, 4),
                                    ((2, 4, 3, 1), ("relu", "tanh", "sigmoid"), 0.3, 3)):
        _, params, acts, _ = make_net(rng, sizes, acts, 4)
        cases.append((f"XOR, sizes {list(sizes)}, lr={lr}, {epochs} epochs",
                      (XOR_X, XOR_Y, params, list(acts), lr, epochs)))
    return cases


def train_contract(ctx):
    """len(losses) == epochs, losses[0] is the loss of the initial parameters, and XOR
    training lowers the loss."""
    rng = ctx.rng("train_contract")
    _, params, acts, _ = make_net(rng, (2, 4, 1), ("tanh", "sigmoid"), 4)
    answer = ctx.student.call("train", XOR_X, XOR_Y, params, acts, 2.0, 300)
    if not answer.ok:
        return Outcome(0.0, failure_text("train", answer))
    value = answer.value
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        return Outcome(0.0, f"train returned {describe(value)}; expected (params, losses)")
    losses = np.asarray(value[1], dtype=float) if isinstance(value[1], (list, tuple, np.ndarray)) \
        else None
    if losses is None or losses.shape != (300,):
        return Outcome(0.0, f"losses is {describe(value[1])}; expected 300 numbers for 300 epochs")
    A = XOR_X
    for (W, b), name in zip(params, acts):
        Z = A @ W.T + b
        A = np.tanh(Z) if name == "tanh" else _sigmoid(Z)
    initial = float(np.sum((XOR_Y - A) ** 2) / 8)
    if not np.isclose(losses[0], initial, rtol=1e-6):
        return Outcome(0.0, f"losses[0] = {losses[0]:.6g}, but the initial parameters give "
                            f"{initial:.6g}: record the loss before each update",
                       mistake="losses_after_update")
    if not losses[-1] < losses[0]:
        return Outcome(0.0, f"300 epochs of XOR at lr=2 took the loss from {losses[0]:.4g} to "
                            f"{losses[-1]:.4g}; it should go down")
    return Outcome(1.0, f"XOR: loss {losses[0]:.4g} → {losses[-1]:.4g} in 300 epochs; "
                        "losses[0] is the initial loss")


def _inputs_of(cases_fn, index=0):
    return lambda rng: cases_fn(rng)[index][1]


# ============================================================== the exercises

def _exercises() -> tuple[Exercise, ...]:
    P1, W, P2 = art.P1, art.WORKED, art.P2
    p1_args = (P1["x"], P1["w"], P1["b"], P1["y"])
    worked_args = (_f(W["x"]), _f(W["W1"]), _f(W["b1"]), _f(W["W2"]), _f(W["b2"]))
    worked_labels = ("x=[2]", "W1=[[0.5], [−0.3]]", "b1=[0.1, −0.2]", "W2=[[0.8, −0.4]]", "b2=[0.3]")
    p2_X, p2_Y = _f([P2["x"]]), _f([P2["y"]])
    p2_cache = [(_f(a), _f(z)) for a, z in art.P2_CACHE]
    p2_params = art.p2_params()
    worked_cache = {k: _f(v) for k, v in art.WORKED_FORWARD.items()}

    return (
        activation("sigmoid", _sigmoid, "σ(z) = 1/(1 + e^(−z))", 2, 0, 1,
                   extra_props=[prop("sigmoid", "σ(−z) = 1 − σ(z), values in [0, 1]", 1,
                                     screen=screen_z, holds=sigmoid_shape_holds,
                                     strategy=_floats, args_are_inputs=False)],
                   overflow_mistake="sigmoid_overflow"),
        Exercise("sigmoid_prime", "activations", (
            article("sigmoid_prime", (-0.2,), P1_EXACT_SP, 1, name="Problem 1: σ'(−0.2)",
                    quote="the article rounds it to 0.248"),
            agree("sigmoid_prime", elementwise_cases, 2),
            prop("sigmoid_prime", "σ'(z) = σ(z)(1 − σ(z))", 1, screen=screen_z,
                 holds=equals_truth("sigmoid_prime", lambda z: _sigmoid(z) * (1 - _sigmoid(z)),
                                    "σ'(z) = σ(z)(1 − σ(z))"), strategy=_floats, role=EVIDENCE),
            prop("sigmoid_prime", "σ'(z) = σ'(−z), at most 0.25, 0.25 at z = 0", 1,
                 screen=screen_z, holds=sigmoid_prime_shape_holds, strategy=_floats),
            shape_and_finite("sigmoid_prime", 1),
        )),
        activation("relu", lambda z: np.maximum(z, 0), "relu(z) = max(0, z)", 1.5, 1, 0.5),
        activation("relu_prime", lambda z: (z > 0).astype(float),
                   "relu'(z) is 1 where z > 0 and 0 elsewhere, so relu'(0) = 0", 1.5, 1.5, 1),
        activation("tanh", np.tanh, "tanh(z) = (e^z − e^(−z))/(e^z + e^(−z))", 1.5, 0, 0.5,
                   extra_props=[prop("tanh", "tanh(−z) = −tanh(z), values in [−1, 1]", 1,
                                     screen=screen_z, holds=tanh_shape_holds, strategy=_floats,
                                     args_are_inputs=False)]),
        activation("tanh_prime", lambda z: 1 - np.tanh(z) ** 2, "tanh'(z) = 1 − tanh(z)²",
                   1.5, 1.5, 1),
        Exercise("mse_loss", "neuron", (
            article("mse_loss", (0.0, art.P1_EXACT["y_hat"]), art.P1_EXACT["loss"], 1,
                    name="Problem 1: the loss", quote="the article rounds it to 0.101",
                    labels=("y=0", "ŷ=0.450166")),
            agree("mse_loss", mse_cases, 1),
            prop("mse_loss", "mse_loss(y, ŷ) = ½(y − ŷ)²", 1, screen=lambda rng: [
                (0.0, 1.0), (2.0, -1.0), *[tuple(map(float, r)) for r in rng.normal(0, 3, (20, 2))]],
                holds=mse_holds, strategy=_mse_strategy, role=EVIDENCE, independent=True),
        )),
        Exercise("linear_neuron_grads", "neuron", (
            agree("linear_neuron_grads", neuron_cases, 2),
            neuron_consistency("linear_neuron_grads", lambda z: z),
            returns_two_scalars("linear_neuron_grads"),
        )),
        Exercise("sigmoid_neuron_grads", "neuron", (
            article("sigmoid_neuron_grads", p1_args, (art.P1_EXACT["dw"], art.P1_EXACT["db"]), 2,
                    name="Problem 1: ∂L/∂w and ∂L/∂b", quote=art.P1_ARTICLE,
                    helpers=("sigmoid", "sigmoid_prime")),
            agree("sigmoid_neuron_grads", neuron_cases, 2),
            neuron_consistency("sigmoid_neuron_grads", _sigmoid),
            returns_two_scalars("sigmoid_neuron_grads"),
        ), helpers=("sigmoid", "sigmoid_prime")),
        Exercise("two_layer_forward", "two_layer", (
            article("two_layer_forward", worked_args, art.WORKED_FORWARD, 1.5,
                    name="worked example: forward pass", quote=art.WORKED_ARTICLE,
                    labels=worked_labels, helpers=("sigmoid",)),
            agree("two_layer_forward", two_layer_forward_cases, 3),
            no_mutation("two_layer_forward", _inputs_of(two_layer_forward_cases, 1), 1.5,
                        ("x", "W1", "b1", "W2", "b2")),
        ), helpers=("sigmoid",)),
        Exercise("two_layer_backward", "two_layer", (
            article("two_layer_backward",
                    (worked_args[0], _f(W["y"]), *worked_args[1:], worked_cache),
                    art.WORKED_GRADS, 3, name="worked example: gradients",
                    quote=art.WORKED_ARTICLE, labels=("x", "y", "W1", "b1", "W2", "b2", "cache"),
                    helpers=("sigmoid", "sigmoid_prime")),
            agree("two_layer_backward", two_layer_backward_cases, 5),
            custom("agrees with finite differences of your forward pass", 3, "consistency",
                   two_layer_consistency),
            no_mutation("two_layer_backward", _inputs_of(two_layer_backward_cases, 1), 1,
                        ("x", "y", "W1", "b1", "W2", "b2", "cache")),
        ), helpers=("sigmoid", "sigmoid_prime")),
        Exercise("forward", "network", (
            article("forward", (p2_X, p2_params, art.P2_ACTIVATIONS),
                    (_f(art.P2_Y_HAT), p2_cache), 1.5, name="Problem 2: forward pass",
                    quote=art.P2_NOTE, labels=("X=[[−1]]", "params", "['relu', 'sigmoid']"),
                    helpers=ACTS),
            agree("forward", forward_cases, 4.5),
            custom("returns (A_L, cache) and leaves its inputs untouched", 2, "hygiene",
                   forward_structure),
        ), helpers=ACTS),
        Exercise("loss", "network", (
            article("loss", (_f(art.P2_Y_HAT), p2_Y), art.P2_LOSS, 1, name="Problem 2: the loss",
                    quote="exact: 0.0730583", labels=("Y_hat=[[0.617748]]", "Y=[[1]]")),
            agree("loss", loss_cases, 2),
            prop("loss", "a mean over examples: repeating or reordering the batch changes nothing",
                 1, screen=_seed_screen(2), holds=loss_holds, strategy=_seeds,
                 args_are_inputs=False),
        )),
        Exercise("backward", "network", (
            article("backward", (p2_Y, p2_params, p2_cache, art.P2_ACTIVATIONS),
                    [(_f(a), _f(b)) for a, b in art.P2_GRADS], 2, name="Problem 2: gradients",
                    quote=art.P2_NOTE, labels=("Y=[[1]]", "params", "cache",
                                               "['relu', 'sigmoid']"), helpers=ACTS),
            article("backward", (_f([W["y"]]), [(_f(W["W1"]), _f(W["b1"])), (_f(W["W2"]), _f(W["b2"]))],
                                 [(_f([W["x"]]), _f([art.WORKED_FORWARD["z1"]])),
                                  (_f([art.WORKED_FORWARD["h"]]), _f([art.WORKED_FORWARD["z2"]]))],
                                 ["sigmoid", "sigmoid"]),
                    [(_f(art.WORKED_GRADS["dW1"]), _f(art.WORKED_GRADS["db1"])),
                     (_f(art.WORKED_GRADS["dW2"]), _f(art.WORKED_GRADS["db2"]))], 1,
                    name="worked example as a batch of one", quote=art.WORKED_ARTICLE,
                    labels=("Y=[[1]]", "params", "cache", "['sigmoid', 'sigmoid']"), helpers=ACTS),
            agree("backward", backward_cases, 7),
            custom("agrees with finite differences of your forward and loss", 3, "consistency",
                   backward_consistency),
            prop("backward", "batch gradient = mean of per-example gradients, in any row order",
                 2, screen=_seed_screen(2), holds=batch_holds,
                 strategy=_seeds, args_are_inputs=False),
            no_mutation("backward", backward_mutation_args, 1,
                        ("Y", "params", "cache", "activations")),
        ), helpers=ACTS),
        Exercise("numerical_gradient", "gradcheck", (
            agree("numerical_gradient", numgrad_cases, 3),
            custom("restores x exactly", 1.5, "hygiene", numgrad_restores),
            prop("numerical_gradient", "exact for quadratics", 1.5,
                 screen=_seed_screen(2), holds=numgrad_quadratic_holds, strategy=_seeds,
                 args_are_inputs=False, role=EVIDENCE),
        )),
        Exercise("relative_error", "gradcheck", (
            agree("relative_error", relative_error_cases, 1.5,
                  alternatives=(_relative_error_global,)),
            prop("relative_error", "0.0 for two zero arrays; symmetric; in [0, 1]", 1.5,
                 screen=_seed_screen(2), holds=relative_error_holds, strategy=_seeds,
                 args_are_inputs=False),
        )),
        Exercise("sgd_step", "train", (
            agree("sgd_step", sgd_cases, 2),
            no_mutation("sgd_step", _inputs_of(sgd_cases, 2), 1, ("params", "grads", "lr")),
        )),
        Exercise("train", "train", (
            agree("train", train_cases, 1.5),
            custom("losses[0] is the initial loss; XOR training lowers it", 1, "property",
                   train_contract),
            no_mutation("train", _inputs_of(train_cases, 0), 0.5,
                        ("X", "Y", "params", "activations", "lr", "epochs")),
        ), helpers=TRAIN_HELPERS),
    )


P1_EXACT_SP = art.P1_EXACT["sigma_prime"]
EXERCISES: tuple[Exercise, ...] = _exercises()
BY_NAME = {e.name: e for e in EXERCISES}
