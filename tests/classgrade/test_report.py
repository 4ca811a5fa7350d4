"""`bpcourse report`: a self-contained page, every student string escaped, and it renders
(headless Chromium takes a screenshot in which the charts' bars are visible).

Cost: one Chromium screenshot and reading its pixels (~3 s); the class is graded once per session (conftest)."""
from __future__ import annotations

import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from grader.classgrade import report_html
from tests.classgrade.conftest import bpcourse
from tests.classgrade.png import pixels

HOSTILE = '<img src=x onerror=alert(1)>"\'&<script>alert(2)</script>'


def _result(name, score, mistake=None, passed=True):
    return {"student": name, "key": "k" + str(score), "status": "graded", "score": score,
            "max_score": 100.0, "isolation": HOSTILE,
            "exercises": {"backward": {"score": score, "max_score": 100.0,
                                       "mistakes": [mistake] if mistake else [],
                                       "checks": [{"name": HOSTILE, "passed": passed}]}}}


def test_every_student_string_is_escaped():
    page = report_html.render([_result(HOSTILE, 40, mistake=HOSTILE, passed=False),
                               _result("ada", 100)])
    assert "<script" not in page and "<img" not in page and "onerror=alert(1)>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;&quot;&#x27;&amp;" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")  # self-contained


def test_summary_counts_pass_rates_and_mistakes():
    s = report_html.summarise([_result("a", 40, "transposed_dW", False),
                               _result("b", 100), _result("c", 55, "transposed_dW", False)])
    assert report_html.histogram(s["scores"]) == [0, 0, 0, 0, 1, 1, 0, 0, 0, 1]
    assert s["exercises"] == [("backward", 1, 3)]
    assert s["mistakes"] == [(("backward", "transposed_dW"), 2)]


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        reason = "headless Chromium is not installed (apt-get install chromium)"
        if os.environ.get("BPCOURSE_REQUIRE_SANDBOX") == "1":
            pytest.fail(reason + " and BPCOURSE_REQUIRE_SANDBOX=1")
        pytest.skip(reason)
    return found


def test_the_report_renders_in_headless_chromium(graded, tmp_path):
    browser = _chromium()
    page = tmp_path / "report.html"
    done = bpcourse("report", graded, "--html", page)
    assert done.returncode == 0, done.stderr
    shot = tmp_path / "shot.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--user-data-dir={tmp_path / 'profile'}", "--window-size=900,1100",
                    f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    width, height, px = pixels(shot.read_bytes())
    assert (width, height) == (900, 1100)
    colours = Counter(px)
    white = colours[(255, 255, 255)]
    assert white < 0.98 * len(px), "the screenshot is blank"
    bar = tuple(int(report_html.BAR[i:i + 2], 16) for i in (1, 3, 5))
    assert colours[bar] > 2000, "the charts' bars are not visible"


def test_no_results_is_one_line_and_exit_2(tmp_path):
    done = bpcourse("report", tmp_path, "--html", tmp_path / "r.html")
    assert done.returncode == 2 and "no grade-all results" in done.stderr
    assert not (tmp_path / "r.html").exists()
