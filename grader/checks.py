"""Kinds of check, and the context they run in.

A check is data: a name, points, a kind, a visibility and a ``run(ctx) -> Outcome``. The
constructors below (``agree``, ``article``, ``prop``, ``no_mutation``) build the usual
ones; ``grader.exercises`` (public) and ``grader_hidden`` (hidden) declare which checks each
exercise has. A check's policy (does it need the reference, does it count as evidence, is
it scaled by the evidence) is read from its kind and role here, never tested by name in
the engine. Every check calls
implementations only through ``Impl.call``, so the same check runs against the student, the
reference or a known-wrong variant.
"""
from __future__ import annotations

import copy
import zlib
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np

from grader.compare import credit_by_output, describe, mismatch, named
from grader.impl import FUNCTION_MODULE, LocalImpl, trusted
from grader.results import HIDDEN, PUBLIC
from grader.settings import Settings

ACTIVATION_FUNCTIONS = ("sigmoid", "sigmoid_prime", "relu", "relu_prime", "tanh", "tanh_prime")


@dataclass
class Outcome:
    fraction: float  # share of the points earned, 0..1
    message: str
    student_message: str | None = None  # for hidden checks: what students may read
    mistake: str | None = None
    advice: str | None = None  # a note for the exercise that costs no points


# What a check's points stand for, and when they count:
# - EVIDENCE: the answer itself is right on inputs the student has not seen (hidden
#   reference cases, finite differences of their own code, formulas on random inputs);
# - ARTICLE: the article's public problems, whose answers anyone can look up;
# - SUPPORTING: properties a degenerate answer can also have (symmetry, invariance, shapes,
#   untouched arguments).
# Article and supporting points count only beside evidence: the engine scales them by the
# share of the exercise's evidence points earned, so a table of public answers, a constant
# or a stub earns nothing.
EVIDENCE, ARTICLE, SUPPORTING = "evidence", "article", "supporting"


@dataclass(frozen=True)
class Check:
    name: str
    points: float
    kind: str  # article | reference | property | consistency | hygiene
    visibility: str
    run: Callable[["Context"], Outcome]
    role: str = EVIDENCE
    # The calls this check will make that no check compares with another call: (args,
    # return_args) pairs. The engine runs an exercise's in one process before its checks
    # (one fork instead of one per check); the checks then find the answers memoised.
    independent_calls: Callable[["Context"], list] | None = None
    # The student's other functions this check calls (besides its own): in `check`, where no
    # correct version can be supplied, an excusable check waits while one of them fails.
    uses: tuple[str, ...] = ()

    @property
    def excusable(self) -> bool:
        kind = KINDS.get(self.kind)
        return bool(self.uses) and bool(kind and kind.excusable)

    @property
    def needs_reference(self) -> bool:
        """Runs only beside the reference (``grade``): hidden cases, comparisons."""
        kind = KINDS.get(self.kind)
        return self.visibility == HIDDEN or bool(kind and kind.needs_reference)

    @property
    def is_evidence(self) -> bool:
        return self.role == EVIDENCE

    @property
    def needs_evidence(self) -> bool:
        """Counts only beside evidence: scaled by the share of evidence points earned."""
        return self.role in _WHY_SCALED

    @property
    def why_scaled(self) -> str:
        return _WHY_SCALED.get(self.role, "")


@dataclass(frozen=True)
class Kind:
    """What a kind of check is, and the policy the engine applies to it."""
    name: str
    needs_reference: bool  # compares with correct code: only in the instructor's install
    default_role: str  # what its points stand for unless the check says otherwise
    # In `check` (no reference to supply correct helpers from): not counted, rather than
    # charged, while a function it ``uses`` fails its own checks.
    excusable: bool = False


KINDS = {k.name: k for k in (
    Kind("article", False, ARTICLE),
    Kind("reference", True, EVIDENCE),
    Kind("property", False, EVIDENCE, excusable=True),  # prop(): SUPPORTING unless told
    Kind("consistency", False, EVIDENCE, excusable=True),
    Kind("hygiene", False, SUPPORTING),
)}


class Failure(str):
    """A check's failure message that also names the mistake it recognised (found from the
    student's own answers: a ratio, a shape, a scaling), or None."""

    mistake: str | None

    def __new__(cls, text: str, mistake: str | None = None):
        obj = super().__new__(cls, text)
        obj.mistake = mistake
        return obj

# Roles whose points count only beside evidence, and what feedback says when they are scaled.
_WHY_SCALED = {ARTICLE: "the article's answers are public",
               SUPPORTING: "a wrong answer can have this property too"}


@dataclass
class Context:
    student: object  # grader.impl.StudentImpl
    reference: LocalImpl | None  # None when grading public checks only
    settings: Settings
    failed: set[str] = field(default_factory=set)  # exercises that have lost points so far
    seed: tuple = ()  # entropy of every input: the course secret's words, or the public seed
    # Known-wrong variants by function (the hidden part's); empty without it.
    variants: dict = field(default_factory=dict)
    # Correct helpers the public side may supply without a reference: formulas the public
    # checks state anyway (the activations), used in `check` in place of failed helpers.
    truths: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.seed:
            self.seed = (self.settings.seed,)

    def rng(self, label: str) -> np.random.Generator:
        return np.random.default_rng([*self.seed, zlib.crc32(label.encode())])

    def helpers_for(self, helpers: Iterable[str]) -> dict[str, Callable]:
        """Correct versions, from the trusted side, of the student's helpers that lost points
        in their own exercises: the student's function is judged with these in their place,
        so one bug costs once and a failure never earns a point."""
        if self.reference is None:
            return {fn: trusted(self.truths[fn])
                    for fn in sorted(set(helpers) & self.failed & set(self.truths))}
        return {fn: trusted(self.reference.functions[fn])
                for fn in sorted(set(helpers) & self.failed)}

    def waits_for(self, check: "Check") -> list[str]:
        """The failed functions an excusable check waits for (only without a reference)."""
        if self.reference is not None or not check.excusable:
            return []
        return sorted((set(check.uses) & self.failed) - set(self.truths))


def _got_expected(got, expected) -> str:
    """'; got …, expected …' for arrays and numbers; nothing for nested structures."""
    from grader.compare import _as_array

    if _as_array(got) is None or _as_array(expected) is None:
        return ""
    return f"; got {describe(got)}, expected {describe(expected)}"


DID_NOT_FINISH = "did not finish in time"  # said of a call that timed out


class CallFailed(Exception):
    """The student's function did not return (raised, hung, crashed, missing)."""


def failure_text(fn: str, answer) -> str:
    module = FUNCTION_MODULE.get(fn, "?")
    status, error = answer.status, answer.error
    if status == "missing":
        return f"{fn} is not defined in {module}.py"
    if status == "import":
        return f"{module}.py could not be imported: {error}"
    if status == "exception":
        if error.startswith("NotImplementedError"):
            return f"{fn} is not written yet ({error})"
        return f"{fn} raised {error}"
    if status == "timeout":
        return f"{fn} {DID_NOT_FINISH} (an endless loop?); it is not called again"
    if status == "crashed":
        return f"{fn} ended its own process ({error})"
    if status == "protocol":
        return f"{fn} returned something the grader cannot accept: {error}"
    return f"{fn} was not run: {error}"


_SCALAR_ONLY = ("truth value of an array with more than one element is ambiguous",
                "only length-1 arrays can be converted", "only size-1 arrays can be converted",
                "only 0-dimensional arrays can be converted",
                "can only convert an array of size 1")


def failure_mistake(text: str) -> str | None:
    """A mistake named from the way a call failed, without any correct code: numpy's
    complaints when an `if`, `max` or `float` written for one number meets an array."""
    return "only_scalars" if any(s in text for s in _SCALAR_ONLY) else None


class StudentCalls:
    """``calls(*args)`` calls the check's own function, ``calls.forward(...)`` any other; each
    returns the student's value or raises CallFailed."""

    def __init__(self, ctx: Context, fn: str):
        self._ctx, self._fn = ctx, fn
        self.last = None  # the last value returned: feedback when it is not usable

    def _call(self, fn: str, args: tuple):
        answer = self._ctx.student.call(fn, *args)
        if not answer.ok:
            raise CallFailed(failure_text(fn, answer))
        self.last = answer.value
        return answer.value

    def __call__(self, *args):
        return self._call(self._fn, args)

    def _next_example(self) -> None:
        """The calls that follow are compared with each other, not with those before."""
        begin = getattr(self._ctx.student, "begin_example", None)
        if begin is not None:
            begin()

    def __getattr__(self, fn: str):
        if fn.startswith("_"):
            raise AttributeError(fn)
        return lambda *args: self._call(fn, args)


def _materialised(args):
    return copy.deepcopy(args)


def detect_mistake(fn: str, args: tuple, got, select, ctx: Context,
                   expected=None) -> str | None:
    """The name of the known mistake whose variant reproduces ``got``, if any. With
    ``expected`` (the right answer), a function with several outputs also has the mistake
    when its wrong outputs are those of the variant (e.g. only ``dW2`` transposed)."""
    found = detect_mistakes(fn, args, got, select, ctx, expected, first_only=True)
    return found[0] if found else None


def detect_mistakes(fn: str, args: tuple, got, select, ctx: Context, expected=None, *,
                    first_only: bool = False) -> list[str]:
    """Every known mistake whose variant reproduces ``got`` (see ``detect_mistake``): on
    some inputs two slips give the same answer (swapped dw and db, or a flipped sign, at
    x = −1), so a check weighs several wrong cases."""
    from grader.compare import output_parts, _part

    found: list[str] = []
    tol = (ctx.settings.rtol, ctx.settings.atol)
    parts = output_parts(fn, expected) if expected is not None else []
    for mistake, variant in ctx.variants.get(fn, ()):
        if first_only and found:
            break
        if mistake in found:
            continue
        try:
            with np.errstate(all="ignore"):
                value = select(variant(*_materialised(args)))
            if mismatch(select(got), value, *tol) is None:
                found.append(mistake)
                continue
            if len(parts) < 2:
                continue
            wrong = [path for _, path in parts
                     if mismatch(_part(select(got), path), _part(expected, path), *tol)]
            if wrong and all(mismatch(_part(select(got), path), _part(value, path), *tol) is None
                             and mismatch(_part(value, path), _part(expected, path), *tol)
                             for path in wrong):
                found.append(mistake)
        except Exception:  # a variant may not fit these shapes (e.g. W where Wᵀ belongs)
            continue
    return found


def _identity(value):
    return value


def _call_text(fn: str, args: tuple, labels: tuple[str, ...] | None = None) -> str:
    if labels:
        return f"{fn}({', '.join(labels)})"
    return f"{fn}({', '.join(describe(a) for a in args)})"


# ---------------------------------------------------------------------------- agree

def agree(fn: str, cases: Callable[[np.random.Generator], list[tuple[str, tuple]]], points: float,
          *, name: str = "agrees with the reference on hidden inputs", select=_identity,
          alternatives: tuple[Callable, ...] = (), rtol: float | None = None) -> Check:
    """Hidden comparison with the reference on inputs drawn from the course secret; partial
    credit per case. The cases are compared with the reference only, never with each other,
    so they run in one process."""

    def run(ctx: Context) -> Outcome:
        tol = (rtol or ctx.settings.rtol, ctx.settings.atol)
        all_cases = cases(ctx.rng(fn + name))
        answers = ctx.student.call_many(fn, [args for _, args in all_cases])
        passed, earned, first, mistake, detections = 0, 0.0, None, None, 0
        wrong_outputs: list[str] = []
        tally: dict[str, int] = {}
        for (label, args), got in zip(all_cases, answers):
            if not got.ok:
                first = first or (label, failure_text(fn, got), None, None)
                mistake = mistake or failure_mistake(got.error or "")
                continue
            expected = ctx.reference.call(fn, *args)
            if not expected.ok:
                raise RuntimeError(f"reference {fn} failed on {label}: {expected.error}")
            share, reason, wrong = credit_by_output(fn, select(got.value),
                                                    select(expected.value), *tol)
            reason = named(fn, reason)
            for alternative in alternatives if reason else ():
                alt = LocalImpl({fn: alternative}, "alternative").call(fn, *args)
                if alt.ok and mismatch(select(got.value), select(alt.value), *tol) is None:
                    reason, share = None, 1.0
            earned += share
            wrong_outputs += [w for w in wrong if w not in wrong_outputs]
            if reason is None:
                passed += 1
                continue
            if detections < 3:  # any wrong value may name the mistake: the most often wins
                detections += 1
                for found in detect_mistakes(fn, args, got.value, select, ctx,
                                             select(expected.value)):
                    tally[found] = tally.get(found, 0) + 1
            if first is None:
                first = (label, reason, got.value, expected.value)
        n = len(all_cases)
        if tally:  # the mistake that explains the most wrong cases (the first on a tie)
            mistake = max(tally, key=tally.__getitem__)
        constant = _constant_answers(fn, all_cases, answers, ctx)
        if constant is not None:
            return Outcome(0.0, f"{fn} gives {constant:.6g} everywhere, whatever its input: a "
                                "constant is not an answer, even where it happens to be right")
        if first is None:
            return Outcome(1.0, f"right on all {n} hidden cases" + _with_helpers(ctx))
        label, reason, got, expected = first
        if got is None and passed == 0 and mistake in (None, "only_scalars"):
            return Outcome(0.0, reason, mistake=mistake)  # it never answered: say why, once
        head = f"{n - passed} of {n} hidden cases wrong{_outputs_text(wrong_outputs)}; " \
               f"first: {label}: {reason}"
        detail = head if got is None else head + _got_expected(got, expected)
        student = detail if ctx.settings.reveal_expected else head
        return Outcome(earned / n, detail, student, mistake)

    return Check(name, points, "reference", HIDDEN, run,
                 independent_calls=lambda ctx: [(args, False) for _, args in
                                                cases(ctx.rng(fn + name))])


def _constant_answers(fn: str, cases, answers, ctx: Context) -> float | None:
    """No credit without an answer: when every number the student gave over all the cases
    of a check is one and the same (zeros, a constant) and the reference's are not, the
    cases it happens to match (relu of a negative number, the loss of y = ŷ) earn nothing."""
    from grader.compare import one_repeated_number

    got = [a.value for a in answers if a.ok]
    if len(got) < 2:
        return None
    constant = one_repeated_number(got)
    if constant is None:
        return None
    expected = [ctx.reference.call(fn, *args) for _, args in cases]
    if one_repeated_number([e.value for e in expected if e.ok]) is not None:
        return None
    return constant


def _outputs_text(wrong: list[str]) -> str:
    """' (wrong outputs: db1, db2; the others earn their share)' when only some are wrong."""
    if not wrong:
        return ""
    return f" (wrong outputs: {', '.join(wrong)}; each right output earns its share)"


def _with_helpers(ctx: Context) -> str:
    used = sorted(getattr(ctx.student, "helpers", None) or ())
    if not used:
        return ""
    return (f"; judged with correct versions of {', '.join(used)} in place of yours, which "
            "lose points in their own exercises")


# ---------------------------------------------------------------------------- article

def article(fn: str, args: tuple, expected, points: float, *, name: str, quote: str,
            select=_identity, labels: tuple[str, ...] | None = None,
            helpers: tuple[str, ...] = ()) -> Check:
    """A problem from the article, graded against the exact value; feedback quotes the
    article's rounded figure. Its points count only beside evidence (see ARTICLE)."""

    def run(ctx: Context) -> Outcome:
        call = _call_text(fn, args, labels)
        got = ctx.student.call(fn, *args)
        if not got.ok:
            return Outcome(0.0, f"{call}: {failure_text(fn, got)}")
        tol = (ctx.settings.rtol, ctx.settings.atol)
        share, reason, wrong = credit_by_output(fn, select(got.value), expected, *tol)
        reason = named(fn, reason)
        if reason is None:
            return Outcome(1.0, f"{call} gives the exact values ({quote})" + _with_helpers(ctx))
        mistake = detect_mistake(fn, args, got.value, select, ctx, expected)
        msg = (f"{call}: {reason}{_got_expected(select(got.value), expected)}"
               f"{_outputs_text(wrong)} ({quote})")
        blamed = sorted(set(helpers) & ctx.failed)
        if blamed and ctx.reference is None:
            msg += f"; note that {', '.join(blamed)}, which this uses, fails its own checks"
        return Outcome(share, msg, mistake=mistake)

    return Check(name, points, "article", PUBLIC, run, role=ARTICLE,
                 independent_calls=lambda ctx: [(args, False)])


# ---------------------------------------------------------------------------- properties

class PropertyFailed(AssertionError):
    pass


def prop(fn: str, name: str, points: float, *, screen: Callable[[np.random.Generator], list[tuple]],
         holds: Callable[..., str | None], strategy: Callable[[], object],
         args_are_inputs: bool = True, role: str = SUPPORTING,
         independent: bool = False, uses: tuple[str, ...] = ()) -> Check:
    """A property of the student's function, over a seeded screen of inputs and, when the
    settings ask for it, a hypothesis search. A failure is shrunk by hypothesis to a small
    counterexample that the feedback shows (``independent``: each call is judged alone, so
    the screen's calls may share one process). With ``args_are_inputs`` the property's
    arguments are the function's own, so the smallest counterexample is also checked
    against the known mistakes."""

    def run(ctx: Context) -> Outcome:
        call = StudentCalls(ctx, fn)
        failing: list[tuple] = []
        named: list[str] = []
        inputs = screen(ctx.rng(fn + name))

        begin = getattr(ctx.student, "begin_example", None)

        def tracked(call, *args):
            if begin is not None:
                begin()  # each example's calls are compared with each other only
            try:
                message = holds(call, *args)
            except CallFailed:
                raise
            except (TypeError, ValueError, IndexError, KeyError, AttributeError,
                    OverflowError, ZeroDivisionError) as exc:
                message = (f"{fn} returned {describe(call.last)}, which is not the kind of "
                           f"answer the contract asks for ({type(exc).__name__}: {exc})")
            if message:
                failing.append(args)
                if getattr(message, "mistake", None):
                    named.append(message.mistake)
            return message

        try:
            failure = None
            for args in inputs:
                failure = tracked(call, *args)
                if failure:
                    break
            if failure is None and ctx.settings.search_examples:
                failure = _hypothesis(strategy(), tracked, call, ctx.settings.search_examples)
            if failure is not None:
                failure = _hypothesis(strategy(), tracked, call, ctx.settings.shrink_examples) or failure
        except CallFailed as exc:
            return Outcome(0.0, str(exc), mistake=failure_mistake(str(exc)))
        if failure is None:
            return Outcome(1.0, "holds")
        mistake = named[-1] if named else None
        if args_are_inputs and mistake is None:
            try:
                mistake = detect_mistake(fn, failing[-1], call(*failing[-1]), _identity, ctx)
            except CallFailed:
                pass
        return Outcome(0.0, failure, mistake=mistake)

    # ``independent``: ``holds`` makes one call per input and compares it with a formula only,
    # never with another call, so the engine may run the screen with the exercise's batch.
    return Check(name, points, "property", PUBLIC, run, role=role,
                 independent_calls=(lambda ctx: [(args, False) for args in
                                                 screen(ctx.rng(fn + name))])
                 if independent else None, uses=uses)


_HYPOTHESIS_HOME: list[str] = []


def _private_hypothesis_home() -> None:
    """Hypothesis caches files under ./.hypothesis: never in the user's folder. Point it at a
    private temporary folder, removed when the grader exits."""
    import atexit
    import shutil
    import tempfile

    from hypothesis.configuration import set_hypothesis_home_dir

    if not _HYPOTHESIS_HOME:
        _HYPOTHESIS_HOME.append(tempfile.mkdtemp(prefix="bpcourse-hypothesis-"))
        atexit.register(shutil.rmtree, _HYPOTHESIS_HOME[0], True)
    set_hypothesis_home_dir(_HYPOTHESIS_HOME[0])


def _hypothesis(strategy, holds, call, max_examples: int) -> str | None:
    """Search with hypothesis; the message of the smallest failing example, or None."""
    from hypothesis import HealthCheck, Phase, Verbosity, given
    from hypothesis import settings as hsettings

    _private_hypothesis_home()

    @hsettings(max_examples=max_examples, database=None, derandomize=True, deadline=None,
               suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink],
               report_multiple_bugs=False, print_blob=False, verbosity=Verbosity.quiet)
    @given(strategy)
    def search(args):
        message = holds(call, *args)
        if message:
            raise PropertyFailed(message)

    try:
        search()
    except PropertyFailed as exc:
        return str(exc).split("\n")[0]
    except CallFailed:
        raise
    except Exception as exc:  # Flaky and friends: the student's function is not deterministic
        return f"inconsistent results on repeated calls ({type(exc).__name__})"
    return None


# ---------------------------------------------------------------------------- hygiene

def _first_change(before, after, where="") -> str | None:
    if isinstance(before, np.ndarray):
        if not isinstance(after, np.ndarray) or before.shape != after.shape or not np.array_equal(
                before, after, equal_nan=True):
            return where or "an argument"
        return None
    if isinstance(before, (list, tuple)):
        if not isinstance(after, (list, tuple)) or len(before) != len(after):
            return where or "an argument"
        for i, (b, a) in enumerate(zip(before, after)):
            change = _first_change(b, a, f"{where}[{i}]")
            if change:
                return change
    if isinstance(before, dict):
        for key in before:
            change = _first_change(before[key], after.get(key) if isinstance(after, dict) else None,
                                   f"{where}[{key!r}]")
            if change:
                return change
    return None


def no_mutation(fn: str, make_args: Callable[[np.random.Generator], tuple], points: float,
                arg_names: tuple[str, ...]) -> Check:
    """The function leaves every argument exactly as it found it."""

    def run(ctx: Context) -> Outcome:
        args = make_args(ctx.rng(fn + "mutation"))
        got = ctx.student.call(fn, *args, return_args=True)
        if not got.ok:
            return Outcome(0.0, failure_text(fn, got))
        after = got.args_after or ()
        for i, (before, now) in enumerate(zip(args, after)):
            change = _first_change(before, now)
            if change:
                where = arg_names[i] + (change if change.startswith("[") else "")
                return Outcome(0.0, f"{fn} changed its argument {where} in place",
                               mistake="mutates_input")
        return Outcome(1.0, "leaves its arguments untouched")

    return Check("leaves its arguments untouched", points, "hygiene", PUBLIC, run,
                 role=SUPPORTING,
                 independent_calls=lambda ctx: [(make_args(ctx.rng(fn + "mutation")), True)])


def custom(name: str, points: float, kind: str, run: Callable[[Context], Outcome],
           visibility: str = PUBLIC, role: str | None = None,
           independent_calls: Callable[[Context], list] | None = None,
           uses: tuple[str, ...] = ()) -> Check:
    """A check written out in full; its role is its kind's default (hygiene supports an
    answer, an article problem is public, anything else is evidence) unless ``role`` says
    otherwise."""
    if role is None:
        role = KINDS[kind].default_role

    def guarded(ctx: Context) -> Outcome:
        try:
            return run(ctx)
        except (TypeError, ValueError) as exc:  # reading an answer of the wrong kind
            return Outcome(0.0, f"an answer is not of the kind the contract asks for "
                                f"({type(exc).__name__}: {exc}); see what your function "
                                "returns with `bpcourse run`")

    return Check(name, points, kind, visibility, guarded, role, independent_calls, uses)
