"""`bpcourse grade-all`: every student once, hostile names and submissions contained,
atomic results, a resumed run identical to an uninterrupted one.

Cost: the small class (7 students) is graded twice (~10 s on 2 cores)."""
from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from grader.classgrade import collect, gradebook
from tests.bank.cases import REPO
from tests.classgrade.conftest import CLASS, bpcourse

STUDENTS = len(CLASS) + 1  # and not-a-zip


def _rows(out: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text())))


def test_every_student_has_one_row_result_and_feedback(graded):
    rows = _rows(graded)
    assert len(rows) == STUDENTS
    assert len({r["key"] for r in rows}) == STUDENTS
    results = sorted((graded / "results").iterdir())
    assert len(results) == STUDENTS and all(p.suffix == ".json" for p in results)
    assert len(list((graded / "feedback").iterdir())) == STUDENTS
    by_name = {r["student"]: r for r in rows}
    assert by_name["ada"]["total"] == "100" and by_name["ada"]["status"] == "graded"
    assert by_name["dan"]["status"] == "graded" and float(by_name["dan"]["backward"]) < 16
    assert float(by_name["dan"]["total"]) < 100
    assert by_name["erin"]["status"] == "ungradable" and by_name["erin"]["total"] == "0"
    assert by_name["not-a-zip"]["status"] == "ungradable"
    # hostile submissions are graded like any other
    assert by_name["carol"]["status"] == "graded"
    data = json.loads((graded / "results" / f"{by_name['ada']['key']}.json").read_text())
    assert data["isolation"] and data["exercises"]["backward"]["score"] == 16
    # the feedback a student reads names dan's mistake and where the course teaches that step
    dan = (graded / "feedback" / f"{by_name['dan']['key']}.txt").read_text().splitlines()
    at = next(i for i, line in enumerate(dan) if "known mistake (transposed_dW)" in line)
    assert "read: 06_minibatches.ipynb § The batch gradient and the slip in the article" in \
        [line.strip() for line in dan[at:at + 4]]


def test_student_names_are_sanitised_in_paths_csv_and_feedback(graded):
    text = (graded / "gradebook.csv").read_text()
    for row in _rows(graded):
        assert not row["student"].startswith(("=", "+", "-", "@"))
        assert row["key"].replace("-", "").replace("_", "").replace(".", "").isalnum()
    assert "'=HYPERLINK" in text  # shown, never run as a formula
    assert "\x1b" not in text and "\u202e" not in text
    for p in (graded / "feedback").iterdir():
        body = p.read_text()
        assert "\x1b" not in body and "\u202e" not in body
        assert p.name.replace("-", "").replace("_", "").replace(".", "").isalnum()


def test_a_rerun_grades_nobody_again(graded, small_class):
    before = {p.name: p.stat().st_mtime_ns for p in (graded / "results").iterdir()}
    done = bpcourse("grade-all", small_class, "--out", graded, "--workers", "2", timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"{STUDENTS} of {STUDENTS} students already graded" in done.stderr
    assert {p.name: p.stat().st_mtime_ns for p in (graded / "results").iterdir()} == before


def _interrupt(small_class, out: Path, sig: int, after: int, tmp: Path) -> subprocess.Popen:
    """Start grade-all (one worker, TMPDIR ``tmp``) and send ``sig`` to its process group once
    ``after`` results are on disk: bounded by work done, not by time."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmp)}
    proc = subprocess.Popen([sys.executable, "-m", "grader.cli", "grade-all", str(small_class),
                             "--out", str(out), "--workers", "1"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        while proc.poll() is None and len(list((out / "results").glob("*.json"))) < after:
            time.sleep(0.01)
    finally:
        if sig == signal.SIGKILL:
            os.killpg(proc.pid, sig)  # the whole group: parent and workers
        else:
            os.kill(proc.pid, sig)  # the command itself: it stops its workers
        proc.wait(timeout=60)
    return proc


def test_interrupted_and_resumed_gives_the_same_gradebook(graded, small_class, tmp_path):
    out, tmp = tmp_path / "grades", tmp_path / "tmp"
    tmp.mkdir()
    proc = _interrupt(small_class, out, signal.SIGTERM, 1, tmp)
    assert proc.returncode == 128 + signal.SIGTERM
    err = proc.stderr.read()
    assert "interrupted by SIGTERM after" in err and "rerun to resume" in err, err
    assert "Traceback" not in err
    first = len(list((out / "results").glob("*.json")))
    proc = _interrupt(small_class, out, signal.SIGKILL, first + 1, tmp)
    second = list((out / "results").glob("*.json"))
    assert first < len(second) < STUDENTS, "each kill came before the last result"
    assert not (out / "gradebook.csv").exists()
    assert list((out / gradebook.WORK).iterdir())  # what the SIGKILL left: unpacked, staging
    assert not list(tmp.iterdir())  # ... and nothing of it in TMPDIR
    done = bpcourse("grade-all", small_class, "--out", out, "--workers", "2", timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"{len(second)} of {STUDENTS} students already graded" in done.stderr
    assert (out / "gradebook.csv").read_bytes() == (graded / "gradebook.csv").read_bytes()
    assert not list(out.rglob("*.tmp"))
    assert not list((out / gradebook.WORK).iterdir())  # the resumed run cleared it


def test_one_run_at_a_time_per_output_folder(small_class, tmp_path):
    fd, work = gradebook.claim(tmp_path / "grades")
    try:
        done = bpcourse("grade-all", small_class, "--out", tmp_path / "grades", timeout=120)
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert "another grade-all is writing to" in done.stderr
        assert work.is_dir() and not (tmp_path / "grades" / "results").exists()
    finally:
        os.close(fd)


def test_csv_cells_never_start_a_formula():
    for name in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "=cmd|' /C calc'!A0"):
        assert gradebook.cell(name).startswith("'")
    assert gradebook.cell("ada") == "ada"
    text = gradebook.gradebook_csv([{"student": "=1+1", "key": "x", "score": 5,
                                     "status": "graded", "exercises": {}}])
    assert "\n'=1+1,x,5," in text


def test_keys_are_safe_distinct_and_stable():
    names = ["ada", "../../etc/passwd", "a b", "a_b", "a\x00b", "", ".hidden", "x" * 500]
    keys = [collect.student_key(n) for n in names]
    assert len(set(keys)) == len(keys)
    assert keys[0] == "ada" and keys == [collect.student_key(n) for n in names]
    for k in keys:
        assert k and not k.startswith(".") and "/" not in k and len(k) <= 100


def test_nbgrader_submitted_tree(tmp_path):
    for student in ("s1", "s2"):
        (tmp_path / "course" / "submitted" / student / "ps1").mkdir(parents=True)
        (tmp_path / "course" / "submitted" / student / "ps1" / "a.ipynb").write_text("{}")
    (tmp_path / "course" / "submitted" / "s2" / "ps2").mkdir()
    with pytest.raises(collect.CollectError, match="--assignment"):
        collect.collect(tmp_path / "course", tmp_path / "w")
    found = collect.collect(tmp_path / "course", tmp_path / "w", assignment="ps1")
    assert [(s.key, s.path.name) for s in found] == [("s1", "ps1"), ("s2", "ps1")]


def test_lms_bulk_download(tmp_path):
    bulk = tmp_path / "bulk.zip"
    with zipfile.ZipFile(bulk, "w") as zf:
        for module in ("activations", "network"):  # Canvas: one file per module
            zf.writestr(f"smithjane_123_456_{module}.py", "x = 1\n")
        zf.writestr("doejohn_LATE_124_457_submission.zip", b"PK")  # Canvas, late
        zf.writestr("Ann Lee_99_assignsubmission_file_/work.ipynb", "{}")  # Moodle
        zf.writestr("=evil_1_2_..%2f..%2fx.py", "")
        zf.writestr("../escape.py", "")  # never unpacked outside
        info = zipfile.ZipInfo("link_1_2_a.py")
        info.external_attr = 0o120777 << 16  # a symlink: skipped
        zf.writestr(info, "/etc/passwd")
    found = {s.name: s for s in collect.collect(bulk, tmp_path / "w")}
    assert set(found) == {"smithjane", "doejohn", "Ann Lee", "=evil"}
    assert sorted(p.name for p in found["smithjane"].path.iterdir()) == ["activations.py",
                                                                         "network.py"]
    assert found["doejohn"].path.name == "submission.zip"
    assert found["Ann Lee"].path.name == "work.ipynb"
    for s in found.values():
        assert s.path.resolve().is_relative_to((tmp_path / "w").resolve())
    assert not (tmp_path / "escape.py").exists()


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    done = bpcourse("grade-all", tmp_path / "missing", "--out", tmp_path / "g")
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    (tmp_path / "empty").mkdir()
    done = bpcourse("grade-all", tmp_path / "empty", "--out", tmp_path / "g")
    assert done.returncode == 2 and "no submissions" in done.stderr
    assert "Traceback" not in done.stderr
