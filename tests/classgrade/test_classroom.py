"""`bpcourse classroom`: the workflow uses only the documented inputs of GitHub Classroom's
actions, follows the reporter's rules, gives each exercise its points, and its commands pass
exactly the exercises whose public checks pass.

Inputs as documented in the actions' READMEs (classroom-resources/autograding-command-grader:
test-name*, setup-command, command*, timeout in minutes up to 360, max-score;
autograding-grading-reporter: runners*, and one <RUNNER-ID uppercased>_RESULTS environment
variable per runner; the workflow named "Autograding Tests", one job run-autograding-tests).

Cost: the public checks of a buggy submission (~3 s) and 18 tiny commands."""
from __future__ import annotations

import json
import subprocess

import pytest

from grader.api import grade
from grader.classgrade import classroom
from grader.render import render
from grader.settings import CHECK
from tests.bank.assemble import assemble
from tests.bank.cases import BY_ID
from tests.classgrade.conftest import bpcourse

yaml = pytest.importorskip("yaml")

COMMAND_GRADER = {"inputs": {"test-name", "setup-command", "command", "timeout", "max-score"},
                  "required": {"test-name", "command"}}
REPORTER = {"inputs": {"runners"}, "required": {"runners"}}


@pytest.fixture(scope="module")
def workflow(tmp_path_factory):
    out = tmp_path_factory.mktemp("repo") / ".github" / "workflows" / "classroom.yml"
    done = bpcourse("classroom", "--output", out)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(out.read_text())


def _steps(workflow):
    return workflow["jobs"]["run-autograding-tests"]["steps"]


def test_the_workflow_follows_the_reporters_rules(workflow):
    assert workflow["name"] == "Autograding Tests"
    assert list(workflow["jobs"]) == ["run-autograding-tests"]
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert "push" in triggers


def test_steps_use_only_documented_inputs_and_points_add_up(workflow):
    steps = _steps(workflow)
    graders = [s for s in steps if s.get("uses") == classroom.GRADER_ACTION]
    reporters = [s for s in steps if s.get("uses") == classroom.REPORTER_ACTION]
    assert len(reporters) == 1 and steps[-1] is reporters[0]
    for step in graders:
        inputs = set(step["with"])
        assert inputs <= COMMAND_GRADER["inputs"] and COMMAND_GRADER["required"] <= inputs
        assert 0 < int(step["with"]["timeout"]) <= 360
        assert float(step["with"]["max-score"]) > 0
    points = {s["id"]: float(s["with"]["max-score"]) for s in graders}
    expected = {classroom.step_id(n): p for n, _, p in classroom.exercise_points()}
    assert points == expected and sum(points.values()) == pytest.approx(100.0)
    reporter = reporters[0]
    assert set(reporter["with"]) == REPORTER["inputs"]
    runners = reporter["with"]["runners"].split(",")
    assert runners == [s["id"] for s in graders] and len(set(runners)) == len(runners)
    for runner in runners:
        assert reporter["env"][f"{runner.upper()}_RESULTS"] == \
            f"${{{{steps.{runner}.outputs.result}}}}"
    assert "grade" not in repr(workflow).replace("grade-all", "").replace("grader", "")


def test_a_step_passes_exactly_when_its_exercises_public_checks_pass(workflow, tmp_path):
    assemble(BY_ID["buggy/sgd_ascent"], tmp_path / "exercises")
    # What `bpcourse check --format json` prints (without its extra hypothesis search: faster)
    report = grade(tmp_path, public_only=True, settings=CHECK.replace(search_examples=0))
    (tmp_path / classroom.RESULTS_FILE).write_text(render(report, "json"))
    passed = {}
    for step in _steps(workflow):
        if step.get("uses") == classroom.GRADER_ACTION:
            run = subprocess.run(step["with"]["command"], shell=True, cwd=tmp_path,
                                 capture_output=True, text=True, timeout=60)
            passed[step["id"]] = run.returncode == 0
    report = json.loads((tmp_path / classroom.RESULTS_FILE).read_text())["exercises"]
    failing = {classroom.step_id(n) for n, e in report.items() if e["score"] < e["max_score"]}
    assert failing  # sgd_ascent: train's public checks fail (sgd_step's own are hygiene only)
    assert {sid for sid, ok in passed.items() if not ok} == failing
    assert len(passed) == len(report)
