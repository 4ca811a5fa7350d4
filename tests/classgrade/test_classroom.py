"""`bpcourse classroom`: the workflow uses only the documented inputs of GitHub Classroom's
actions, follows the reporter's rules, gives each exercise its points, installs the released
wheel, and each step runs the public checks of its own exercise only.

Inputs as documented in the actions' READMEs (classroom-resources/autograding-command-grader:
test-name*, setup-command, command*, timeout in minutes up to 360, max-score;
autograding-grading-reporter: runners*, and one <RUNNER-ID uppercased>_RESULTS environment
variable per runner; the workflow named "Autograding Tests", one job run-autograding-tests).

Cost: the public checks of two exercises of a buggy submission and a release without
notebooks (~5 s)."""
from __future__ import annotations

import shlex

import pytest
from click.testing import CliRunner

from grader.classgrade import classroom
from grader.cli import main
from grader.release import build_release
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


def test_each_step_checks_its_own_exercise_with_the_released_wheel(workflow, tmp_path,
                                                                  monkeypatch):
    graders = [s for s in _steps(workflow) if s.get("uses") == classroom.GRADER_ACTION]
    names = [n for n, _, _ in classroom.exercise_points()]
    assert [s["with"]["command"] for s in graders] == [f"bpcourse check --only {n}"
                                                       for n in names]
    # the setup installs the wheel that `bpcourse release` puts at the repository's top
    setup = shlex.split(graders[0]["with"]["setup-command"])
    assert setup[:4] == ["python", "-m", "pip", "install"]
    released = build_release(tmp_path / "repo", notebooks=False)
    assert (tmp_path / "repo" / setup[-1]).resolve() in {p.resolve() for p in released}
    assert all("setup-command" not in s["with"] for s in graders[1:])
    # a step's command passes exactly when its exercise's public checks pass
    assemble(BY_ID["buggy/sgd_ascent"], tmp_path / "student" / "exercises")
    monkeypatch.chdir(tmp_path / "student")
    exit_codes = {}
    for step in graders:
        if step["id"] in ("sigmoid", "train"):  # one passing, one failing: ~5 s, not 18 runs
            argv = shlex.split(step["with"]["command"])
            assert argv[0] == "bpcourse"
            exit_codes[step["id"]] = CliRunner().invoke(main, argv[1:]).exit_code
    assert exit_codes == {"sigmoid": 0, "train": 1}  # sgd_ascent: train climbs the loss
