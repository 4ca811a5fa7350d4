"""The renderers: do they honour visibility, keep the contract's shape, and never over-claim?"""
from __future__ import annotations

import json
import re

import pytest

from grader import render as render_pkg
from grader.mistakes import MISTAKES
from grader.render import gradescope, text
from grader.render import json as json_render
from grader.results import HIDDEN, PUBLIC, CheckResult, ExerciseResult, GradeReport

# An expected value a hidden check knows and a student must never read.
SECRET = "0.1966119332"


def make_report(mode: str = "grade") -> GradeReport:
    """sigmoid passes; sigmoid_prime fails a hidden check (secret in its message) with a
    recognised mistake; relu_prime loses everything and carries advice."""
    sigmoid = ExerciseResult("sigmoid", "activations", checks=[
        CheckResult("article: σ(0.5)", True, 2.0, 2.0, "sigmoid(0.5) = 0.6225 as in the article",
                    kind="article"),
        CheckResult("reference: random arrays", True, 3.0, 3.0, "matches", visibility=HIDDEN),
    ])
    sigmoid_prime = ExerciseResult("sigmoid_prime", "activations", checks=[
        CheckResult("property: σ'(0) = 0.25", True, 1.0, 1.0, "ok", kind="property"),
        CheckResult("reference: z of shape (3,)", False, 0.0, 4.0,
                    f"sigmoid_prime(z=[1.0, 2.0, 3.0]) returned [0.0, -2.0, -6.0], expected "
                    f"[{SECRET}, 0.1049935854, 0.0451766597]",
                    visibility=HIDDEN, mistake="sigmoid_prime_of_activation",
                    student_message="sigmoid_prime(z) differs from the reference on z of shape "
                                    "(3,)"),
    ], notes=["about 80× slower than the reference: a Python loop over elements?"])
    relu_prime = ExerciseResult("relu_prime", "activations", checks=[
        CheckResult("property: relu'(0) = 0", False, 0.0, 2.0,
                    "relu_prime(0.0) returned 1.0, expected 0.0", kind="property",
                    visibility=PUBLIC, mistake="relu_prime_at_zero"),
    ])
    forward = ExerciseResult("forward", "network", checks=[
        CheckResult("reference: 3 layers", True, 5.0, 5.0, "matches", visibility=HIDDEN),
    ])
    return GradeReport(
        exercises={e.name: e for e in (sigmoid, sigmoid_prime, relu_prime, forward)},
        mode=mode, isolation="bubblewrap sandbox (uid nobody, no network)", seconds=0.8421,
        submission="folder sub/ (6 modules)",
        notes=["missing: train.py (only its exercises score 0)"])


def all_public_passing(mode: str) -> GradeReport:
    ex = ExerciseResult("sigmoid", "activations", checks=[
        CheckResult("article", True, 1.0, 1.0, "ok", kind="article")])
    return GradeReport(exercises={"sigmoid": ex}, mode=mode, isolation="rlimits only")


# ---------------------------------------------------------------------------- visibility


def test_instructor_text_shows_expected_values_of_hidden_checks():
    out = text.render(make_report(), audience="instructor")
    assert SECRET in out


def test_student_text_hides_expected_values_but_names_the_mistake():
    out = text.render(make_report(), audience="student")
    assert SECRET not in out
    assert "differs from the reference on z of shape (3,)" in out
    assert "sigmoid_prime_of_activation" in out
    assert MISTAKES["sigmoid_prime_of_activation"][:30] in " ".join(out.split())


def test_student_json_hides_expected_values():
    assert SECRET not in json_render.render(make_report(), audience="student")
    assert SECRET in json_render.render(make_report(), audience="instructor")


@pytest.mark.parametrize("audience", ["student", "instructor"])
def test_gradescope_never_reveals_hidden_expected_values(audience):
    out = gradescope.render(make_report(), audience=audience)
    assert SECRET not in out
    assert "differs from the reference" in out


def test_public_check_messages_reach_students():
    out = text.render(make_report(), audience="student")
    assert "relu_prime(0.0) returned 1.0, expected 0.0" in out


# ---------------------------------------------------------------------------- text


def test_text_has_header_table_and_failures():
    out = text.render(make_report())
    assert "Score: 11 / 17" in out
    assert "Mode: grade (all checks)" in out
    assert "Isolation: bubblewrap sandbox" in out
    assert "Submission: folder sub/ (6 modules)" in out
    table = out.split("\n\n")[1].splitlines()
    assert table[0].split() == ["exercise", "module", "score", "status"]
    rows = {ln.split()[0]: ln for ln in table[2:]}
    assert rows["total"].split()[-3:] == ["11", "/", "17"]
    assert "5 / 5" in rows["sigmoid"] and rows["sigmoid"].rstrip().endswith("passed")
    assert "1 / 5" in rows["sigmoid_prime"] and rows["sigmoid_prime"].rstrip().endswith("partial")
    assert rows["relu_prime"].rstrip().endswith("failed")
    assert "sigmoid_prime (activations.py): lost 4 of 5 points" in out
    assert "FAILED reference: z of shape (3,) [reference, hidden]: 0 / 4" in out
    assert "advice" in out and "80× slower" in out
    assert "missing: train.py" in out


def test_text_details_only_for_exercises_that_lost_points_or_have_advice():
    out = text.render(make_report())
    assert "sigmoid (activations.py)" not in out
    assert "forward (network.py)" not in out


def test_text_is_plain_unless_colour_is_asked_for():
    report = make_report()
    assert "\x1b[" not in text.render(report)
    assert "\x1b[" in text.render(report, color=True)


def test_text_lines_stay_short():
    out = text.render(make_report(), audience="student")
    assert max(len(ln) for ln in out.splitlines()) < 100


@pytest.mark.parametrize("audience", ["student", "instructor"])
def test_check_mode_never_claims_all_tests_passed(audience):
    for report in (all_public_passing("check"), make_report("check")):
        out = text.render(report, audience=audience).lower()
        assert "all tests passed" not in out
        assert "hidden checks run when your instructor grades" in out
    out = text.render(all_public_passing("check"), audience=audience)
    assert "All public checks passed; hidden checks run when your instructor grades." in out


def test_grade_mode_with_everything_passing_says_so():
    out = text.render(all_public_passing("grade"))
    assert "Every check passed." in out
    assert "hidden checks run" not in out


def test_text_of_an_empty_report_does_not_crash():
    out = text.render(GradeReport(exercises={}))
    assert "Score: 0 / 0" in out


# ---------------------------------------------------------------------------- json


def test_json_has_the_contract_shape():
    data = json.loads(json_render.render(make_report()))
    assert data["score"] == 11.0 and data["max_score"] == 17.0
    assert set(data["exercises"]) == {"sigmoid", "sigmoid_prime", "relu_prime", "forward"}
    for ex in data["exercises"].values():
        assert isinstance(ex["score"], float) and isinstance(ex["max_score"], float)
        for check in ex["checks"]:
            assert {"name", "passed", "score", "max_score", "message"} <= set(check)
            assert isinstance(check["passed"], bool)
    sp = data["exercises"]["sigmoid_prime"]
    assert (sp["score"], sp["max_score"]) == (1.0, 5.0)
    assert sp["checks"][1]["passed"] is False
    assert data["submission"] == "folder sub/ (6 modules)"


def test_json_round_trips_the_report():
    report = make_report()
    data = json.loads(json_render.render(report))
    expected = report.to_dict("instructor")
    assert {k: data[k] for k in expected} == json.loads(json.dumps(expected))


def test_json_stays_valid_with_a_non_finite_score():
    ex = ExerciseResult("loss", "network", checks=[
        CheckResult("odd", False, float("nan"), 1.0, "nan score")])
    out = json_render.render(GradeReport(exercises={"loss": ex}))
    assert "NaN" not in out
    assert json.loads(out)["exercises"]["loss"]["checks"][0]["score"] is None


# ---------------------------------------------------------------------------- gradescope


def test_gradescope_results_json_has_the_required_fields():
    data = json.loads(gradescope.render(make_report()))
    for key in ("score", "execution_time", "output", "output_format", "visibility",
                "stdout_visibility", "tests"):
        assert key in data
    assert data["score"] == 11.0
    assert data["output_format"] == "text"
    assert data["stdout_visibility"] == "hidden"
    assert data["visibility"] in ("hidden", "after_due_date", "after_published", "visible")
    assert "Isolation: bubblewrap sandbox" in data["output"]
    assert "missing: train.py" in data["output"]
    assert len(data["tests"]) == 4
    for t in data["tests"]:
        assert set(t) >= {"name", "score", "max_score", "status", "output", "output_format",
                          "visibility", "tags", "number"}
        assert t["output_format"] == "text" and t["visibility"] == "visible"
        assert re.fullmatch(r"\d+\.\d+", t["number"])


def test_gradescope_statuses_scores_and_tags_per_exercise():
    tests = {t["name"].split()[0]: t for t in json.loads(gradescope.render(make_report()))["tests"]}
    assert tests["sigmoid"]["status"] == "passed"
    assert tests["sigmoid_prime"]["status"] == "failed"
    assert tests["relu_prime"]["status"] == "failed"
    assert (tests["sigmoid_prime"]["score"], tests["sigmoid_prime"]["max_score"]) == (1.0, 5.0)
    assert tests["sigmoid"]["tags"] == ["activations", "article", "reference"]
    assert [tests[n]["number"] for n in ("sigmoid", "sigmoid_prime", "relu_prime", "forward")] \
        == ["1.1", "1.2", "1.3", "2.1"]
    assert "sigmoid_prime_of_activation" in tests["sigmoid_prime"]["output"]
    assert "Advice" in tests["sigmoid_prime"]["output"]


def test_gradescope_sum_of_tests_is_the_score():
    data = json.loads(gradescope.render(make_report()))
    assert sum(t["score"] for t in data["tests"]) == pytest.approx(data["score"])


def test_gradescope_refuses_an_unknown_visibility():
    with pytest.raises(ValueError):
        gradescope.render(make_report(), visibility="everyone")


# ---------------------------------------------------------------------------- dispatch


def test_render_dispatches_by_format():
    report = make_report()
    assert render_pkg.render(report, "text") == text.render(report)
    assert render_pkg.render(report, "json", audience="student") == \
        json_render.render(report, audience="student")
    assert render_pkg.render(report, "gradescope") == gradescope.render(report)
    with pytest.raises(ValueError):
        render_pkg.render(report, "html")
    with pytest.raises(ValueError):
        render_pkg.render(report, "text", audience="everyone")


@pytest.mark.parametrize("value, shown", [(5.0, "5"), (2.5, "2.5"), (1 / 3, "0.33"), (0.0, "0")])
def test_points_are_written_as_people_write_them(value, shown):
    assert render_pkg.points(value) == shown
