"""Does the engine shrink counterexamples, keep crashes as results, blame fairly by
substitution, and give no credit that the answers did not earn?"""
import shutil
from pathlib import Path

import numpy as np
import pytest

from grader.api import grade
from grader.checks import ARTICLE, EVIDENCE, SUPPORTING, Check, Outcome
from grader.engine import run_checks
from grader.exercises import BY_NAME, Exercise
from grader.impl import LocalImpl
from grader_hidden import reference_functions
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


def _fixed(fraction):
    return lambda ctx: Outcome(fraction, f"fraction {fraction}")


@pytest.mark.parametrize("evidence, expected", [(0.0, 0.0), (0.5, 1.0 + 0.5 + 0.5), (1.0, 4.0)])
def test_article_and_supporting_points_count_only_beside_evidence(evidence, expected):
    """A table of the article's answers, or a constant with the right symmetry, earns nothing:
    those points scale with the share of evidence (unseen inputs) earned."""
    exercise = Exercise("relu", "activations", (
        Check("hidden", 2.0, "reference", "hidden", _fixed(evidence), role=EVIDENCE),
        Check("article", 1.0, "article", "public", _fixed(1.0), role=ARTICLE),
        Check("tidy", 1.0, "hygiene", "public", _fixed(1.0), role=SUPPORTING)))
    reference = LocalImpl(reference_functions(), "reference")
    result = run_checks(reference, reference, GRADE, exercises=(exercise,))["relu"]
    assert result.score == pytest.approx(expected)
    if evidence < 1:
        assert all("counted at" in c.message for c in result.checks[1:]), result.checks


class _Recorder(LocalImpl):
    """The reference as the student, recording which helpers each exercise was given."""

    def __init__(self, broken: str):
        functions = dict(reference_functions())
        functions[broken] = lambda *a: 0.0 * functions["sigmoid"](*a)  # wrong everywhere
        super().__init__(functions, "recorder")
        self.given: dict[str, set] = {}

    def call(self, fn, *args, return_args=False):
        self.given.setdefault(self.exercise, set()).update(self.helpers)
        return super().call(fn, *args, return_args=return_args)


def test_a_failed_helper_is_replaced_by_a_correct_one_in_its_callers_only():
    student = _Recorder("sigmoid_prime")
    reference = LocalImpl(reference_functions(), "reference")
    results = run_checks(student, reference, GRADE)
    assert results["sigmoid_prime"].score < results["sigmoid_prime"].max_score
    for name in ("sigmoid_neuron_grads", "two_layer_backward", "backward", "train"):
        assert "sigmoid_prime" in student.given[name], name
    for name in ("sigmoid", "relu", "mse_loss", "loss", "numerical_gradient"):
        assert not student.given.get(name), name
    assert "sigmoid_prime" not in student.given["sigmoid_prime"]


def test_the_reference_run_as_the_student_passes_every_check():
    """Every check can be run against any implementation, the reference included."""
    reference = LocalImpl(reference_functions(), "reference")
    results = run_checks(reference, reference, GRADE)
    failed = [(n, c.name, c.message) for n, e in results.items() for c in e.checks if not c.passed]
    assert not failed


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


class _CountingSandbox:
    """Answers every call with its own first argument, counting the batches and calls."""

    def __init__(self):
        self.batches, self.calls = 0, 0

    def call_many(self, calls, *, helpers=None, budget=None):
        from grader.sandbox import CallResult

        self.batches += 1
        self.calls += len(calls)
        return [CallResult("ok", value=args[0]) for _, _, args, _ in calls]


def test_a_batch_runs_each_distinct_call_once_and_answers_in_order():
    from grader.impl import StudentImpl

    sandbox = _CountingSandbox()
    student = StudentImpl(sandbox)
    items = [((1.0,), False), ((2.0,), False), ((1.0,), False), ((1.0,), True)]
    assert [r.value for r in student.prefetch("relu", items)] == [1.0, 2.0, 1.0, 1.0]
    assert (sandbox.batches, sandbox.calls) == (1, 3)  # the twin of (1.0,) ran once
    assert [r.value for r in student.call_many("relu", [(2.0,), (3.0,)])] == [2.0, 3.0]
    assert (sandbox.batches, sandbox.calls) == (2, 4)  # (2.0,) came from the memo
    student.helpers = {"sigmoid": abs}
    student.call_many("relu", [(2.0,)])
    assert sandbox.calls == 5  # other helpers supplied: not the same call


class _OriginSandbox(_CountingSandbox):
    """Like _CountingSandbox, and each batch (one process) stamps its answers' origin."""

    def call_many(self, calls, *, helpers=None, budget=None):
        results = super().call_many(calls, helpers=helpers, budget=budget)
        for r in results:
            r.origin = self.batches
        return results

    def call(self, module, function, *args, **kwargs):
        return self.call_many([(module, function, args, False)])[0]


def test_a_memoised_answer_never_serves_two_calls_one_example_compares():
    from grader.impl import StudentImpl

    sandbox = _OriginSandbox()
    student = StudentImpl(sandbox)
    student.prefetch("relu", [((1.0,), False), ((2.0,), False)])  # process 1
    assert sandbox.batches == 1
    student.begin_example()
    assert student.call("relu", 1.0).origin == 1  # from the memo
    second = student.call("relu", 2.0)  # memoised from process 1 too: that one is used
    assert (second.origin, sandbox.batches) == (2, 2)  # so it ran afresh
    student.begin_example()  # another example: process 1 may answer again
    assert student.call("relu", 2.0).origin == 1 and sandbox.batches == 2
    # a later position's batch runs calls again, memoised or not: another process's answers
    student.run_planned([("relu", (3.0,), False), ("relu", (4.0,), False)])  # process 3
    student.run_planned([("relu", (3.0,), False), ("relu", (4.0,), False)], again=True)
    assert (sandbox.batches, sandbox.calls) == (4, 7)
    student.begin_example()
    assert [student.call("relu", x).origin for x in (3.0, 4.0)] == [3, 4]
    assert sandbox.batches == 4  # both from the memo, from two processes


class _PlanningStudent:
    """Stands for StudentImpl in the engine: notes the batches it is asked to run."""

    def __init__(self):
        self.batches, self.helpers, self.exercise, self.sandbox = [], {}, None, None
        self.reference = LocalImpl(reference_functions(), "reference")

    def run_planned(self, items, *, again=False):
        self.batches.append([(fn, args) for fn, args, _ in items])

    def begin_example(self):
        pass

    def call(self, fn, *args, return_args=False):
        return self.reference.call(fn, *args, return_args=return_args)

    def call_many(self, fn, arg_lists, return_args=False):
        return self.reference.call_many(fn, arg_lists, return_args)


def _screen(rng):
    return [(rng.normal(0, 1, 3),) for _ in range(3)]


def _mirror(call, z):
    return None if call(z) is not None and call(-z) is not None else "no answer"


def test_planned_batches_keep_the_calls_one_example_compares_apart():
    from grader.checks import prop
    from hypothesis import strategies as st

    mirror = prop("sigmoid", "mirrored", 1, screen=_screen, holds=_mirror,
                  strategy=lambda: st.tuples(st.floats(-1, 1)), args_are_inputs=False)
    exercise = Exercise("sigmoid", "activations", (*BY_NAME["sigmoid"].checks[:1], mirror))
    student = _PlanningStudent()
    run_checks(student, student.reference, GRADE, exercises=(exercise,))
    first, second = student.batches  # one process per position of the examples
    zs = [args[0] for _, args in first[:3]]
    assert [fn for fn, _ in first[:3]] == ["sigmoid"] * 3
    # the k-th calls of the three examples, the first example's first; then the hidden cases
    assert all((args[0] == -z).all() for (_, args), z in zip(second, zs))
    assert len(second) == 3 and len(first) > 3
    assert not any(any((args[0] == -z).all() for z in zs)
                   for _, args in first if np.shape(args[0]) == (3,))


def test_a_consistency_check_keeps_each_call_in_a_process_of_its_own():
    student = _PlanningStudent()
    run_checks(student, student.reference, GRADE, exercises=(BY_NAME["backward"],))
    planned = [fn for batch in student.batches for fn, _ in batch]
    assert "forward" not in planned  # the finite differences' forward passes: never batched
    assert student.batches and "backward" in planned


def test_a_correct_submission_is_graded_in_a_few_dozen_processes(monkeypatch):
    """Bounded work, not time: each process is a fork, a teardown and copy-on-write faults
    (~5 ms of CPU). One process per call took 78 for a correct submission; the planned
    batches take under 55, with every call a consistency check compares still alone."""
    from grader.sandbox import host

    processes = []
    run = host.Sandbox._run

    def counted(self, calls, todo, *rest):
        processes.append(len(todo))
        return run(self, calls, todo, *rest)

    monkeypatch.setattr(host.Sandbox, "_run", counted)
    report = grade(BASE)
    assert report.score == report.max_score
    assert 30 <= len(processes) <= 55, processes
    assert sum(processes) > 4 * len(processes)  # most calls share a process with others


def test_a_grading_process_plans_once_and_planning_is_not_the_references_time(monkeypatch):
    """Plans depend on the checks, their seed and the trusted code, never on the submission:
    a process grading a class makes them once. The reference's CPU seconds (speed advice)
    count the checks' own calls only, not the planning runs."""
    from grader import engine

    made = []
    planned = engine._planned_calls
    monkeypatch.setattr(engine, "_planned_calls", lambda check, ctx: made.append(1) or
                        planned(check, ctx))
    monkeypatch.setattr(engine, "_PLANS", {})
    exercises = (BY_NAME["sigmoid"], BY_NAME["backward"])
    batches = []
    for _ in range(2):
        student = _PlanningStudent()
        run_checks(student, student.reference, GRADE, exercises=exercises)
        batches.append(student.batches)
    assert made and len(made) == sum(engine._plannable(c, False) for e in exercises
                                     for c in e.checks)  # the second run planned nothing
    assert [[fn for fn, _ in b] for b in batches[0]] == [[fn for fn, _ in b] for b in batches[1]]
    reference = LocalImpl(reference_functions(), "reference")
    monkeypatch.setattr(engine, "_PLANS", {})
    engine._plans(exercises, engine.Context(_PlanningStudent(), reference, GRADE), False)
    assert reference.seconds == {}


def test_grade_plans_while_the_submission_is_staged_and_run_checks_plans_nothing(monkeypatch):
    """``grade`` makes the plans in a thread of its own while the stager reads the submission
    (a child process it only waits for); ``run_checks`` then finds every plan made. A planner
    that fails leaves the planning to ``run_checks``, and the grade is the same."""
    import threading

    from grader import engine

    where = []
    planned = engine._planned_calls
    monkeypatch.setattr(engine, "_planned_calls", lambda check, ctx: where.append(
        threading.current_thread().name) or planned(check, ctx))
    monkeypatch.setattr(engine, "_PLANS", {})
    first = grade(BASE, only=("sigmoid", "backward"))
    assert first.score == first.max_score
    assert where and set(where) == {"bpcourse-plan"}, set(where)

    where.clear()
    monkeypatch.setattr(engine, "_PLANS", {})
    monkeypatch.setattr(engine, "plan_ahead", lambda *a, **k: 1 / 0)
    again = grade(BASE, only=("sigmoid", "backward"))
    assert where and set(where) == {"MainThread"}, set(where)
    assert again.score == first.score
