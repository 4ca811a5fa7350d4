"""What ``grade-all`` writes into its output folder, and how it is read back.

    grades/results/<key>.json   one student's result (written atomically; its presence
                                means the student is finished)
    grades/feedback/<key>.txt   the student's feedback (the text report, student audience)
    grades/gradebook.csv        student, key, total, one column per exercise, status
    grades/.work/               the run's temporary folders (unpacked archives, each
                                student's staging); emptied when a run starts, so what a
                                killed run left (SIGKILL runs no cleanup) goes with the next
    grades/.lock                held (flock) while a run writes here: one run at a time

Every file is written to a temporary name in the same folder and renamed into place
(``os.replace``), so a reader never sees half a file and an interrupted run leaves only
whole results (and perhaps a ``.tmp`` file, removed by the next run). The CSV is made from
the result files alone, sorted by key, without timings: an interrupted and resumed run gives
the same bytes as an uninterrupted one.
"""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

from grader import sanitize
from grader.contract import FUNCTION_MODULE

RESULTS = "results"
WORK = ".work"
LOCK = ".lock"
FEEDBACK = "feedback"
GRADEBOOK = "gradebook.csv"
FINISHED = ("graded", "ungradable")  # "failed" (the grader's own trouble) is retried
_FORMULA = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class Busy(Exception):
    """Another run holds the output folder."""


def claim(out: Path) -> tuple[int, Path]:
    """Lock ``out`` for this run and give it an empty work folder (``WORK``, mode 700):
    (the lock's file descriptor, to keep open while the run lasts; the work folder).
    Raises :class:`Busy` when another run holds the lock, OSError when ``out`` cannot be
    written."""
    import fcntl
    import shutil

    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise Busy(f"another grade-all is writing to {out}") from None
    work = out / WORK
    shutil.rmtree(work, ignore_errors=True)
    os.mkdir(work, 0o700)
    return fd, work


def remove_temporaries(out: Path) -> None:
    for sub in (out / RESULTS, out / FEEDBACK, out):
        if sub.is_dir():
            for p in sub.glob(".*.tmp"):
                p.unlink(missing_ok=True)


def result_path(out: Path, key: str) -> Path:
    return out / RESULTS / f"{key}.json"


def load_result(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def finished(out: Path, key: str) -> bool:
    data = load_result(result_path(out, key))
    return data is not None and data.get("status") in FINISHED


def load_results(out: Path) -> list[dict]:
    """Every readable result in ``out``, sorted by key."""
    folder = out / RESULTS
    found = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        data = load_result(path)
        if data is not None:
            found.append(data)
    return found


def exercise_names(results: list[dict]) -> list[str]:
    """The contract's functions in its order, then any other exercise found, sorted."""
    seen = {name for r in results for name in (r.get("exercises") or {})}
    return [f for f in FUNCTION_MODULE] + sorted(seen - set(FUNCTION_MODULE))


def cell(text) -> str:
    """A string for a spreadsheet: one clean line, never read as a formula (a cell starting
    with = + - @ is prefixed with an apostrophe, as OWASP advises for CSV injection)."""
    text = sanitize.line(text, sanitize.NAME_CHARS)
    return "'" + text if text.startswith(_FORMULA) else text


def number(x) -> str:
    value = sanitize.number(x)
    return "" if value is None else f"{value:.4g}" if value != int(value) else str(int(value))


def gradebook_csv(results: list[dict]) -> str:
    names = exercise_names(results)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", "key", "total", *names, "status"])
    for r in sorted(results, key=lambda r: str(r.get("key", ""))):
        exercises = r.get("exercises") or {}
        scores = [number((exercises.get(n) or {}).get("score")) if n in exercises else ""
                  for n in names]
        w.writerow([cell(r.get("student", "")), cell(r.get("key", "")),
                    number(r.get("score", 0.0)), *scores, cell(r.get("status", ""))])
    return buf.getvalue()


def write_gradebook(out: Path, keys: list[str]) -> Path:
    results = [r for r in load_results(out) if r.get("key") in set(keys)]
    path = out / GRADEBOOK
    atomic_write(path, gradebook_csv(results))
    return path


def write_student(out: Path, key: str, name: str, answer: dict) -> None:
    """Feedback first, then the result: a result on disk means the student is finished."""
    report = answer.get("report") or {}
    data = {"student": name, "key": key, "status": answer.get("status", "failed"),
            "error": sanitize.line(answer.get("error", "")),
            "score": report.get("score", 0.0), "max_score": report.get("max_score", 100.0),
            "isolation": report.get("isolation", ""), "mode": report.get("mode", "grade"),
            "seconds": report.get("seconds", 0.0),
            "submission": sanitize.line(answer.get("submission", "")),
            "notes": report.get("notes", []), "exercises": report.get("exercises", {})}
    feedback = answer.get("feedback") or (
        f"Score: 0 / 100\nNot graded: {data['error'] or 'no result'}\n")
    atomic_write(out / FEEDBACK / f"{key}.txt", f"Student: {name}\n{feedback}\n")
    from grader.render import dumps

    atomic_write(result_path(out, key), dumps(data) + "\n")
