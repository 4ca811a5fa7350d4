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

from grader.course_links import section_title
from grader.engine import WAITS_PREFIX
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

    fresh = [ex.name for ex in report.exercises.values() if status(ex) == "not started"]
    if fresh:  # untouched stubs: one line, not one section each
        lines += [""] + _wrap("Not started yet (the stub still raises NotImplementedError; its "
                              "docstring has a hint): " + ", ".join(fresh), "", "  ")
    seen: dict[str, str] = {}  # a message already said → the exercise it was said for
    for ex in report.exercises.values():
        if ex.name in fresh and not ex.notes:
            continue
        section = _exercise_section(ex, audience, paint, seen)
        if section:
            lines += ["", *section]

    if report.notes:
        lines += ["", "Notes:"]
        lines += [ln for note in report.notes for ln in _wrap(note, "  - ", "    ")]

    lines += ["", _verdict(report, checking)]
    return "\n".join(lines) + "\n"


def status(ex: ExerciseResult) -> str:
    if not ex.checks:
        return "waiting"
    if ex.passed:
        return "passed"
    if ex.score <= 0 and not_started(ex):
        return "not started"
    return "partial" if ex.score > 0 else "failed"


def not_started(ex: ExerciseResult) -> bool:
    """The stub is untouched: every failing check says the function is not written yet."""
    failed = [c for c in ex.checks if not c.passed]
    return bool(failed) and all(f"{ex.name} is not written yet" in c.message for c in failed)


def where(ex: ExerciseResult) -> str:
    """Where the student wrote the exercise: its notebook cell, else ``<module>.py``."""
    return ex.where or f"{ex.module}.py"


def _table(report: GradeReport, paint) -> list[str]:
    # a notebook submission: the notebook the student wrote each function in, not the module
    # the grader stages it as (a file the student never saw)
    notebooks = any(ex.where for ex in report.exercises.values())
    column = "notebook" if notebooks else "module"
    rows = [(name, ex.where.split(" [")[0] if notebooks and ex.where else ex.module,
             f"{points(ex.score)} / {points(ex.max_score)}", status(ex))
            for name, ex in report.exercises.items()]
    w_name = max([len("exercise"), *(len(r[0]) for r in rows)])
    w_mod = max([len(column), *(len(r[1]) for r in rows)])
    w_score = max([len("score"), *(len(r[2]) for r in rows)])
    out = [f"  {'exercise':<{w_name}}  {column:<{w_mod}}  {'score':>{w_score}}  status",
           f"  {'-' * w_name}  {'-' * w_mod}  {'-' * w_score}  {'-' * 11}"]
    for name, module, score, st in rows:
        out.append(f"  {name:<{w_name}}  {module:<{w_mod}}  {score:>{w_score}}  {paint(st, st)}")
    total = f"{points(report.score)} / {points(report.max_score)}"
    out.append(f"  {'total':<{w_name}}  {'':<{w_mod}}  {total:>{w_score}}")
    return out


def _exercise_section(ex: ExerciseResult, audience: str, paint,
                      seen: dict[str, str] | None = None) -> list[str]:
    seen = {} if seen is None else seen
    failed = [c for c in ex.checks if not c.passed]
    if not failed and not ex.notes:
        return []
    lost = round(ex.max_score - ex.score, 6)
    head = f"Exercise {ex.name} ({where(ex)}): "
    head += (f"lost {points(lost)} of {points(ex.max_score)} points" if lost > 0
             else "full marks" if ex.checks else "waits, not counted yet")
    out = [head]
    messages = {c.message_for(audience) for c in failed}
    if len(failed) > 1 and len(messages) == 1 and not any(c.mistake for c in failed):
        # One cause for every failure (not written yet, an import error, …): said once.
        message = messages.pop()
        out += _wrap(f"{paint('FAILED', 'FAILED')} every check ({len(failed)}: "
                     + "; ".join(c.name for c in failed) + "), for one reason:", "  ", "    ")
        out += _message_lines(message, seen, ex.name)
    else:
        for c in failed:
            out += _check_lines(c, audience, paint, seen, ex.name)
    for note in ex.notes:
        if note.startswith(WAITS_PREFIX):
            out += _wrap(note[len("waits: "):], "  " + paint("waits", "advice") + ": ", "    ")
            continue
        out += _wrap(note, "  " + paint("advice", "advice") + " (no points deducted): ", "    ")
    return out


def _message_lines(message: str, seen: dict[str, str], here: str) -> list[str]:
    """The message, or a pointer to where it was said already (each error said once)."""
    if message in seen and seen[message] != here:
        return [f"      (the same as for {seen[message]} above)"]
    seen.setdefault(message, here)
    return [ln for line in message.splitlines() for ln in _wrap(line, "      ", "      ")]


def _check_lines(c: CheckResult, audience: str, paint, seen: dict[str, str] | None = None,
                 here: str = "") -> list[str]:
    seen = {} if seen is None else seen
    tag = c.kind + (", hidden" if c.visibility == HIDDEN else "")
    if c.message.startswith("counted at"):
        # The check itself held; its points only wait for evidence: not a failure.
        label = paint("counted in part" if c.score > 0 else "not counted", "partial")
    else:
        label = paint("FAILED", "FAILED")
    out = [f"  {label} {c.name} [{tag}]: {points(c.score)} / {points(c.max_score)}"]
    message = c.message_for(audience)
    if message.startswith("counted at") and "): " in message:
        # Why a held check is scaled is said once in a report; later ones point to it.
        why, rest = message.split("): ", 1)
        if ("scaled", why) in seen:
            message = f"{why.split(',')[0]}, as explained above: {rest}"
        seen.setdefault(("scaled", why), here)
    out += _message_lines(message, seen, here) if message else []
    if c.mistake:
        words = MISTAKES.get(c.mistake, "")
        out += _wrap(f"known mistake ({c.mistake})" + (f": {words}" if words else ""),
                     "      ", "        ")
        section = section_title(c.mistake)
        if section:
            out += _wrap(f"read: {section}", "      ", "        ")
    return out


def _verdict(report: GradeReport, checking: bool) -> str:
    lost = [ex for ex in report.exercises.values() if not ex.passed and ex.checks]
    if checking:
        waiting = [ex for ex in report.exercises.values() if not ex.checks]
        fresh = [ex for ex in lost if status(ex) == "not started"]
        failed = [ex for ex in lost if status(ex) != "not started"]
        if not lost and not waiting:
            return "All public checks passed; hidden checks run when your instructor grades."
        parts = [f"{len(failed)} of {len(report.exercises)} exercises failed public checks"]
        if fresh:
            parts.append(f"{len(fresh)} not started")
        if waiting:
            parts.append(f"{len(waiting)} wait for other work (see the notes)")
        return "; ".join(parts) + "; hidden checks run when your instructor grades."
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
