"""The one engine: runs every exercise's checks against an implementation."""
from __future__ import annotations

from grader.checks import Context, Outcome
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
            try:
                outcome = check.run(ctx)
            except Exception as exc:  # a grader bug is still a result, never a missing row
                outcome = Outcome(0.0, f"the grader could not run this check ({type(exc).__name__}: "
                                       f"{exc}); please report it to your instructor")
            fraction = min(max(float(outcome.fraction), 0.0), 1.0)
            result.checks.append(CheckResult(
                name=check.name, passed=fraction >= 1.0, score=round(check.points * fraction, 4),
                max_score=check.points, message=outcome.message, kind=check.kind,
                visibility=check.visibility, mistake=outcome.mistake,
                student_message=outcome.student_message))
        advice = _speed_advice(exercise.name, student, reference, settings)
        if advice:
            result.notes.append(advice)
        if result.score < result.max_score:
            ctx.failed.add(exercise.name)
        results[exercise.name] = result
    return results


def _speed_advice(fn: str, student, reference, settings: Settings) -> str | None:
    """Speed is advice, never a deduction."""
    if reference is None:
        return None
    mine = getattr(student, "seconds", {}).get(fn, 0.0)
    theirs = getattr(reference, "seconds", {}).get(fn, 0.0)
    if mine > 0.25 and mine > settings.slow_ratio * max(theirs, 1e-4):
        return (f"advice (no points lost): {fn} took {mine:.2f} s on the checks, "
                f"{mine / max(theirs, 1e-4):.0f}× the reference; matrix products (@) instead of "
                "Python loops would make it fast")
    return None
