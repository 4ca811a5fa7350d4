"""The one engine: runs every exercise's checks against an implementation.

Fair blame by substitution: exercises are graded helpers first; when a helper of the
student's lost points in its own exercise, every later exercise that uses it calls the
student's function with a correct version of that helper supplied from the trusted side
(``Context.helpers_for``). Each function is judged on its own answers: a call that raises,
hangs or returns non-finite values earns nothing, whatever else fails the same way.
"""
from __future__ import annotations

from grader.checks import ARTICLE, DID_NOT_FINISH, Context, Outcome
from grader.exercises import EXERCISES, PUBLIC_HELPERS, Exercise
from grader.impl import LocalImpl
from grader.results import CheckResult, ExerciseResult
from grader.settings import Settings


def run_checks(student, reference: LocalImpl | None, settings: Settings, *,
               public_only: bool = False, seed: tuple = (),
               exercises: tuple[Exercise, ...] = EXERCISES,
               variants: dict | None = None) -> dict[str, ExerciseResult]:
    """Grade ``student`` exercise by exercise, in the contract's order (helpers first), so
    that later exercises know which of the student's helpers lost points. ``seed``: the
    entropy of every input (the course secret's words when grading); ``variants``: the
    known-wrong variants that name mistakes (the hidden part's), none by default."""
    ctx = _context(student, reference, settings, seed, variants or {})
    results: dict[str, ExerciseResult] = {}
    # Every check's calls are planned first, while the worker may still be booting; each
    # exercise runs its plan at its turn (with the helpers it then gets).
    plans = _plans(exercises, ctx, public_only)
    for exercise in exercises:
        result = ExerciseResult(exercise.name, exercise.module)
        student.exercise = exercise.name
        student.helpers = ctx.helpers_for(exercise.helpers)
        ran = []
        excused_evidence = False
        _prefetch(exercise, ctx, public_only, plans.of(exercise))
        for check in exercise.checks:
            if public_only and check.needs_reference:
                continue
            waits = _waits(exercise, check, ctx)
            if waits:  # `check`: no correct helper to supply; not counted rather than charged
                result.notes.append(
                    f"{WAITS_PREFIX}{check.name}” uses your {', '.join(waits)}, which "
                    f"{'fails its' if len(waits) == 1 else 'fail their'} own checks: not "
                    "counted until that passes")
                excused_evidence = excused_evidence or check.is_evidence
                continue
            begin = getattr(student, "begin_example", None)
            if begin is not None:
                begin()
            outcome = _run(check, ctx)
            if outcome.advice:
                result.notes.append(outcome.advice)
            fraction = min(max(float(outcome.fraction), 0.0), 1.0)
            if fraction != fraction:  # NaN from a check's arithmetic: no credit
                fraction = 0.0
            result.checks.append(CheckResult(
                name=check.name, passed=fraction >= 1.0, score=round(check.points * fraction, 4),
                max_score=check.points, message=outcome.message, kind=check.kind,
                visibility=check.visibility, mistake=outcome.mistake,
                student_message=outcome.student_message))
            ran.append(check)
        if excused_evidence:  # what counts only beside evidence waits with it
            kept = [(c, chk) for c, chk in zip(result.checks, ran) if not chk.needs_evidence]
            result.checks[:] = [c for c, _ in kept]
            ran = [chk for _, chk in kept]
        _credit_needs_evidence(result, ran)
        timed_out = any(DID_NOT_FINISH in c.message or "time budget" in c.message
                        for c in result.checks)
        advice = None if timed_out else _speed_advice(exercise.name, student, reference, settings)
        if advice:
            result.notes.append(advice)
        if result.score < result.max_score:
            ctx.failed.add(exercise.name)
        results[exercise.name] = result
    student.exercise, student.helpers = None, {}
    return results


WAITS_PREFIX = "waits: “"  # how the notes of a check that waits begin (renderers label them)


def _unimportable(student) -> set:
    """The modules seen failing to import so far (``grader.api`` watches the sandbox)."""
    return set(getattr(getattr(student, "sandbox", None), "import_errors", None) or ())


def _waits(exercise: Exercise, check, ctx: Context) -> list[str]:
    # A module that does not import costs its own exercises: nothing of it waits.
    return [] if exercise.module in _unimportable(ctx.student) else ctx.waits_for(check)


class _Plans:
    """The planned calls of every check that ``_prefetch`` batches, by ``id(check)``, made
    exercise by exercise (``make``), in order: ``of(exercise)`` waits until that exercise's
    are made, so that a grade can run its first exercises while a thread plans the last."""

    def __init__(self, exercises, public_only: bool):
        import threading

        # Holds what its key names by id, so that no id is reused while it lives.
        self.exercises = tuple(exercises)
        self.public_only = public_only
        self.plans: dict[int, list] = {}
        self.claimed = False  # somebody makes them (or has made them)
        self._made = {id(e): threading.Event() for e in self.exercises}

    def make(self, ctx: Context) -> None:
        try:
            for exercise in self.exercises:
                for check in exercise.checks:
                    if _plannable(check, self.public_only):
                        self.plans[id(check)] = _planned_calls(check, ctx)
                self._made[id(exercise)].set()
        finally:  # whatever happened, nobody waits forever: a check without a plan runs alone
            for made in self._made.values():
                made.set()

    def of(self, exercise) -> dict[int, list]:
        made = self._made.get(id(exercise))
        if made is not None:
            made.wait()
        return self.plans


_NO_PLANS = _Plans((), False)
_PLANS: dict[tuple, _Plans] = {}  # a class's plans, made once per grading process


def _plans(exercises, ctx: Context, public_only: bool, *, make: bool = True) -> _Plans:
    """The plans of ``exercises``' checks (``_Plans``), made now unless made or being made.

    A plan is the calls a correct student's run makes: it depends on the checks, their
    inputs (the seed) and the trusted code, never on the submission. So a process that grades
    a class plans once (``grade-all``: ~25 ms a student less); nothing of one student's
    answers is in it, and its arguments are only read. ``make=False``: only registered, for
    the caller to make (``plan_ahead``)."""
    if getattr(ctx.student, "run_planned", None) is None:
        return _NO_PLANS
    trusted = ctx.reference.functions if ctx.reference is not None else ctx.truths
    # Each grade loads the reference afresh: its functions are known by their code (equal
    # when loaded from the same source), the exercises by identity.
    key = (tuple(ctx.seed), public_only, ctx.settings, tuple(id(e) for e in exercises),
           tuple((k, getattr(v, "__code__", v)) for k, v in trusted.items()))
    plans = _PLANS.get(key)
    if plans is None:
        if len(_PLANS) >= 4:
            _PLANS.clear()
        plans = _PLANS[key] = _Plans(exercises, public_only)
        if make:
            plans.claimed = True
            plans.make(ctx)
    return plans


def plan_ahead(student, reference: LocalImpl | None, settings: Settings, *,
               public_only: bool = False, seed: tuple = (),
               exercises: tuple[Exercise, ...] = EXERCISES, registered=None) -> None:
    """Make the plans ``run_checks`` will use with the same arguments, now (they need
    nothing of the submission): ``grader.api.grade`` plans in a thread while the submission
    is staged, and goes on while the first exercises run. ``registered()`` is called once
    ``run_checks`` would find them (and wait for each exercise's), before any is made.
    ``student`` only answers whether a call is plannable; it is never called."""
    ctx = _context(student, reference, settings, seed, {})
    plans = _plans(exercises, ctx, public_only, make=False)
    fresh, plans.claimed = not plans.claimed, True
    try:
        if registered is not None:
            registered()
    finally:
        if fresh:
            plans.make(ctx)


def _context(student, reference: LocalImpl | None, settings: Settings, seed: tuple,
             variants: dict) -> Context:
    """The context checks run in: ``run_checks``'s and ``plan_ahead``'s are made alike, so
    that a plan made ahead is the one ``run_checks`` looks for."""
    return Context(student, reference, settings, seed=seed, variants=variants,
                   truths=PUBLIC_HELPERS if reference is None else {})


def _plannable(check, public_only: bool) -> bool:
    if public_only and check.needs_reference:
        return False
    return check.kind != "consistency" and (check.independent_calls is None
                                            or check.kind == "property")


def _prefetch(exercise: Exercise, ctx: Context, public_only: bool,
              plans: dict[int, list]) -> None:
    """Run the exercise's calls before its checks, in a few processes instead of one per
    call (a fork each): the checks then find the answers memoised. Calls of two exercises
    never share a process, so what one function does to its process (leaks, patches) costs
    its own exercise only.

    - A property that compares the student's answers with each other (a symmetry, a batch
      mean) makes each of its examples' calls in order: the k-th calls of all its examples
      share one process, the first example's call first. The first example's calls so
      each meet exactly what a call alone would (a fresh process: nothing before it tells
      which check is running), and no process holds two calls one example compares
      (``StudentImpl`` also refuses a memoised answer from a process the example used).
    - A consistency check (finite differences of the student's own functions, where a
      function that could tell the evaluations apart could fake a derivative) keeps each
      call in a process of its own.
    - The calls no check compares with another (hidden cases, the article's problems,
      hygiene inputs, a property's calls judged each alone) come after the calls of the
      first process above, or have one of their own: what they meet there can only make
      them less right.

    A check's calls are found by running it once with trusted code in the student's place
    (``Recorder``): a correct student's calls. Where the student's own answers lead a check
    elsewhere (arguments computed from an earlier answer that differs), the call runs on
    its own when the check makes it."""
    run_planned = getattr(ctx.student, "run_planned", None)
    if run_planned is None:
        return
    independent: list = []
    groups: dict[tuple, list] = {}  # (check, position) -> calls, first example first
    for check in exercise.checks:
        if (public_only and check.needs_reference) or _waits(exercise, check, ctx):
            continue
        if check.independent_calls is not None:
            try:
                independent += [(exercise.name, args, r) for args, r in
                                check.independent_calls(ctx)]
            except Exception:  # a check's own inputs failing is reported when it runs
                pass
        if id(check) not in plans:
            continue
        planned = plans[id(check)]
        if check.independent_calls is not None or all(p == 0 for p, _ in planned):
            independent += [call for _, call in planned]  # one call per example
        else:
            for position, call in planned:
                groups.setdefault((id(check), position), []).append(call)
    batches = list(groups.values()) or [[]]
    batches[0] = batches[0] + independent
    for i, items in enumerate(batches):
        if len(items) > 1 or (i and items):
            run_planned(items, again=i > 0)


def _planned_calls(check, ctx: Context) -> list[tuple[int, tuple]]:
    """(position in its example, (fn, args, return_args)) of each call ``check`` makes of a
    correct student, found by running it on trusted code; nothing when it calls a function
    no trusted code here answers."""
    import dataclasses

    from grader.impl import LocalImpl, Recorder

    # A copy of the trusted side: planning is not counted in the reference's CPU seconds
    # (speed advice compares the student's with those of the checks' own calls).
    if ctx.reference is not None:
        trusted = LocalImpl(ctx.reference.functions, "reference")
    elif ctx.truths:
        trusted = LocalImpl(ctx.truths, "truths")
    else:
        return []
    recorder = Recorder(trusted)
    try:
        check.run(dataclasses.replace(ctx, student=recorder, variants={}))
    except Exception:  # noqa: BLE001 - only a plan: the check reports when it runs
        pass
    if recorder.broken:
        return []
    plannable = getattr(ctx.student, "plannable", None)
    return [(position, (fn, args, r)) for position, fn, args, r in recorder.calls
            if plannable is None or plannable(fn, args, r)]


def _credit_needs_evidence(result: ExerciseResult, checks: list) -> None:
    """Article and supporting points count only beside evidence that the function works on
    inputs the student has not seen: they are scaled by the share of the exercise's evidence
    points earned. A lookup table of the article's answers, a constant, or a tidy stub earns
    nothing; an honest partial answer keeps a matching part."""
    pairs = list(zip(result.checks, checks))
    evidence = [c for c, check in pairs if check.is_evidence]
    basis = "checks on unseen inputs that pass"
    if not evidence:
        basis = "article problems answered right (this mode has no check on unseen inputs)"
        # `check` may run no evidence check of an exercise (its hidden cases need the
        # reference): its supporting points then stand on the article's problems, the only
        # answers there to be right or wrong (a table of them fools only its author there).
        def basis_of(check):
            return check.role == ARTICLE if has_article else check.kind == "property"

        has_article = any(check.role == ARTICLE for _, check in pairs)
        if not has_article:  # nor an article problem: the properties it has to have
            basis = "properties that hold (this mode has no check on unseen inputs)"
        evidence = [c for c, check in pairs if basis_of(check)]
        pairs = [(c, check) for c, check in pairs if not basis_of(check)]
    total = sum(c.max_score for c in evidence)
    if not total:
        return  # nothing to stand on in this mode (e.g. `check` without a formula property)
    share = sum(c.score for c in evidence) / total
    if share >= 1.0:
        return
    for c, check in pairs:
        if not check.needs_evidence or c.score <= 0:
            continue
        c.score = round(c.score * share, 4)
        c.passed = False
        why = check.why_scaled
        c.message = (f"counted at {share:.0%}, the share of this exercise's {basis} "
                     f"({why}): {c.message}")


def _run(check, ctx: Context) -> Outcome:
    try:
        return check.run(ctx)
    except Exception as exc:  # a grader bug is still a result, never a missing row
        return Outcome(0.0, f"the grader could not run this check ({type(exc).__name__}: {exc}); "
                            "please report it to your instructor")


def _speed_advice(fn: str, student, reference, settings: Settings) -> str | None:
    """Speed is advice, never a deduction."""
    if reference is None:
        return None
    mine = getattr(student, "seconds", {}).get(fn, 0.0)
    theirs = getattr(reference, "seconds", {}).get(fn, 0.0)
    if mine > 0.25 and mine > settings.slow_ratio * max(theirs, 1e-4):
        return (f"{fn} used {mine:.2f} s of CPU on the checks, "
                f"{mine / max(theirs, 1e-4):.0f}× the reference; matrix products (@) instead of "
                "Python loops would make it fast")
    return None
