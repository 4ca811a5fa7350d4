"""The one engine: runs every exercise's checks against an implementation."""
from __future__ import annotations

from grader.checks import Context, Outcome, same_failure
from grader.exercises import EXERCISES, Exercise
from grader.impl import LocalImpl
from grader.results import CheckResult, ExerciseResult
from grader.settings import Settings


def run_checks(student, reference: LocalImpl | None, settings: Settings, *,
               public_only: bool = False,
               exercises: tuple[Exercise, ...] = EXERCISES) -> dict[str, ExerciseResult]:
    """Grade ``student`` exercise by exercise, in the contract's order (helpers first), so
    that later exercises know which of the student's helpers lost points."""
    ctx = Context(student, reference, settings)
    results: dict[str, ExerciseResult] = {}
    for exercise in exercises:
        result = ExerciseResult(exercise.name, exercise.module)
        for check in exercise.checks:
            if public_only and check.needs_reference:
                continue
            outcome = _run(check, ctx)
            if outcome.fraction < 1 and check.kind not in ("reference", "article"):
                outcome = _excuse(check, exercise, ctx, outcome)
            if outcome.advice:
                result.notes.append(outcome.advice)
            fraction = min(max(float(outcome.fraction), 0.0), 1.0)
            result.checks.append(CheckResult(
                name=check.name, passed=fraction >= 1.0, score=round(check.points * fraction, 4),
                max_score=check.points, message=outcome.message, kind=check.kind,
                visibility=check.visibility, mistake=outcome.mistake,
                student_message=outcome.student_message))
        _hygiene_needs_an_answer(result)
        advice = _speed_advice(exercise.name, student, reference, settings)
        if advice:
            result.notes.append(advice)
        if result.score < result.max_score:
            ctx.failed.add(exercise.name)
        results[exercise.name] = result
    return results


def _hygiene_needs_an_answer(result: ExerciseResult) -> None:
    """Hygiene (not mutating, keeping shapes) earns points only beside a working answer: a
    function whose every value check failed gets none for being tidy."""
    values = [c for c in result.checks if c.kind != "hygiene"]
    if values and all(c.score == 0 for c in values):
        for c in result.checks:
            if c.kind == "hygiene" and c.score > 0:
                c.score, c.passed = 0.0, False
                c.message = "not counted: hygiene points come with a working answer (" \
                            + c.message + ")"


def _run(check, ctx: Context) -> Outcome:
    try:
        return check.run(ctx)
    except Exception as exc:  # a grader bug is still a result, never a missing row
        return Outcome(0.0, f"the grader could not run this check ({type(exc).__name__}: {exc}); "
                            "please report it to your instructor")


def _excuse(check, exercise: Exercise, ctx: Context, outcome: Outcome) -> Outcome:
    """Fair blame for checks that judge a whole computation (consistency, properties,
    hygiene): when the reference rebuilt on the student's own failing helpers fails the
    same check, the failure belongs to those helpers, which lose points where they are
    graded. (Reference and article checks compare with that rebuilt reference directly.)"""
    fair = ctx.fair(exercise.helpers)
    if fair is None:
        return outcome
    judged = _run(check, Context(fair, ctx.reference, ctx.settings))
    if judged.fraction >= 1 or not same_failure(judged.message, outcome.message):
        # The reference passes with your helpers, or fails differently: the failure is this
        # function's own (a stub that raises does not fail the way the reference does).
        return outcome
    blamed = ", ".join(sorted(set(exercise.helpers) & ctx.failed))
    return Outcome(1.0, f"not counted here: the reference built on your own {blamed} fails this "
                        f"check too, and {blamed} lose points in their own exercises "
                        f"(what failed: {outcome.message})")


def _speed_advice(fn: str, student, reference, settings: Settings) -> str | None:
    """Speed is advice, never a deduction."""
    if reference is None:
        return None
    mine = getattr(student, "seconds", {}).get(fn, 0.0)
    theirs = getattr(reference, "seconds", {}).get(fn, 0.0)
    if mine > 0.25 and mine > settings.slow_ratio * max(theirs, 1e-4):
        return (f"{fn} took {mine:.2f} s on the checks, "
                f"{mine / max(theirs, 1e-4):.0f}× the reference; matrix products (@) instead of "
                "Python loops would make it fast")
    return None
