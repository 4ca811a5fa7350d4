"""The renderers: do they honour visibility, keep the contract's shape, and never over-claim?"""
from __future__ import annotations

import json
import re
import unicodedata

import pytest

from grader import render as render_pkg
from grader.exercises import MISTAKES
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


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf"), "7", None])
def test_a_non_finite_score_counts_as_zero_with_a_note(bad):
    """A grader bug (a NaN score) must neither crash a renderer nor write NaN or null."""
    ex = ExerciseResult("loss", "network", checks=[
        CheckResult("odd", False, bad, 1.0, "nan score"),
        CheckResult("fine", True, 1.0, bad, "ok")])
    report = GradeReport(exercises={"loss": ex}, seconds=float("nan"))
    for out in (json_render.render(report), gradescope.render(report)):
        data = strict_json(out)
        assert data["score"] == 1.0
    odd, fine = strict_json(json_render.render(report))["exercises"]["loss"]["checks"]
    assert odd["score"] == 0.0 and "grader bug" in odd["message"]
    assert fine["max_score"] == 0.0 and "grader bug" in fine["message"]
    assert not fine["passed"]  # a check whose points are broken does not pass
    assert "Score: 1 / 1" in text.render(report)


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


# ---------------------------------------------------------------------------- forged reports

# What a student can put in an exception message, a warning, a file or zip member name.
HOSTILE = {
    "clear screen": "\x1b[2J\x1b[H",
    "window title": "\x1b]0;title\x07",
    "hyperlink": "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "forged score": "oops\r\nScore: 100 / 100",
    "forged score alone": "\nScore: 100 / 100 (100.0%)\n",
    "line separator": "a\u2028Score: 100 / 100\u2029b\x85c\x0bd\x0ce",
    "bidi override": "abc\u202edcba\u2066x\u2069",
    "lone surrogate": "bad \ud800 text \udfff",
    "a megabyte": "x" * 1_000_000,
    "NUL": "a\x00b",
    "C1 controls": "\x9b2J\x9d0;t\x9c\x90",
    "backspaces": "100\b\b\b0",
}
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def strict_json(out: str):
    """json.loads that refuses NaN/Infinity and any string that is not valid Unicode."""
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")

    out.encode("utf-8")  # raises on a lone surrogate
    data = json.loads(out, parse_constant=refuse)

    def walk(value):
        if isinstance(value, str):
            value.encode("utf-8")  # an escaped lone surrogate ("\\ud800") decodes to one
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(k)
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
    walk(data)
    return data


def hostile_report(bad: str, mode: str = "grade") -> GradeReport:
    """``bad`` in every string a student can influence."""
    ex = ExerciseResult("sigmoid_prime", "activations", checks=[
        CheckResult("reference: z of shape (3,)", False, 0.0, 4.0, f"sigmoid_prime raised {bad}",
                    visibility=HIDDEN, student_message=f"it raised {bad}"),
        CheckResult("property: σ'(0) = 0.25", False, 0.0, 1.0, bad, kind="property"),
        CheckResult("hygiene", True, 1.0, 1.0, "ok", kind="hygiene"),
    ], notes=[bad, f"warning: UserWarning: {bad}"])
    return GradeReport(exercises={ex.name: ex}, mode=mode, isolation="rlimits only",
                       submission=f"zip {bad}.zip (6 modules)",
                       notes=[f"skipped {bad}.py: not a regular file", bad])


def assert_clean(out: str, newlines: bool) -> None:
    out.encode("utf-8")
    assert len(out) < 20_000
    for ch in out:
        assert ch == "\n" and newlines or unicodedata.category(ch) not in ("Cc", "Cf", "Cs"), \
            f"{ch!r} in the report"
    assert not BIDI & set(out)
    for leftover in ("[2J", "]0;", "title", "evil.example", "\x00"):
        assert leftover not in out


def score_lines(out: str) -> list[str]:
    """Lines that start with "Score" (a student's text may read "Score", indented under the
    label of what it belongs to, never at the start of a line of its own)."""
    return [ln for ln in out.splitlines() if ln.lower().startswith("score")]


@pytest.mark.parametrize("audience", ["student", "instructor"])
@pytest.mark.parametrize("bad", list(HOSTILE.values()), ids=list(HOSTILE))
def test_text_report_cannot_be_forged(bad, audience):
    for mode in ("grade", "check"):
        out = text.render(hostile_report(bad, mode), audience=audience)
        assert_clean(out, newlines=True)
        assert len(score_lines(out)) == 1, score_lines(out)
        assert out.startswith("Score: 1 / 6 (16.7%)\n")


@pytest.mark.parametrize("audience", ["student", "instructor"])
@pytest.mark.parametrize("bad", list(HOSTILE.values()), ids=list(HOSTILE))
def test_json_report_is_strict_and_clean(bad, audience):
    out = json_render.render(hostile_report(bad), audience=audience)
    data = strict_json(out)
    assert data["score"] == 1.0
    for string in _strings(data):
        assert_clean(string, newlines=False)
        assert len(string) <= 600


@pytest.mark.parametrize("bad", list(HOSTILE.values()), ids=list(HOSTILE))
def test_gradescope_results_are_strict_and_have_one_score(bad):
    data = strict_json(gradescope.render(hostile_report(bad)))
    outputs = [data["output"], *(t["output"] for t in data["tests"])]
    for out in outputs:
        assert_clean(out, newlines=True)
    assert len([ln for out in outputs for ln in score_lines(out)]) == 1
    assert data["output"].startswith("Score: 1 / 6\n")
    for string in _strings(data):
        string.encode("utf-8")


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_the_forged_score_line_is_kept_as_text_on_the_messages_line():
    out = text.render(hostile_report(HOSTILE["forged score"]))
    assert "sigmoid_prime raised oops  Score: 100 / 100" in out


def test_escape_sequences_go_whole_and_text_around_them_stays():
    report = hostile_report("before\x1b[31;1mred\x1b[0m\x1b]0;title\x07after")
    out = text.render(report)
    assert "beforeredafter" in out


def test_a_megabyte_message_is_cut_with_an_ellipsis():
    data = strict_json(json_render.render(hostile_report("y" * 1_000_000)))
    message = data["exercises"]["sigmoid_prime"]["checks"][1]["message"]
    assert message.endswith("…") and 100 < len(message) <= 500


def test_a_lone_surrogate_becomes_a_replacement_character():
    data = strict_json(json_render.render(hostile_report("x\ud800y")))
    assert data["exercises"]["sigmoid_prime"]["checks"][1]["message"] == "x\ufffdy"


def test_strings_set_after_construction_are_sanitised_too():
    """The engine edits results after building them (scaling credit, appending advice)."""
    report = make_report()
    ex = report.exercises["relu_prime"]
    ex.checks[0].message = "\x1b[2J\nScore: 100 / 100"
    ex.checks[0].score = float("nan")
    ex.notes.append("\x1b]0;title\x07\u202e")
    ex.notes += ["\r\nScore: 99"]
    report.notes.extend(["\ud800"])
    report.exercises["bad\x1b[2J\nScore: 1"] = ExerciseResult("x\n", "y\x00")
    report.submission = "\x1b[2J"
    for audience in ("student", "instructor"):
        out = text.render(report, audience=audience)
        assert_clean(out, newlines=True)
        assert len(score_lines(out)) == 1
        strict_json(json_render.render(report, audience=audience))
    assert ex.checks[0].score == 0.0


def test_notes_are_bounded_in_number():
    from grader.results import MAX_NOTES

    report = make_report()
    report.notes.clear()
    for i in range(10 * MAX_NOTES):
        report.notes.append(f"note {i}")
    assert len(report.notes) == MAX_NOTES
    assert report.notes[-2] == f"note {MAX_NOTES - 2}"
    assert report.notes[-1] == f"… and {9 * MAX_NOTES + 1} more notes not shown"


def test_colour_uses_only_our_own_escape_sequences():
    out = text.render(hostile_report(HOSTILE["clear screen"]), color=True)
    assert not re.findall(r"\x1b(?!\[(?:3[0-9]|0)m)", out)


# ---------------------------------------------------------------------------- sanitize


@pytest.mark.parametrize("raw, clean", [
    ("\x1b[2Jhello", "hello"),
    ("\x1b]0;title\x07x", "x"),
    ("a\r\nScore: 100 / 100", "a  Score: 100 / 100"),
    ("ab\u202ecd\u2066e\u2069", "abcde"),
    ("x\ud800y", "x\ufffdy"),
    ("\ud83d\ude00", "\U0001f600"),  # a surrogate pair is its character
    ("n\x00ul\x7f", "nul"),
    ("\x9b31mred", "red"),
    ("\x1b]unterminated", "unterminated"),
    ("tab\there", "tab here"),
    ("zero\u200bwidth\ufeff", "zerowidth"),
    ("\x1bc\x1b(Bok", "ok"),
    ("[[1. 2.]\n [3. 4.]]", "[[1. 2.]  [3. 4.]]"),
    ("  padded  ", "padded"),
    ("σ'(z) ≈ 0.25 ✓", "σ'(z) ≈ 0.25 ✓"),
])
def test_sanitize_line(raw, clean):
    from grader import sanitize

    assert sanitize.line(raw) == clean
    assert sanitize.line(clean) == clean


def test_sanitize_line_is_bounded_and_idempotent():
    from grader import sanitize

    for raw in ("x" * 10_000, "\x1b[2J" * 100_000, "é" * 600, "\x1b]" + "a" * 10_000):
        once = sanitize.line(raw, 50)
        assert len(once) <= 50 and once.endswith("…")
        assert sanitize.line(once, 50) == once
    assert sanitize.line(None) == ""
    assert sanitize.line(3.5) == "3.5"


def test_sanitize_block_keeps_lines_apart_and_cleans_each():
    from grader import sanitize

    tb = 'Traceback:\n  File "x", line 1\r\n    \x1b[31mboom\x1b[0m\nValueError: \u202eoops\ud800'
    assert sanitize.block(tb) == ('Traceback:\n  File "x", line 1\n    boom\n'
                                  'ValueError: oops\ufffd')
    many = sanitize.block("line\n" * 1000, max_lines=5)
    assert many.count("\n") == 4 and many.endswith("…")
    assert len(sanitize.block("z" * 10**6)) <= sanitize.BLOCK_CHARS


@pytest.mark.parametrize("earned", [0.0, 0.5])
def test_a_check_that_held_but_was_scaled_is_never_called_failed(earned):
    """'restores x exactly' held; its points count only beside evidence that failed: the
    text says so ("not counted" / "counted in part"), never FAILED."""
    held = CheckResult("restores x exactly", False, earned, 1.5,
                       f"counted at {earned / 1.5:.0%}, the share of this exercise's checks on "
                       "unseen inputs that pass (a wrong answer can have this property too): "
                       "leaves x exactly as it found it", kind="hygiene")
    wrong = CheckResult("exact for quadratics", False, 0.0, 1.5, "off by c2·ε", kind="property")
    ex = ExerciseResult("numerical_gradient", "gradcheck", checks=[wrong, held])
    out = text.render(GradeReport({"numerical_gradient": ex}, mode="check"))
    assert "FAILED exact for quadratics" in out
    assert "FAILED restores x" not in out
    assert ("not counted" if earned == 0 else "counted in part") + " restores x exactly" in out


def test_why_held_checks_are_scaled_is_said_once():
    """Two checks scaled for the same reason: the reason once, no line of it repeated."""
    why = ("counted at 0%, the share of this exercise's checks on unseen inputs that pass (a "
           "wrong answer can have this property too): ")
    checks = [CheckResult("exact", False, 0.0, 1.0, "off", kind="property"),
              CheckResult("keeps the shape", False, 0.0, 0.5, why + "keeps the shape of its "
                          "input (float, 0-d, empty, N-d)", kind="hygiene"),
              CheckResult("untouched", False, 0.0, 0.5, why + "leaves its arguments untouched",
                          kind="hygiene")]
    ex = ExerciseResult("sigmoid_prime", "activations", checks=checks)
    out = text.render(GradeReport({"sigmoid_prime": ex}, mode="check"))
    lines = [ln for ln in out.splitlines() if ln.strip() and not set(ln.strip()) <= {"-", " "}]
    assert len(lines) == len(set(lines)), out
    assert out.count("the share of this exercise") == 1, out
    assert "leaves its arguments untouched" in out
