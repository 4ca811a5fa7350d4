"""The readable report: a per-exercise table, then what went wrong and how to fix it.

Plain text (colour only when asked), lines under 100 characters where the messages allow.
In "check" mode only the public checks ran, so the report never claims that everything passed.

The first line, "Score: X / Y (Z%)", is the only line that starts with "Score": every other
line starts with a fixed label ("Mode:", "Exercise …") or an indent (the table, messages,
notes), and the results model holds only single-line, sanitised text, so nothing a student
writes can start a line of its own.
"""
from __future__ import annotations

import textwrap

from grader.exercises import MISTAKES
from grader.render import points
from grader.results import HIDDEN, CheckResult, ExerciseResult, GradeReport

WIDTH = 96
_COLOURS = {"passed": "32", "partial": "33", "failed": "31", "FAILED": "31", "advice": "36"}


def render(report: GradeReport, *, audience: str = "instructor", color: bool = False) -> str:
    """The report as text for ``audience`` ("instructor" or "student")."""
    paint = _painter(color)
    checking = report.mode == "check"
    lines = [
        f"Score: {points(report.score)} / {points(report.max_score)}"
        + (f" ({100 * report.score / report.max_score:.1f}%)" if report.max_score else ""),
        "Mode: " + ("check (public checks only; hidden checks run when your instructor grades)"
                    if checking else "grade (all checks)"),
    ]
    if report.submission:
        lines.append(f"Submission: {report.submission}")
    lines.append(f"Isolation: {report.isolation or 'not reported'}")
    if report.seconds:
        lines.append(f"Time: {report.seconds:.2f} s")
    lines.append("")
    lines += _table(report, paint)

    for ex in report.exercises.values():
        section = _exercise_section(ex, audience, paint)
        if section:
            lines += ["", *section]

    if report.notes:
        lines += ["", "Notes:"]
        lines += [ln for note in report.notes for ln in _wrap(note, "  - ", "    ")]

    lines += ["", _verdict(report, checking)]
    return "\n".join(lines) + "\n"


def status(ex: ExerciseResult) -> str:
    if not ex.checks:
        return "not checked"
    if ex.passed:
        return "passed"
    return "partial" if ex.score > 0 else "failed"


def _table(report: GradeReport, paint) -> list[str]:
    rows = [(name, ex.module, f"{points(ex.score)} / {points(ex.max_score)}", status(ex))
            for name, ex in report.exercises.items()]
    w_name = max([len("exercise"), *(len(r[0]) for r in rows)])
    w_mod = max([len("module"), *(len(r[1]) for r in rows)])
    w_score = max([len("score"), *(len(r[2]) for r in rows)])
    out = [f"  {'exercise':<{w_name}}  {'module':<{w_mod}}  {'score':>{w_score}}  status",
           f"  {'-' * w_name}  {'-' * w_mod}  {'-' * w_score}  {'-' * 11}"]
    for name, module, score, st in rows:
        out.append(f"  {name:<{w_name}}  {module:<{w_mod}}  {score:>{w_score}}  {paint(st, st)}")
    total = f"{points(report.score)} / {points(report.max_score)}"
    out.append(f"  {'total':<{w_name}}  {'':<{w_mod}}  {total:>{w_score}}")
    return out


def _exercise_section(ex: ExerciseResult, audience: str, paint) -> list[str]:
    failed = [c for c in ex.checks if not c.passed]
    if not failed and not ex.notes:
        return []
    lost = round(ex.max_score - ex.score, 6)
    head = f"Exercise {ex.name} ({ex.module}.py): "
    head += (f"lost {points(lost)} of {points(ex.max_score)} points" if lost > 0
             else "full marks" if ex.checks else "not checked")
    out = [head]
    for c in failed:
        out += _check_lines(c, audience, paint)
    for note in ex.notes:
        out += _wrap(note, "  " + paint("advice", "advice") + " (no points deducted): ", "    ")
    return out


def _check_lines(c: CheckResult, audience: str, paint) -> list[str]:
    tag = c.kind + (", hidden" if c.visibility == HIDDEN else "")
    out = [f"  {paint('FAILED', 'FAILED')} {c.name} [{tag}]: "
           f"{points(c.score)} / {points(c.max_score)}"]
    message = c.message_for(audience)
    for line in message.splitlines() or []:
        out += _wrap(line, "      ", "      ")
    if c.mistake:
        words = MISTAKES.get(c.mistake, "")
        out += _wrap(f"known mistake ({c.mistake})" + (f": {words}" if words else ""),
                     "      ", "        ")
    return out


def _verdict(report: GradeReport, checking: bool) -> str:
    lost = [ex for ex in report.exercises.values() if not ex.passed]
    if checking:
        if not lost:
            return "All public checks passed; hidden checks run when your instructor grades."
        return (f"{len(lost)} of {len(report.exercises)} exercises failed public checks; "
                "hidden checks run when your instructor grades.")
    if not lost:
        return "Every check passed."
    return f"{len(lost)} of {len(report.exercises)} exercises lost points."


def _wrap(text: str, first: str, rest: str) -> list[str]:
    """Wrap prose to WIDTH; lines that look preformatted (arrays, code) are left alone."""
    if len(first) + len(text) <= WIDTH or text.startswith(" ") or "  " in text.strip():
        return [first + text]
    return textwrap.wrap(text, WIDTH, initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False) or [first]


def _painter(color: bool):
    if not color:
        return lambda text, key: text
    return lambda text, key: (f"\x1b[{_COLOURS[key]}m{text}\x1b[0m" if key in _COLOURS else text)
