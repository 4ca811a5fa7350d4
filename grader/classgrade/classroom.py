"""``bpcourse classroom``: the GitHub Classroom workflow for a student repository made from
the release bundle.

One ``classroom-resources/autograding-command-grader`` step per exercise, worth the
exercise's points, and the ``autograding-grading-reporter`` step that adds them up (a step
earns its ``max-score`` when its command exits 0). The reporter's rules are kept: the workflow
is named "Autograding Tests", has one job ``run-autograding-tests``, and each step's result
reaches the reporter in ``<ID>_RESULTS``.

Everything in a student's repository and its Actions runs is readable by the student, so
this workflow runs the **public checks only** (``bpcourse check``, which needs neither the
reference nor the course secret): a formative score. The grade comes from the instructor's
side: ``bpcourse grade-all`` over the students' cloned repositories.

The first step's setup installs the student wheel that ``bpcourse release`` put at the top
of the repository; each step then runs ``bpcourse check --only EXERCISE``, the public checks
of its own exercise only, whose exit code (0: all passed) is the step's result.
"""
from __future__ import annotations

import json

WORKFLOW_PATH = ".github/workflows/classroom.yml"
GRADER_ACTION = "classroom-resources/autograding-command-grader@v1"
REPORTER_ACTION = "classroom-resources/autograding-grading-reporter@v1"
# Exit 0 when every public check of the exercise passed; the feedback says what failed.
COMMAND = "bpcourse check --only {name}"


def setup_command() -> str:
    """Install the student wheel of the release bundle (the repository's top folder)."""
    from grader.release import wheel_name

    return f"python -m pip install -q ./{wheel_name()}"


def exercise_points() -> list[tuple[str, str, float]]:
    """(function, module, points) of every exercise, in the contract's order."""
    from grader.exercises import EXERCISES

    return [(e.name, e.module, e.points) for e in EXERCISES]


def step_id(name: str) -> str:
    return name.replace("_", "-")


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def workflow(python: str = "3.11", timeout_minutes: int = 10) -> str:
    exercises = exercise_points()
    lines = [
        "# Written by `bpcourse classroom`. GitHub Classroom's reporter requires this name,",
        "# a single job named run-autograding-tests, and one <ID>_RESULTS variable per step.",
        "# Public checks only: everything in this repository and its runs is readable by the",
        "# student. The grade comes from the instructor's hidden checks (bpcourse grade-all).",
        "name: Autograding Tests",
        "on:",
        "  - push",
        "  - workflow_dispatch",
        "permissions:",
        "  actions: read",
        "  contents: read",
        "jobs:",
        "  run-autograding-tests:",
        "    runs-on: ubuntu-latest",
        "    if: github.actor != 'github-classroom[bot]'",
        "    steps:",
        "      - name: Checkout code",
        "        uses: actions/checkout@v4",
        "      - name: Set up Python",
        "        uses: actions/setup-python@v5",
        "        with:",
        f"          python-version: {_q(python)}",
    ]
    for i, (name, module, points) in enumerate(exercises):
        lines += [
            f"      - name: {_q(name)}",
            f"        id: {step_id(name)}",
            f"        uses: {GRADER_ACTION}",
            "        with:",
            f"          test-name: {_q(f'{name} ({module}.py)')}",
        ]
        if i == 0:
            lines.append(f"          setup-command: {_q(setup_command())}")
        lines += [
            f"          command: {_q(COMMAND.format(name=name))}",
            f"          timeout: {timeout_minutes}",
            f"          max-score: {points:g}",
        ]
    lines += ["      - name: Autograding Reporter",
              f"        uses: {REPORTER_ACTION}",
              "        env:"]
    for name, _, _ in exercises:
        sid = step_id(name)
        lines.append(f"          {sid.upper()}_RESULTS: \"${{{{steps.{sid}.outputs.result}}}}\"")
    lines += ["        with:",
              f"          runners: {','.join(step_id(n) for n, _, _ in exercises)}"]
    return "\n".join(lines) + "\n"
