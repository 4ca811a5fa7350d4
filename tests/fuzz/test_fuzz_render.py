"""Fuzzing the renderers: no report a student can influence comes out forged or invalid.

Hypothesis builds whole :class:`GradeReport` objects with hostile text in every string field
(random Unicode including lone surrogates, C0/C1 controls, escape sequences, bidi controls,
forged "Score:" lines, strings up to a megabyte) and hostile numbers where a buggy check could
produce them (NaN, ±inf, huge values), some set after construction as the engine does. Every
renderer and audience must give:

- text: valid UTF-8, no control or format character except "\\n", exactly one line starting
  with "Score" (the first), a size bounded by the number of fields, not by their length;
- JSON and Gradescope: strict JSON (no NaN/Infinity, every string valid Unicode), no control
  characters in any string, each string bounded, scores that add up; in Gradescope's outputs
  one "Score" line in all.

On CI: 100 derandomised examples per test (reproducible, a few seconds). A longer, random run:

    BPCOURSE_FUZZ_EXAMPLES=5000 python -m pytest -q tests/fuzz/test_fuzz_render.py

(any value other than the default also turns derandomisation off, so each run explores new
inputs; hypothesis prints the failing report's reproduction on failure).
"""
from __future__ import annotations

import json
import math
import os
import re
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.exercises import MISTAKES
from grader.render import AUDIENCES, FORMATS, render
from grader.results import HIDDEN, PUBLIC, CheckResult, ExerciseResult, GradeReport

EXAMPLES = int(os.environ.get("BPCOURSE_FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, derandomize=EXAMPLES == 100, database=None,
                deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                      HealthCheck.data_too_large])

FIELD_CHARS = 600  # the longest string a report may hold (a message and a grader's note)
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")

# Pieces an attacker would reach for, mixed into random text.
ESCAPES = [
    "\x1b[2J", "\x1b[H", "\x1b[31;1m", "\x1b[0m", "\x1b]0;title\x07", "\x1b]8;;http://x\x1b\\",
    "\x1bc", "\x1b(B", "\x1b", "\x9b2J", "\x9d0;t\x9c", "\x90q\x9c", "\x1bP+q\x1b\\", "\x1b[",
    "\r", "\n", "\r\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\t", "\x00", "\x7f", "\b",
    "\u202e", "\u2066", "\u2069", "\u200b", "\ufeff", "\U000e0041", "\ud800", "\udfff",
    "\ud83d\ude00", "\nScore: 100 / 100", "\r\nScore: 100 / 100 (100.0%)", "Score: 100",
    "\u2028Score: 100 / 100", "Score:", "  ", "σ'(z)", "…",
]
any_char = st.characters(exclude_categories=())  # includes surrogates (Cs) and controls (Cc)
fragment = st.one_of(
    st.text(any_char, max_size=30),
    st.sampled_from(ESCAPES),
    st.builds(lambda ch, n: ch * n, st.sampled_from(["x", "\x1b[2J", "é", "\u202e", "\n"]),
              st.integers(0, 3000)),
)
hostile = st.lists(fragment, max_size=6).map("".join)
huge = st.builds(lambda ch, n: ch * n, st.sampled_from(["y", "\x1b]", "\ud800"]),
                 st.sampled_from([10_000, 1_000_000]))
text_field = st.one_of(hostile, hostile, hostile, huge)

number = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(0, 10),
    st.integers(-3, 10),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e308, -0.0]),
)


@st.composite
def checks(draw):
    c = CheckResult(
        name=draw(text_field), passed=draw(st.booleans()), score=draw(number),
        max_score=draw(number), message=draw(text_field),
        kind=draw(st.one_of(st.sampled_from(["article", "reference", "property",
                                             "consistency", "hygiene"]), text_field)),
        visibility=draw(st.one_of(st.sampled_from([PUBLIC, HIDDEN]), text_field)),
        mistake=draw(st.one_of(st.none(), st.sampled_from(sorted(MISTAKES)), text_field)),
        student_message=draw(st.one_of(st.none(), text_field)))
    if draw(st.booleans()):  # the engine edits results after building them
        c.message = draw(text_field) + c.message
        c.score = draw(number)
    return c


@st.composite
def exercises(draw):
    ex = ExerciseResult(draw(text_field), draw(text_field),
                        checks=draw(st.lists(checks(), max_size=4)),
                        notes=draw(st.lists(text_field, max_size=3)))
    for note in draw(st.lists(text_field, max_size=2)):
        ex.notes.append(note)
    return ex


@st.composite
def reports(draw):
    exs = draw(st.lists(exercises(), max_size=4))
    report = GradeReport(
        exercises={draw(text_field): ex for ex in exs},
        mode=draw(st.one_of(st.sampled_from(["grade", "check"]), text_field)),
        isolation=draw(text_field), seconds=draw(number), submission=draw(text_field),
        notes=draw(st.lists(text_field, max_size=3)))
    if draw(st.booleans()):
        report.notes.append(draw(text_field))
        report.submission = draw(text_field)
    return report


def _fields(report: GradeReport) -> int:
    return 10 + len(report.notes) + sum(
        3 + len(ex.notes) + 4 * len(ex.checks) for ex in report.exercises.values())


def _clean(text: str, newlines: bool) -> None:
    text.encode("utf-8")  # no lone surrogate
    bad = [ch for ch in text if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Cn")
           and not (newlines and ch == "\n")]
    assert not bad, f"{bad[:5]!r} in {text[:200]!r}"
    assert not BIDI & set(text)


def _refuse(name):
    raise ValueError(f"non-standard JSON constant {name}")


def _strict_json(out: str):
    out.encode("utf-8")
    return json.loads(out, parse_constant=_refuse)


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


def _numbers(value):
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, list):
        for v in value:
            yield from _numbers(v)


SCORE_LINE = re.compile(r"Score: -?[\d.]+ / -?[\d.]+( \(-?[\d.]+%\))?")


@FUZZ
@given(reports())
def test_text_report_is_clean_with_one_score_line(report):
    for audience in AUDIENCES:
        out = render(report, "text", audience=audience)
        _clean(out, newlines=True)
        lines = out.splitlines()
        assert [ln for ln in lines if ln.startswith("Score")] == [lines[0]]
        assert SCORE_LINE.fullmatch(lines[0]), lines[0]
        assert len(out) <= 400 * (_fields(report) + 10) + FIELD_CHARS * _fields(report)
    painted = render(report, "text", color=True)
    assert not re.findall(r"\x1b(?!\[(?:3[0-9]|0)m)", painted)  # only our own colours


@FUZZ
@given(reports())
def test_json_report_is_strict_and_clean(report):
    for audience in AUDIENCES:
        out = render(report, "json", audience=audience)
        data = _strict_json(out)
        for string in _strings(data):
            _clean(string, newlines=False)
            assert len(string) <= FIELD_CHARS
        assert all(math.isfinite(x) for x in _numbers(data))
        assert data["score"] == report.score
        assert math.isclose(data["score"], sum(e["score"] for e in data["exercises"].values()),
                            rel_tol=1e-9, abs_tol=1e-3)
        assert len(out) <= 2 * FIELD_CHARS * (_fields(report) + 10)


@FUZZ
@given(reports(), st.sampled_from(["hidden", "after_due_date", "after_published", "visible"]))
def test_gradescope_results_are_strict_and_have_one_score(report, visibility):
    for audience in AUDIENCES:
        data = _strict_json(render(report, "gradescope", audience=audience,
                                   visibility=visibility))
        for string in _strings(data):
            string.encode("utf-8")
        outputs = [data["output"], *(t["output"] for t in data["tests"])]
        for out in outputs:
            _clean(out, newlines=True)
        starts = [ln for out in outputs for ln in out.splitlines() if ln.startswith("Score")]
        assert starts == [data["output"].splitlines()[0]]
        for test in data["tests"]:
            _clean(test["name"], newlines=False)
        assert all(math.isfinite(x) for x in _numbers(data))


def test_every_format_is_fuzzed():
    assert set(FORMATS) == {"text", "json", "gradescope"}
