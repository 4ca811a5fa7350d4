"""Exercise home of `network`: forward, loss and backward for any number of layers.

Public checks: the article's Problem 2 and worked example, finite differences of the student's
own forward and loss, the batch mean, structure and untouched arguments. Hidden cases and
variants: ``grader_hidden.network``.
"""
from __future__ import annotations

import numpy as np

from grader import article as art
from grader.checks import (EVIDENCE, Failure, Outcome, article, custom, failure_text,
                           no_mutation, prop)
from grader.compare import describe, mismatch
from grader.exercises._common import (Exercise, _f, _seed_screen, _seeds, directional_check,
                                      hidden_checks, ratio_name)
from grader.exercises.activations import ACTS

FUNCTIONS = ("forward", "loss", "backward")

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



def loss_holds(call, seed):
    """The contract's formula ‖Y − Ŷ‖²_F / (2B); duplicating the batch or permuting its rows
    leaves it unchanged. A wrong answer off by a known factor names its mistake."""
    rng = np.random.default_rng(seed)
    B, m = int(rng.integers(2, 6)), int(rng.integers(2, 4))
    Y_hat, Y = rng.uniform(0, 1, (B, m)), rng.uniform(0, 1, (B, m))
    base = call(Y_hat, Y)
    if not isinstance(base, (int, float, np.number, np.ndarray)) or isinstance(base, bool) \
            or np.shape(base) != ():
        return f"loss returned {describe(base)}; expected one number"
    base = np.asarray(base, dtype=float)
    want = float(np.sum((Y - Y_hat) ** 2) / (2 * B))
    if not np.isclose(float(base), want, rtol=1e-9, atol=1e-15):
        return Failure(f"with B={B}, m={m}: loss returned {float(base):.6g}, expected {want:.6g} "
                       "(‖Y − Ŷ‖² / (2B))",
                       ratio_name(float(base) / want, {
                           1.0 / m: "loss_averages_outputs", float(B): "loss_missing_1_over_B",
                           2.0: "loss_missing_half"}))
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
        begin = getattr(ctx.student, "begin_example", None)
        if begin is not None:
            begin()  # each network's calls are compared with each other only
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
            B = spec[2]
            reason = directional_check([g for pair in grads for g in pair],
                                       [a for pair in params for a in pair], objective, rng, names,
                                       transposed="transposed_dW",
                                       factors={float(B): "missing_1_over_B",
                                                1.0 / B: "divide_by_B_twice", -1.0: "sign_flip"})
        except ValueError as exc:
            return Outcome(0.0, f"needs {whose} forward and loss: {exc}")
        except TypeError:
            return Outcome(0.0, "backward returned gradients that are not arrays of numbers")
        if reason:
            return Outcome(0.0, f"{net_label(*spec)}: backward disagrees with {whose} "
                                f"loss(forward(...)): {reason}",
                           mistake=getattr(reason, "mistake", None))
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



def exercises(hidden) -> tuple[Exercise, ...]:
    W, P2 = art.WORKED, art.P2
    p2_X, p2_Y = _f([P2["x"]]), _f([P2["y"]])
    p2_cache = [(_f(a), _f(z)) for a, z in art.P2_CACHE]
    p2_params = art.p2_params()
    return (
        Exercise("forward", "network", (
            article("forward", (p2_X, p2_params, art.P2_ACTIVATIONS),
                    (_f(art.P2_Y_HAT), p2_cache), 1.5, name="Problem 2: forward pass",
                    quote=art.P2_NOTE, labels=("X=[[−1]]", "params", "['relu', 'sigmoid']"),
                    helpers=ACTS),
            *hidden_checks(hidden, "forward"),
            custom("returns (A_L, cache) and leaves its inputs untouched", 2, "hygiene",
                   forward_structure),
        ), helpers=ACTS),
        Exercise("loss", "network", (
            article("loss", (_f(art.P2_Y_HAT), p2_Y), art.P2_LOSS, 1, name="Problem 2: the loss",
                    quote="exact: 0.0730583", labels=("Y_hat=[[0.617748]]", "Y=[[1]]")),
            *hidden_checks(hidden, "loss"),
            prop("loss", "‖Y − Ŷ‖² / (2B): a mean over examples (repeating or reordering the "
                 "batch changes nothing)", 0.5, screen=_seed_screen(2), holds=loss_holds,
                 strategy=_seeds, args_are_inputs=False, role=EVIDENCE),
            no_mutation("loss", lambda rng: (rng.uniform(0, 1, (3, 2)), rng.uniform(0, 1, (3, 2))),
                        0.5, ("Y_hat", "Y")),
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
            *hidden_checks(hidden, "backward"),
            custom("agrees with finite differences of your forward and loss", 3, "consistency",
                   backward_consistency, uses=("forward", "loss")),
            prop("backward", "batch gradient = mean of per-example gradients, in any row order",
                 2, screen=_seed_screen(2), holds=batch_holds,
                 strategy=_seeds, args_are_inputs=False),
            no_mutation("backward", backward_mutation_args, 1,
                        ("Y", "params", "cache", "activations")),
        ), helpers=ACTS),
    )


MISTAKES = {
    "transposed_dW": "the article's slip: (1/B)·A_prevᵀ·Δ has shape (n_in, n_out), the transpose "
                     "of W; the right formula is dW = (1/B)·Δᵀ·A_prev",
    "db_wrong_axis": "db summed over the wrong axis: sum over the rows (the examples), axis 0",
    "loss_averages_outputs": "the loss averages over outputs as well as examples: divide by 2B, "
                             "not 2·B·m (invisible with one output)",
    "loss_missing_1_over_B": "the loss is a mean over the batch: divide by 2B",
    "only_two_layers": "the code only works for two layers; loop over all layers",
    "bias_missing": "the bias is left out: each layer's pre-activation adds its b",
    "cache_holds_outputs": "the cache holds the wrong arrays: each layer's entry is its input "
                           "A_prev and its pre-activation Z, what backward needs to compute dW "
                           "and g'(Z)",
    "hidden_derivative_missing": "only the output layer's activation derivative is applied: "
                                 "every delta sent back into a hidden layer needs that "
                                 "layer's g'(Z) too",
    "wrong_layer_W": "the error is sent back through the wrong layer's weights: the delta of "
                     "layer ℓ comes through the W of the layer after it (invisible when the "
                     "shapes agree)",
}
