"""Does the grader give each bank submission the score it deserves, and survive the hostile ones?

Every case of ``cases.py`` is assembled into a fresh folder and graded with
``grader.api.grade``. Until the engine exists this module is skipped as a whole.

Environment:
* ``BPCOURSE_REQUIRE_SANDBOX=1``: hostile cases that need bubblewrap run even when it seems
  missing (and fail if the grader does not use it). CI sets it.
* ``BPCOURSE_BANK_TIME_SCALE``: multiply every hostile time budget (slow machines).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from . import support
from .assemble import assemble, new_marker
from .cases import EXERCISES, MODULES, REPO, Case, of

api = pytest.importorskip(
    "grader.api", reason="grader.api does not exist yet: the bank goes live when the engine lands")

REQUIRE_SANDBOX = os.environ.get("BPCOURSE_REQUIRE_SANDBOX") == "1"
TIME_SCALE = float(os.environ.get("BPCOURSE_BANK_TIME_SCALE", "1"))


def call_timeout() -> float:
    """The grader's deadline for one call of a student function."""
    try:
        from grader.settings import GRADE
    except ImportError:
        return 5.0
    return float(getattr(GRADE, "call_timeout", 5.0))


_BASE_SECONDS: list[float] = []


def base_seconds(tmp_path: Path) -> float:
    """How long grading the base submission takes here (measured once per session)."""
    if not _BASE_SECONDS:
        case = next(c for c in of("correct") if c.name == "reference_without_markers")
        start = time.monotonic()
        grade_in_process(assemble(case, tmp_path / "timing-base"))
        _BASE_SECONDS.append(time.monotonic() - start)
    return _BASE_SECONDS[0]


def sandbox_available() -> bool:
    try:
        from grader.sandbox import sandbox_available as available
    except ImportError:
        return shutil.which("bwrap") is not None
    return bool(available())


# ------------------------------------------------------------------ reading a report


def as_dict(report) -> dict:
    """The report in the contract's JSON shape (the one path for in-process and contained runs)."""
    return report.to_dict("instructor")


def describe(outcome: dict, names) -> str:
    """Which of these exercises lost points, and the checks that cost them."""
    lines = []
    for name in names:
        exercise = outcome["exercises"].get(name)
        if exercise is None:
            lines.append(f"  {name}: MISSING from the report")
            continue
        if exercise["score"] == exercise["max_score"] and exercise["max_score"] > 0:
            continue
        lines.append(f"  {name}: {exercise['score']}/{exercise['max_score']}"
                     f"  mistakes={exercise.get('mistakes')}")
        for check in exercise["checks"]:
            if not check["passed"]:
                message = " ".join(str(check.get("message", "")).split())[:300]
                lines.append(f"      - {check['name']} ({check['score']}/{check['max_score']}, "
                             f"mistake={check.get('mistake')}): {message}")
    return "\n".join(lines) or "  (none)"


def full_marks_problems(outcome: dict, names) -> list[str]:
    losers = [n for n in names
              if n not in outcome["exercises"]
              or outcome["exercises"][n]["score"] != outcome["exercises"][n]["max_score"]
              or outcome["exercises"][n]["max_score"] <= 0]
    if not losers:
        return []
    return [f"these exercises should keep full marks but did not: {', '.join(losers)}\n"
            + describe(outcome, losers)]


def missing_exercises(outcome: dict) -> list[str]:
    missing = [n for n in EXERCISES if n not in outcome["exercises"]]
    return [f"the report lacks the contract's exercises {missing}"] if missing else []


def grade_in_process(path: Path) -> dict:
    try:
        report = api.grade(path)
    except BaseException as exc:  # noqa: BLE001 - even SystemExit must not escape the grader
        pytest.fail(f"grade() raised {type(exc).__name__}: {exc}", pytrace=True)
    assert_reports_cannot_be_forged(report)
    grade_in_process.report = report
    return as_dict(report)


def missing_section_links(report) -> list[str]:
    """Named mistakes whose text feedback does not say where the course teaches the step."""
    from grader.course_links import section_title
    from grader.render.text import render

    lines = [line.strip() for line in render(report, audience="student").splitlines()]
    problems = []
    for ex in report.exercises.values():
        for mistake in ex.mistakes:
            want = f"read: {section_title(mistake)}"
            if section_title(mistake) and want not in lines:
                problems.append(f"{ex.name}: {mistake} named without the line {want!r}")
    return problems


def _strict(text: str):
    def refuse(constant):
        raise ValueError(f"non-standard JSON constant {constant}")
    text.encode("utf-8")  # a lone surrogate cannot be encoded
    return json.loads(text, parse_constant=refuse)


def assert_reports_cannot_be_forged(report) -> None:
    """Whatever the submission wrote into its errors, names or prints: every renderer gives
    strict UTF-8 JSON, and the text report one score line and no control characters."""
    from grader.render import render

    for audience in ("instructor", "student"):
        _strict(render(report, "json", audience=audience))
        _strict(render(report, "gradescope", audience=audience))
        text = render(report, "text", audience=audience)
        text.encode("utf-8")
        assert [ln for ln in text.splitlines() if ln.lstrip().startswith("Score")] == \
            [text.splitlines()[0]], "a second line reads like a score"
        bad = {c for c in text if (ord(c) < 32 and c != "\n") or 0x7f <= ord(c) < 0xa0}
        assert not bad, f"control characters in the text report: {sorted(map(ord, bad))}"


# ------------------------------------------------------------------ the reference and the stubs


def copy_modules(source: Path, dest: Path) -> Path:
    dest.mkdir(parents=True)
    for module in MODULES:
        shutil.copyfile(source / f"{module}.py", dest / f"{module}.py")
    return dest


def test_reference_solutions_get_100(tmp_path):
    """The reference solutions, markers and all, handed in as a submission: 100.0."""
    outcome = grade_in_process(copy_modules(REPO / "solutions", tmp_path / "reference"))
    problems = missing_exercises(outcome) + full_marks_problems(outcome, EXERCISES)
    assert not problems, "\n".join(problems)
    assert outcome["score"] == outcome["max_score"] == 100.0


def test_stubs_get_0_without_raising(tmp_path):
    """The untouched stubs: 0.0 out of 100.0, and a report rather than a traceback."""
    outcome = grade_in_process(copy_modules(REPO / "exercises", tmp_path / "stubs"))
    assert not missing_exercises(outcome)
    assert outcome["max_score"] == 100.0
    assert outcome["score"] == 0.0, describe(outcome, EXERCISES)


# ------------------------------------------------------------------ buggy


@pytest.mark.parametrize("case", of("buggy"), ids=lambda c: c.name)
def test_buggy_submission_loses_points_in_its_own_exercise(case: Case, tmp_path):
    """One mistake: its exercise loses points and names the mistake; nothing else does."""
    outcome = grade_in_process(assemble(case, tmp_path / case.name))
    problems = missing_exercises(outcome)
    target = outcome["exercises"].get(case.exercise)
    if target is not None:
        if not target["score"] < target["max_score"]:
            problems.append(f"{case.exercise} kept full marks ({target['score']}/"
                            f"{target['max_score']}) despite: {case.description}")
        if case.partial and not target["score"] > 0:
            problems.append(f"{case.exercise} earned nothing, but some of its outputs are "
                            "right: each right output earns its share")
        accepted = case.mistakes_accepted
        if accepted and not set(accepted) & set(target.get("mistakes", [])):
            problems.append(f"{case.exercise}: feedback should name the mistake "
                            f"{' or '.join(map(repr, accepted))}, "
                            f"named {target.get('mistakes')}\n"
                            + describe({"exercises": {case.exercise: target}}, [case.exercise]))
    problems += missing_section_links(grade_in_process.report)
    problems += full_marks_problems(outcome, case.full_marks())
    if outcome["max_score"] != 100.0:
        problems.append(f"max_score is {outcome['max_score']}, not 100.0")
    assert not problems, f"{case.id}: {case.description}\n" + "\n".join(problems)


# ------------------------------------------------------------------ correct


@pytest.mark.parametrize("case", of("correct"), ids=lambda c: c.name)
def test_correct_submission_gets_100(case: Case, tmp_path):
    """Right but written differently: 100.0."""
    outcome = grade_in_process(assemble(case, tmp_path / case.name))
    problems = missing_exercises(outcome) + full_marks_problems(outcome, EXERCISES)
    assert not problems, f"{case.id}: {case.description}\n" + "\n".join(problems)
    assert outcome["score"] == outcome["max_score"] == 100.0
    if case.advice:
        exercise, words = case.advice
        notes = " ".join(outcome["exercises"][exercise].get("notes", []))
        assert words in notes, f"{case.id}: advice on {exercise} should mention {words!r}: {notes!r}"
    if case.advice:  # right, but worth a word: advice, never a deduction
        exercise, words = case.advice
        notes = " ".join(outcome["exercises"][exercise].get("notes", []))
        assert words in notes, f"{case.id}: advice on {exercise} should mention {words!r}: {notes!r}"


# ------------------------------------------------------------------ hostile


def grade_contained(path: Path, marker: str, workdir: Path, timeout: float) -> dict:
    """Grade in a throwaway PID namespace; return the report dict (or fail the test)."""
    args = workdir / "contained-args.json"
    output = workdir / "contained-outcome.json"
    args.write_text(json.dumps({"submission": str(path), "output": str(output), "marker": marker}))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    with open(workdir / "contained-stdout", "wb") as out, open(workdir / "contained-stderr", "wb") as err:
        try:
            done = subprocess.run(
                support.contained_command(["-m", "tests.bank._contained", str(args)]),
                cwd=REPO, env=env, stdout=out, stderr=err, timeout=timeout,
                start_new_session=True)  # its own process group: group kills stay inside
        except subprocess.TimeoutExpired:
            pytest.fail(f"the contained grader did not finish within {timeout:.0f} s")
    tail = (workdir / "contained-stderr").read_bytes()[-3000:].decode(errors="replace")
    if not output.exists():
        pytest.fail(f"the grader process died (exit {done.returncode}) without a report: the "
                    f"attack reached it.\nstderr tail:\n{tail}")
    outcome = json.loads(output.read_text())
    if "error" in outcome:
        pytest.fail(f"grade() raised inside the contained run:\n{outcome['error']}")
    if outcome.get("survivors"):
        pytest.fail(f"processes carrying the marker survived grading: {outcome['survivors']}")
    return outcome["report"]


@pytest.mark.parametrize("case", of("hostile"), ids=lambda c: c.name)
def test_hostile_submission_gets_nothing_and_leaves_nothing(case: Case, tmp_path):
    """An attack: a report all the same, no credit where attacked, no trace, grader standing."""
    if case.sandbox and not sandbox_available() and not REQUIRE_SANDBOX:
        pytest.skip("needs the bubblewrap sandbox (set BPCOURSE_REQUIRE_SANDBOX=1 to insist)")
    contain = case.contain
    if contain and not support.can_contain():
        if not REQUIRE_SANDBOX:
            pytest.skip("this attack kills processes: it runs only in a PID namespace of its own "
                        "(unshare), or with BPCOURSE_REQUIRE_SANDBOX=1 on a disposable machine")
        contain = False

    marker = new_marker(case)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    submission = assemble(case, tmp_path / "submission", marker=marker, port=port)
    support.remove(support.pwned_files(case))  # leftovers of an earlier run are not this run's
    before = support.snapshot(submission)
    budget = case.budget * TIME_SCALE
    if case.hangs:  # once costs one deadline; twice would cost two
        once = (base_seconds(tmp_path) + 1.75 * call_timeout()) * TIME_SCALE
        budget = min(budget, once)

    start = time.monotonic()
    try:
        if contain:
            outcome = grade_contained(submission, marker, tmp_path, timeout=budget + 60)
        else:
            outcome = grade_in_process(submission)
        elapsed = time.monotonic() - start

        problems = []
        alive = support.survivors(marker)
        if alive:
            problems.append(f"processes carrying the marker outlived grading: {alive}")
            support.kill_pids(alive)
        left = support.pwned_files(case)
        if left:
            problems.append(f"files left outside the sandbox: {[str(p) for p in left]}")
            support.remove(left)
        changed = support.snapshot_diff(before, support.snapshot(submission))
        if changed:
            problems.append(f"the submission folder was changed: {changed}")
        listener.settimeout(0.2)
        try:
            conn, peer = listener.accept()
            problems.append(f"the attack connected to the test's port from {peer}")
            conn.close()
        except (socket.timeout, BlockingIOError):
            pass
        if case.sandbox and not str(outcome.get("isolation", "")).startswith("bubblewrap"):
            problems.append(f"isolation was {outcome.get('isolation')!r}, not bubblewrap")
        if elapsed > budget:
            problems.append(f"grading took {elapsed:.1f} s, more than the {budget:.1f} s budget"
                            + (" (was the hung function called more than once?)" if case.hangs else ""))

        problems += missing_exercises(outcome)
        credited = [n for n in case.zero if outcome["exercises"].get(n, {}).get("score", 0) != 0]
        if credited:
            problems.append(f"attacked exercises got credit: {credited}\n"
                            + describe(outcome, credited))
        problems += full_marks_problems(outcome, case.full_marks())
        assert not problems, f"{case.id}: {case.description}\n" + "\n".join(problems)
    finally:
        listener.close()
        support.kill_pids(support.processes_with(marker))


@pytest.mark.parametrize("name", ["zeros_everywhere", "constants_everywhere",
                                  "garbage_everywhere"])
def test_degenerate_answers_earn_nothing_in_check_either(name, tmp_path):
    """`check` (public checks only) gives zeros, constants and garbage nothing too: where an
    exercise has no check on unseen inputs there, its supporting points stand on the
    article's problems or its properties."""
    from .cases import BY_ID

    path = assemble(BY_ID[f"hostile/{name}"], tmp_path / name)
    outcome = as_dict(api.grade(path, public_only=True))
    assert outcome["score"] == 0.0, describe(outcome, EXERCISES)


def test_grader_still_standing_after_the_hostile_bank(tmp_path):
    """After everything above, this process still grades the reference at 100."""
    outcome = grade_in_process(copy_modules(REPO / "solutions", tmp_path / "reference"))
    assert outcome["score"] == 100.0, describe(outcome, EXERCISES)
