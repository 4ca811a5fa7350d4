"""Does the engine shrink counterexamples, keep crashes as results, and blame fairly?"""
import shutil
from pathlib import Path

import pytest

from grader.api import grade
from grader.checks import Check, Outcome, same_failure
from grader.engine import run_checks
from grader.exercises import BY_NAME, Exercise
from grader.impl import LocalImpl, reference_functions
from grader.settings import GRADE

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "tests" / "bank" / "submissions" / "base"


def submission(tmp_path, **replacements):
    """The reference without markers, with some text replaced: {module: (old, new)}."""
    folder = tmp_path / "sub"
    shutil.copytree(BASE, folder)
    for module, (old, new) in replacements.items():
        path = folder / f"{module}.py"
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new))
    return folder


def test_a_failed_property_shows_the_shrunk_counterexample(tmp_path):
    folder = submission(tmp_path, activations=(
        "e = np.exp(-np.abs(z))\n    return np.minimum(e / (1.0 + e) ** 2, 0.25)",
        "return z * (1 - z)"))
    report = grade(folder)
    checks = {c.name: c for c in report.exercises["sigmoid_prime"].checks}
    prop = checks["σ'(z) = σ(z)(1 − σ(z))"]
    assert not prop.passed
    # hypothesis shrinks to the simplest float, where z(1 − z) = 0 but σ'(0) = 0.25
    assert prop.message.startswith("sigmoid_prime(0.0) returned 0, expected 0.25"), prop.message
    assert prop.mistake == "sigmoid_prime_of_activation"
    # one bug, one exercise: everything downstream keeps its marks
    lost = [n for n, e in report.exercises.items() if e.score < e.max_score]
    assert lost == ["sigmoid_prime"]


def test_a_check_that_crashes_is_a_result_not_a_missing_row():
    def boom(ctx):
        raise KeyError("grader bug")

    exercise = Exercise("sigmoid", "activations", (Check("explodes", 1.0, "property", "public", boom),))
    reference = LocalImpl(reference_functions(), "reference")
    results = run_checks(reference, reference, GRADE, exercises=(exercise,))
    check = results["sigmoid"].checks[0]
    assert check.score == 0 and "could not run this check" in check.message


def test_hygiene_points_need_a_working_answer():
    def fails(ctx):
        return Outcome(0.0, "wrong")

    def tidy(ctx):
        return Outcome(1.0, "untouched")

    exercise = Exercise("relu", "activations", (Check("value", 1.0, "reference", "hidden", fails),
                                                Check("tidy", 1.0, "hygiene", "public", tidy)))
    reference = LocalImpl(reference_functions(), "reference")
    result = run_checks(reference, reference, GRADE, exercises=(exercise,))["relu"]
    assert result.score == 0 and "not counted" in result.checks[1].message


def test_the_reference_run_as_the_student_passes_every_check():
    """Every check can be run against any implementation, the reference included."""
    reference = LocalImpl(reference_functions(), "reference")
    results = run_checks(reference, reference, GRADE)
    failed = [(n, c.name, c.message) for n, e in results.items() for c in e.checks if not c.passed]
    assert not failed


@pytest.mark.parametrize("a, b, same", [
    ("ValueError: bad (train.py, line 3)", "ValueError: bad (train.py, line 3)", True),
    ("ValueError: bad (train.py, line 3)", "ValueError: bad ", True),  # the reference has no place
    ("NotImplementedError (neuron.py, line 9)", "NotImplementedError (activations.py, line 2)", False),
    ("ValueError: bad", "ValueError: worse", False),
])
def test_same_failure_needs_matching_places(a, b, same):
    assert same_failure(a, b) is same


def test_exercises_are_graded_after_their_helpers():
    order = list(BY_NAME)
    for name, exercise in BY_NAME.items():
        for helper in exercise.helpers:
            assert order.index(helper) < order.index(name), (helper, name)


@pytest.mark.parametrize("module, old, new, exercise, check", [
    ("network", "grads[layer] = (delta.T @ A_prev / B, delta.sum(axis=0) / B)",
     "grads[layer] = (delta.T @ A_prev / B / B, delta.sum(axis=0) / B / B)",
     "backward", "agrees with finite differences of your forward and loss"),
    ("two_layer", '"dW1": np.outer(delta1, x),', '"dW1": 2 * np.outer(delta1, x),',
     "two_layer_backward", "agrees with finite differences of your forward pass"),
])
def test_consistency_checks_catch_a_wrong_gradient_in_check_mode(tmp_path, module, old, new,
                                                                exercise, check):
    report = grade(submission(tmp_path, **{module: (old, new)}), public_only=True)
    result = {c.name: c for c in report.exercises[exercise].checks}[check]
    assert not result.passed and "central differences" in result.message, result.message
