"""Gradescope's ``results.json`` (fields in shared/ANCHORS.md, "Gradescope autograder format").

One test per exercise. Students read this file's contents on Gradescope, so every message is
the student's: hidden checks never show expected values here, whatever ``audience`` is passed.
"""
from __future__ import annotations

from grader.course_links import section_title
from grader.exercises import MISTAKES
from grader.render import dumps, points
from grader.results import HIDDEN, ExerciseResult, GradeReport
from grader.contract import MODULES as MODULE_ORDER

AUDIENCE = "student"
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


def render(report: GradeReport, *, audience: str = "instructor",
           visibility: str = "visible", hidden_visibility: str | None = None) -> str:
    """``results.json`` text. ``audience`` is accepted for a uniform signature and ignored.

    ``hidden_visibility`` (e.g. "after_published") splits each exercise into a test of its
    public checks (visible) and a test of its hidden checks with that visibility."""
    if visibility not in VISIBILITIES or hidden_visibility not in (None, *VISIBILITIES):
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}")
    if hidden_visibility is not None:
        tests = [t for ex, number in _numbered(report)
                 for t in _split_tests(ex, number, hidden_visibility)]
    else:
        tests = [_test(ex, number) for ex, number in _numbered(report)]
    data = {
        "score": report.score,
        "execution_time": round(report.seconds, 3),
        "output": _overall_output(report),
        "output_format": "text",
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    return dumps(data)


def _overall_output(report: GradeReport) -> str:
    lines = [f"Score: {points(report.score)} / {points(report.max_score)}"]
    if report.mode == "check":
        lines.append("Public checks only; hidden checks run when your instructor grades.")
    if report.submission:
        lines.append(f"Submission: {report.submission}")
    lines.append(f"Isolation: {report.isolation or 'not reported'}")
    lines += [f"- {note}" for note in report.notes]
    return "\n".join(lines)


def _numbered(report: GradeReport) -> list[tuple[ExerciseResult, str]]:
    """Gradescope numbers like "1.2": module number, then the exercise within it."""
    modules: list[str] = []
    for ex in report.exercises.values():
        if ex.module not in modules:
            modules.append(ex.module)
    modules.sort(key=lambda m: (MODULE_ORDER.index(m) if m in MODULE_ORDER else len(MODULE_ORDER)))
    seen: dict[str, int] = {}
    out = []
    for ex in report.exercises.values():
        seen[ex.module] = seen.get(ex.module, 0) + 1
        out.append((ex, f"{modules.index(ex.module) + 1}.{seen[ex.module]}"))
    return out


def _test(ex: ExerciseResult, number: str) -> dict:
    kinds = sorted({c.kind for c in ex.checks})
    return {
        "name": f"{ex.name} ({ex.module}.py)",
        "score": ex.score,
        "max_score": ex.max_score,
        "status": "passed" if ex.passed else "failed",
        "output": _test_output(ex),
        "output_format": "text",
        "visibility": "visible",
        "tags": [ex.module, *kinds],
        "number": number,
    }


def _split_tests(ex: ExerciseResult, number: str, hidden_visibility: str) -> list[dict]:
    """The exercise's public checks (visible) and its hidden ones (``hidden_visibility``)."""
    out = []
    for part, visibility, suffix in (("public", "visible", ".1"),
                                     ("hidden", hidden_visibility, ".2")):
        checks = [c for c in ex.checks if (c.visibility == HIDDEN) == (part == "hidden")]
        if not checks:
            continue
        one = ExerciseResult(ex.name, ex.module, checks, ex.notes if part == "public" else [])
        test = _test(one, number + suffix)
        test["name"] = f"{ex.name} ({ex.module}.py): {part} checks"
        test["visibility"] = visibility
        out.append(test)
    return out


def _test_output(ex: ExerciseResult) -> str:
    failed = [c for c in ex.checks if not c.passed]
    lines = [f"{len(ex.checks) - len(failed)} of {len(ex.checks)} checks passed."]
    for c in failed:
        tag = c.kind + (", hidden" if c.visibility == HIDDEN else "")
        lines.append("")
        lines.append(f"FAILED {c.name} [{tag}]: {points(c.score)} / {points(c.max_score)}")
        message = c.message_for(AUDIENCE)
        lines += ["  " + ln for ln in message.splitlines()]
        if c.mistake:
            words = MISTAKES.get(c.mistake, "")
            lines.append(f"  Known mistake ({c.mistake})" + (f": {words}" if words else ""))
            if section_title(c.mistake):
                lines.append(f"  Read: {section_title(c.mistake)}")
    for note in ex.notes:
        lines += ["", f"Advice (no points deducted): {note}"]
    return "\n".join(lines)
