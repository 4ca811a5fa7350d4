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
    ctx = Context(student, reference, settings, seed=seed, variants=variants or {},
                  truths=PUBLIC_HELPERS if reference is None else {})
    results: dict[str, ExerciseResult] = {}
    for exercise in exercises:
        result = ExerciseResult(exercise.name, exercise.module)
        student.exercise = exercise.name
        student.helpers = ctx.helpers_for(exercise.helpers)
        ran = []
        excused_evidence = False
        _prefetch(exercise, ctx, public_only)
        for check in exercise.checks:
            if public_only and check.needs_reference:
                continue
            # A module that does not import costs its own exercises: nothing of it waits.
            waits = [] if exercise.module in _unimportable(student) else ctx.waits_for(check)
            if waits:  # `check`: no correct helper to supply; not counted rather than charged
                result.notes.append(
                    f"{WAITS_PREFIX}{check.name}” uses your {', '.join(waits)}, which "
                    f"{'fails its' if len(waits) == 1 else 'fail their'} own checks: not "
                    "counted until that passes")
                excused_evidence = excused_evidence or check.is_evidence
                continue
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


def _prefetch(exercise: Exercise, ctx: Context, public_only: bool) -> None:
    """One process for every call of the exercise that no check compares with another (the
    hidden cases, the article's problem, hygiene inputs): the checks find them memoised."""
    prefetch = getattr(ctx.student, "prefetch", None)
    if prefetch is None:
        return
    items = []
    for check in exercise.checks:
        if check.independent_calls is not None and not (public_only and check.needs_reference):
            try:
                items += check.independent_calls(ctx)
            except Exception:  # a check's own inputs failing is reported when it runs
                continue
    if len(items) > 1:
        prefetch(exercise.name, items)


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
