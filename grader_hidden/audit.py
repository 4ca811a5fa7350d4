"""`bpcourse audit`: the grader measures its own strength on mutants of the reference.

Each mutant is the reference solutions with one small change, made with ``ast`` inside one
contract function's body: an operator or comparison swapped, a sign dropped or added, a
transpose dropped, an axis changed, a term or factor dropped, an index off by one, two
arguments swapped, an expression replaced by a constant. Each mutant is

1. compared with the reference on many random inputs (the hidden case generators under 12
   seeds, arguments after the call included): a mutant that agrees everywhere is
   *equivalent* (it computes the same function) and is left out of every rate;
2. graded with the same engine and checks as ``bpcourse grade``, but **in process**: the
   mutant is trusted code (it is ours), so it runs as a ``LocalImpl``-like implementation in
   a forked child of the auditor instead of in the sandbox (the same checks, inputs and fair
   blame by substitution; only the process isolation differs). A child that exceeds its
   time is counted as killed by the grade's deadline.

Per exercise the report gives: non-equivalent mutants, killed (lost points in their own
exercise), survivors (kept full marks; with their diff), killed with a mistake named, and
the blame radius (killed mutants that also cost points in another exercise).
"""
from __future__ import annotations

import ast
import copy
import difflib
import importlib.util
import itertools
import os
import pickle
import select
import signal
import sys
import time
import types
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import grader.exercises  # noqa: F401 - first: it imports this package's modules in order
from grader.contract import FUNCTION_MODULE, MODULES
from grader.impl import LocalImpl

_counter = itertools.count()


# ------------------------------------------------------------------ loading a package in process

def load_package(sources: dict[str, str]) -> tuple[dict, list]:
    """Contract function name → function, from module sources (module name → text), loaded
    as a private package so that relative sibling imports work; and the module objects."""
    name = f"_bp_audit_{os.getpid()}_{next(_counter)}"
    package = types.ModuleType(name)
    package.__path__ = []
    sys.modules[name] = package
    functions, modules = {}, []
    try:
        for module_name in MODULES:
            full = f"{name}.{module_name}"
            spec = importlib.util.spec_from_loader(full, loader=None)
            module = importlib.util.module_from_spec(spec)
            module.__package__ = name
            sys.modules[full] = module
            exec(compile(sources[module_name], f"<audit {module_name}>", "exec"), module.__dict__)
            setattr(package, module_name, module)
            modules.append(module)
            for fn, mod in FUNCTION_MODULE.items():
                if mod == module_name and callable(module.__dict__.get(fn)):
                    functions[fn] = module.__dict__[fn]
    finally:
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]
    return functions, modules


class InProcessStudent(LocalImpl):
    """A trusted implementation graded as a student: ``helpers`` (set by the engine) replace
    its own functions wherever its modules refer to them (module attributes and module-level
    dicts, lists, tuples), as the sandbox worker does."""

    def __init__(self, functions, modules):
        super().__init__(functions, "student")
        self.modules = modules
        self.exercise = None
        self.helpers: dict = {}

    def call(self, fn, *args, return_args=False):
        if not self.helpers:
            return super().call(fn, *args, return_args=return_args)
        saved = []
        try:
            for name, helper in self.helpers.items():
                original = self.functions.get(name)
                if original is None:
                    continue
                for module in self.modules:
                    d = module.__dict__
                    for key, value in list(d.items()):
                        if value is original:
                            saved.append((d, key, value))
                            d[key] = helper
                        elif isinstance(value, dict):
                            for k, v in list(value.items()):
                                if isinstance(v, tuple) and any(x is original for x in v):
                                    saved.append((value, k, v))
                                    value[k] = tuple(helper if x is original else x for x in v)
            return super().call(fn, *args, return_args=return_args)
        finally:
            for container, key, value in reversed(saved):
                container[key] = value


def grade_sources(sources: dict[str, str], seed: tuple = (8, 2026)) -> dict[str, dict]:
    """Grade module sources in process with the grade's checks: exercise → score, max,
    mistakes, first failing message."""
    from grader.engine import run_checks
    from grader.settings import GRADE
    from grader_hidden import VARIANTS
    from grader_hidden.reference import reference_functions

    functions, modules = load_package(sources)
    student = InProcessStudent(functions, modules)
    reference = LocalImpl(reference_functions(), "reference")
    results = run_checks(student, reference, GRADE, seed=seed, variants=VARIANTS)
    out = {}
    for name, r in results.items():
        failing = [c.message for c in r.checks if not c.passed]
        out[name] = {"score": r.score, "max": r.max_score, "mistakes": list(r.mistakes),
                     "message": failing[0] if failing else ""}
    return out


def solution_sources(root: Path | None = None) -> dict[str, str]:
    from grader_hidden.reference import solutions_dir

    root = root or solutions_dir()
    return {m: (root / f"{m}.py").read_text(encoding="utf-8") for m in MODULES}


# ------------------------------------------------------------------ mutants

@dataclass
class Mutant:
    module: str
    function: str
    operator: str
    line: int
    source: str  # the whole mutated module
    diff: str = ""


_BINOP_SWAPS = {ast.Add: [ast.Sub], ast.Sub: [ast.Add], ast.Mult: [ast.Div, ast.Add],
                ast.Div: [ast.Mult, ast.FloorDiv], ast.MatMult: [ast.Mult], ast.Pow: [ast.Mult],
                ast.FloorDiv: [ast.Div]}
_CMP_SWAPS = {ast.Gt: [ast.GtE, ast.Lt], ast.GtE: [ast.Gt], ast.Lt: [ast.LtE, ast.Gt],
              ast.LtE: [ast.Lt], ast.Eq: [ast.NotEq], ast.NotEq: [ast.Eq]}
_NON_COMMUTATIVE = (ast.Sub, ast.Div, ast.MatMult, ast.Pow)


def _constant_changes(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return []
    out = {value + 1, value - 1, 0 if value else 1, -value if value else 1}
    if isinstance(value, float) and value not in (0.0, 1.0):
        out |= {value * 10, value / 10}
    out.discard(value)
    return sorted(out, key=repr)


class _Sites(ast.NodeVisitor):
    """Every mutation site in a function body, as (operator, line, apply) where apply(node)
    returns the replacement of the node (or None to leave it)."""

    def __init__(self):
        self.sites: list[tuple[int, str, int, object]] = []  # node id, operator, line, make
        self._in_docstring = set()

    def add(self, node, operator, make):
        self.sites.append((id(node), operator, getattr(node, "lineno", 0), make))

    def visit_BinOp(self, node):
        for new in _BINOP_SWAPS.get(type(node.op), []):
            self.add(node, f"operator {type(node.op).__name__}→{new.__name__}",
                     lambda n, new=new: ast.BinOp(n.left, new(), n.right))
        if isinstance(node.op, _NON_COMMUTATIVE):
            self.add(node, "operands swapped", lambda n: ast.BinOp(n.right, n.op, n.left))
        if isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            self.add(node, "right term/factor dropped", lambda n: n.left)
            if isinstance(node.op, (ast.Add, ast.Mult)):
                self.add(node, "left term/factor dropped", lambda n: n.right)
        self.add(node, "expression → constant 1.0", lambda n: ast.Constant(1.0))
        self.generic_visit(node)

    def visit_UnaryOp(self, node):
        if isinstance(node.op, ast.USub):
            self.add(node, "sign dropped", lambda n: n.operand)
        self.generic_visit(node)

    def visit_Compare(self, node):
        if len(node.ops) == 1:
            for new in _CMP_SWAPS.get(type(node.ops[0]), []):
                self.add(node, f"comparison {type(node.ops[0]).__name__}→{new.__name__}",
                         lambda n, new=new: ast.Compare(n.left, [new()], n.comparators))
        self.generic_visit(node)

    def visit_Attribute(self, node):
        if node.attr == "T":
            self.add(node, "transpose dropped", lambda n: n.value)
        self.generic_visit(node)

    def visit_Constant(self, node):
        for new in _constant_changes(node.value):
            self.add(node, f"constant {node.value!r}→{new!r}", lambda n, new=new: ast.Constant(new))

    def visit_Call(self, node):
        if len(node.args) >= 2 and not node.keywords:
            self.add(node, "arguments swapped",
                     lambda n: ast.Call(n.func, [n.args[1], n.args[0], *n.args[2:]], n.keywords))
        for i, kw in enumerate(node.keywords):
            if kw.arg == "axis":
                self.add(node, "axis dropped",
                         lambda n, i=i: ast.Call(n.func, n.args, n.keywords[:i] + n.keywords[i + 1:]))
        self.generic_visit(node)

    def visit_Subscript(self, node):
        if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, int):
            v = node.slice.value
            for new in (v + 1, v - 1):
                self.add(node, f"index {v}→{new}",
                         lambda n, new=new: ast.Subscript(n.value, ast.Constant(new), n.ctx))
            self.visit(node.value)
            return
        self.generic_visit(node)

    def visit_Expr(self, node):  # docstrings are not code
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return
        self.generic_visit(node)


class _Replace(ast.NodeTransformer):
    def __init__(self, target: int, make):
        self.target, self.make, self.done = target, make, False

    def generic_visit(self, node):
        if id(node) == self.target and not self.done:
            self.done = True
            new = self.make(node)
            return ast.copy_location(new, node) if new is not None else node
        return super().generic_visit(node)


def mutants(sources: dict[str, str], functions: tuple[str, ...] | None = None) -> list[Mutant]:
    """Every single-change mutant of the contract functions' bodies."""
    out = []
    for module in MODULES:
        text = sources[module]
        tree = ast.parse(text)
        for i, node in enumerate(tree.body):
            if not isinstance(node, ast.FunctionDef) or FUNCTION_MODULE.get(node.name) != module:
                continue
            if functions and node.name not in functions:
                continue
            sites = _Sites()
            for stmt in node.body:
                sites.visit(stmt)
            seen = set()
            for k, (_, operator, line, make) in enumerate(sites.sites):
                work = copy.deepcopy(tree)
                # the k-th site of the copy: walk it in the same order
                copy_sites = _Sites()
                for stmt in work.body[i].body:
                    copy_sites.visit(stmt)
                target, _, _, make = copy_sites.sites[k]
                replacer = _Replace(target, make)
                work.body[i] = replacer.visit(work.body[i])
                try:
                    ast.fix_missing_locations(work)
                    new_text = ast.unparse(work)
                    compile(new_text, "<mutant>", "exec")
                except Exception:  # noqa: BLE001 - a change that does not make valid code
                    continue
                if new_text in seen:
                    continue
                seen.add(new_text)
                base = ast.unparse(tree).splitlines()
                diff = "\n".join(l for l in difflib.unified_diff(
                    base, new_text.splitlines(), lineterm="", n=0) if l[:1] in "+-"
                    and l[:3] not in ("+++", "---"))
                out.append(Mutant(module, node.name, operator, line,
                                  _with_original_layout(sources, module, new_text), diff))
    return out


def _with_original_layout(sources, module, text):
    return text


# ------------------------------------------------------------------ equivalence

def _case_generators():
    from grader_hidden import activations, gradcheck, network, neuron, train, two_layer

    gens = {fn: activations.elementwise_cases for fn in
            ("sigmoid", "sigmoid_prime", "relu", "relu_prime", "tanh", "tanh_prime")}
    gens.update({"mse_loss": neuron.mse_cases, "linear_neuron_grads": neuron.neuron_cases,
                 "sigmoid_neuron_grads": neuron.neuron_cases,
                 "two_layer_forward": two_layer.two_layer_forward_cases,
                 "two_layer_backward": two_layer.two_layer_backward_cases,
                 "forward": network.forward_cases, "loss": network.loss_cases,
                 "backward": network.backward_cases,
                 "numerical_gradient": gradcheck.numgrad_cases,
                 "relative_error": gradcheck.relative_error_cases,
                 "sgd_step": train.sgd_cases, "train": train.train_cases})
    return gens


def _extra_inputs(fn):
    """Inputs beyond the hidden cases: the shapes the contract allows that they may miss."""
    if fn in ("sigmoid", "sigmoid_prime", "relu", "relu_prime", "tanh", "tanh_prime"):
        return [(0.0,), (np.array(0.0),), (np.zeros(3),), (np.array([-1e-300, 1e-300]),)]
    if fn == "mse_loss":
        return [(np.array([1.0, -2.0, 0.5]), np.array([0.5, 0.5, 0.5])), (np.array(1.0), 0.0)]
    if fn == "relative_error":
        return [(np.zeros(3), np.zeros(3)), (np.array([1.0, 2.0]), np.array([1.5, 2.0]))]
    return []


def _same(a, b) -> bool:
    from grader.compare import mismatch

    if a.status != b.status:
        return False
    if a.status != "ok":
        return True
    if mismatch(a.value, b.value, 1e-9, 1e-12) is not None:
        return False
    from grader.checks import _first_change

    return a.args_after is None or _first_change(b.args_after, a.args_after) is None


def equivalent(mutant: Mutant, sources, reference_functions, seeds: int = 12) -> bool:
    """Same outputs (and arguments after the call) as the reference on many random inputs."""
    mutated = dict(sources, **{mutant.module: mutant.source})
    functions, _ = load_package(mutated)
    mine, ref = LocalImpl(functions, "mutant"), LocalImpl(reference_functions, "reference")
    fn = mutant.function
    gen = _case_generators()[fn]
    inputs = list(_extra_inputs(fn))
    for s in range(seeds):
        inputs += [args for _, args in gen(np.random.default_rng([7, s]))]
    for args in inputs:
        if not _same(mine.call(fn, *args, return_args=True), ref.call(fn, *args, return_args=True)):
            return False
    return True


# ------------------------------------------------------------------ running

@dataclass
class Verdict:
    mutant: Mutant
    equivalent: bool = False
    own_lost: bool = False
    named: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)  # other exercises that lost points
    timed_out: bool = False
    error: str = ""


def _in_child(work, timeout: float):
    """Run ``work()`` in a forked child; its pickled result, or ("timeout",) / ("error", text)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            data = pickle.dumps(("ok", work()))
        except BaseException as exc:  # noqa: BLE001 - report anything, never return
            data = pickle.dumps(("error", f"{type(exc).__name__}: {exc}"))
        with os.fdopen(w, "wb") as f:
            f.write(data)
        os._exit(0)
    os.close(w)
    chunks, deadline = [], time.monotonic() + timeout
    with os.fdopen(r, "rb") as f:
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([f], [], [], max(left, 0))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return ("timeout",)
            chunk = os.read(f.fileno(), 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    os.waitpid(pid, 0)
    try:
        return pickle.loads(b"".join(chunks))
    except Exception:  # noqa: BLE001
        return ("error", "the child died")


def audit(functions: tuple[str, ...] | None = None, *, limit_per_function: int | None = None,
          timeout: float = 120.0, progress=None) -> list[Verdict]:
    from grader_hidden.reference import reference_functions

    sources = solution_sources()
    ref = reference_functions()
    found = mutants(sources, functions)
    if limit_per_function:
        kept, count = [], {}
        for m in found:  # spread over the function: every k-th site
            count.setdefault(m.function, []).append(m)
        for fn, ms in count.items():
            step = max(1, len(ms) // limit_per_function)
            kept += ms[::step][:limit_per_function]
        found = kept
    verdicts = []
    for k, m in enumerate(found):
        v = Verdict(m)
        try:
            v.equivalent = equivalent(m, sources, ref)
        except Exception as exc:  # noqa: BLE001
            v.error = f"equivalence: {exc}"
        if not v.equivalent:
            result = _in_child(lambda: grade_sources(dict(sources, **{m.module: m.source})),
                               timeout)
            if result[0] == "ok":
                grades = result[1]
                own = grades[m.function]
                v.own_lost = own["score"] < own["max"]
                v.named = own["mistakes"]
                v.others = [n for n, g in grades.items()
                            if n != m.function and g["score"] < g["max"]]
            elif result[0] == "timeout":
                v.timed_out = v.own_lost = True
            else:
                v.error = result[1]
        verdicts.append(v)
        if progress:
            progress(k + 1, len(found), v)
    return verdicts


def summary(verdicts: list[Verdict]) -> dict[str, dict]:
    rows: dict[str, dict] = {}
    for fn in FUNCTION_MODULE:
        vs = [v for v in verdicts if v.mutant.function == fn]
        if not vs:
            continue
        live = [v for v in vs if not v.equivalent]
        killed = [v for v in live if v.own_lost]
        rows[fn] = {"mutants": len(vs), "equivalent": len(vs) - len(live), "graded": len(live),
                    "killed": len(killed),
                    "kill_rate": len(killed) / len(live) if live else 1.0,
                    "named": sum(1 for v in killed if v.named),
                    "blame_radius": sum(1 for v in live if v.others),
                    "survivors": [v for v in live if not v.own_lost],
                    "spread": [v for v in live if v.others]}
    return rows


def render(rows: dict[str, dict], show_diffs: bool = True) -> str:
    lines = [f"{'exercise':22} {'mutants':>7} {'equiv':>5} {'graded':>6} {'killed':>6} "
             f"{'rate':>6} {'named':>6} {'radius':>6}"]
    tot = {"mutants": 0, "equivalent": 0, "graded": 0, "killed": 0, "named": 0,
           "blame_radius": 0}
    for fn, r in rows.items():
        named = f"{r['named'] / r['killed']:.0%}" if r["killed"] else "-"
        lines.append(f"{fn:22} {r['mutants']:7d} {r['equivalent']:5d} {r['graded']:6d} "
                     f"{r['killed']:6d} {r['kill_rate']:6.1%} {named:>6} {r['blame_radius']:6d}")
        for key in tot:
            tot[key] += r[key]
    rate = tot["killed"] / tot["graded"] if tot["graded"] else 1.0
    named = f"{tot['named'] / tot['killed']:.0%}" if tot["killed"] else "-"
    lines.append(f"{'all':22} {tot['mutants']:7d} {tot['equivalent']:5d} {tot['graded']:6d} "
                 f"{tot['killed']:6d} {rate:6.1%} {named:>6} {tot['blame_radius']:6d}")
    if show_diffs:
        for fn, r in rows.items():
            for v in r["survivors"]:
                lines.append(f"\nsurvivor in {fn} ({v.mutant.operator}, line {v.mutant.line}):")
                lines += ["    " + d for d in v.mutant.diff.splitlines()]
            for v in r["spread"]:
                lines.append(f"\nblame outside {fn} ({v.mutant.operator}): also cost "
                             f"{', '.join(v.others)}")
                lines += ["    " + d for d in v.mutant.diff.splitlines()]
    return "\n".join(lines)
