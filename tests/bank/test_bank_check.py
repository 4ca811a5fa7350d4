"""`check` is as fair as `grade`, from a student's install (no hidden part, so no variants):

* for every buggy and correct submission of the bank, `check` charges exactly what `grade`
  charges (test_bank.py asserts of `grade`: the bug's own exercise, nothing for a correct
  one), and names the bug's mistake whenever the public checks can name it without correct
  code (README: the `grade`-only names are listed there);
* a module that does not import costs its own exercises; the rest wait for it, in one line;
* fresh stubs give a short report: "not started", no line said twice.

Cost, kept small (a full `check` takes ~12 s idle, nine tenths of it the hypothesis search):
each submission is checked once, on the exercises its code can change (the functions that
differ from the bank's base, by their syntax tree, and every exercise calling them: the
others run the base's code, which `test_check_passes_the_base` checks in full), with the
seeded screens only; the search itself (CHECK's settings, all exercises) runs on a few
representative submissions. `benchmarks/check_vs_grade.py` runs both commands in full on the
whole bank. About 30 s in all on an idle 2-core machine.
"""
from __future__ import annotations

import ast
import dataclasses

import pytest

import grader.exercises
from grader.api import grade
from grader.render import render
from grader.settings import CHECK

from .assemble import assemble
from .cases import BASE, BY_ID, CALLED_BY, EXERCISES, REPO, of

# Mistakes the public checks name from the student's own answers (ratios, shapes, formulas).
PUBLIC_NAMES = {
    "sigmoid_overflow", "non_finite", "sigmoid_prime_of_activation",
    "sigmoid_prime_missing_one_minus", "sigmoid_prime_returns_sigmoid", "relu_prime_at_zero",
    "tanh_prime_no_square", "tanh_prime_of_activation", "only_scalars", "loss_missing_half",
    "mse_loss_reduces", "sign_flip", "dw_db_swapped", "outer_product_transposed",
    "transposed_dW", "missing_1_over_B", "divide_by_B_twice", "loss_averages_outputs",
    "loss_missing_1_over_B", "mutates_input", "forward_difference", "unrestored_x",
    "relative_error_no_floor", "relative_error_mean", "sgd_ascent", "losses_after_update",
    "train_ignores_lr",
}
SCREENS = dataclasses.replace(CHECK, search_examples=0)  # the seeded screens, no search
# `check` with its search too, on the exercises they can change: a cascade through every
# caller of sigmoid_prime, and a forward bug that only `grade` names.
SEARCHED = ("buggy/sigmoid_prime_cascade", "buggy/forward_only_sigmoid")


@pytest.fixture(autouse=True)
def students_install(monkeypatch):
    """As without grader_hidden: `check` finds no variants to name mistakes with."""
    monkeypatch.setattr(grader.exercises, "HIDDEN", None)


def _functions(path) -> dict[str, str] | None:
    """Function name → its syntax tree, dumped; None when anything else differs too."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            out[node.name] = ast.dump(node)
    return out


def needed(case) -> tuple[str, ...]:
    """The exercises whose answers this case's code can change: the contract functions it
    writes differently from the base (all of a module whose other statements differ), and
    every exercise that calls one of them."""
    changed: set[str] = set()
    for path in sorted(case.folder.glob("*.py")) if case.folder.is_dir() else ():
        base = BASE / path.name
        mine, theirs = _functions(path), _functions(base)
        rest = [ast.dump(n) for n in ast.parse(path.read_text()).body
                if not isinstance(n, ast.FunctionDef)]
        rest_base = [ast.dump(n) for n in ast.parse(base.read_text()).body
                     if not isinstance(n, ast.FunctionDef)]
        differs = {n for n in set(mine) | set(theirs) if mine.get(n) != theirs.get(n)}
        if rest != rest_base or differs - set(EXERCISES):  # a helper or import changed
            changed |= {e for e, m in EXERCISES.items() if m == path.stem}
        changed |= differs & set(EXERCISES)
    for fn in list(changed):
        changed |= set(CALLED_BY.get(fn, ()))
    return tuple(e for e in EXERCISES if e in changed)


def _charged(report) -> list[str]:
    return [n for n, e in report.exercises.items() if e.score < e.max_score]


def _assert_fair(case, report) -> None:
    expected = [case.exercise] if case.category == "buggy" else []
    assert _charged(report) == expected, {
        n: [(c.name, c.message[:200]) for c in e.checks if not c.passed]
        for n, e in report.exercises.items() if n in _charged(report)}
    if case.category == "buggy" and set(case.mistakes_accepted) & PUBLIC_NAMES:
        named = {c.mistake for c in report.exercises[case.exercise].checks if c.mistake}
        assert named & set(case.mistakes_accepted), [
            (c.name, c.message) for c in report.exercises[case.exercise].checks if not c.passed]


def test_needed_sees_the_bug_and_its_callers():
    """The selection cannot miss a bug: every buggy case's own exercise and its callers."""
    for case in of("buggy"):
        assert case.exercise in needed(case), case.id
        assert set(case.cascades) <= set(needed(case)), case.id


def test_check_passes_the_base(tmp_path):
    """The base every case is laid over passes every public check."""
    report = grade(assemble(BY_ID["correct/reference_without_markers"], tmp_path / "base"),
                   public_only=True, settings=SCREENS)
    assert _charged(report) == [] and report.score == report.max_score > 0


@pytest.mark.parametrize("case", of("buggy") + of("correct"), ids=lambda c: c.id)
def test_check_charges_what_grade_charges(case, tmp_path):
    """Buggy: the bug's own exercise only, named where the public checks can name it;
    correct: nothing (as test_bank.py asserts of `grade`)."""
    only = needed(case)
    if not only:
        pytest.skip("the case's code is the base's")
    _assert_fair(case, grade(assemble(case, tmp_path / case.name), public_only=True,
                             settings=SCREENS, only=only))


@pytest.mark.parametrize("case_id", SEARCHED)
def test_the_full_check_agrees_too(case_id, tmp_path):
    """The same with `check`'s settings as students run it (hypothesis search included)."""
    case = BY_ID[case_id]
    _assert_fair(case, grade(assemble(case, tmp_path / case.name), public_only=True,
                             only=needed(case)))


def test_a_module_that_does_not_import_costs_its_own_exercises_once(tmp_path):
    case = BY_ID["hostile/syntax_error"]  # two_layer.py
    report = grade(assemble(case, tmp_path / case.name), public_only=True, settings=SCREENS)
    assert _charged(report) == ["two_layer_forward", "two_layer_backward"]  # as in grade
    text = render(report, "text", audience="student")
    assert "two_layer.py could not be imported" in text  # nothing imports it: nothing waits


def test_a_broken_import_makes_its_importers_wait_in_one_line(tmp_path):
    case = BY_ID["hostile/os_exit_at_import"]  # network.py; train.py imports it
    report = grade(assemble(case, tmp_path / case.name), public_only=True, settings=SCREENS,
                   only=("forward", "loss", "backward", "sgd_step", "train"))
    assert _charged(report) == ["forward", "loss", "backward"]
    text = render(report, "text", audience="student")
    assert sum("fix network.py first" in line for line in text.splitlines()) == 1, text
    assert "sgd_step" in text and "train" in text


def test_fresh_stubs_are_not_started_and_no_line_is_said_twice():
    report = grade(REPO / "exercises", public_only=True, settings=SCREENS)
    text = render(report, "text", audience="student")
    lines = [ln for ln in text.splitlines() if ln.strip() and not set(ln.strip()) <= {"-", " "}]
    assert len(lines) == len(set(lines)), [ln for ln in lines if lines.count(ln) > 1]
    assert len(lines) < 50
    assert "Not started yet" in text and "FAILED" not in text
