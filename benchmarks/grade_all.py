"""Benchmark: `bpcourse grade-all` on a synthetic class, with 1 and with 2 workers.

    python benchmarks/grade_all.py [--students 40] [--mix mixed|correct] [--workers 1 2]
                                   [--interrupt] [--keep DIR]

Builds a class from the test bank (tests/bank/submissions): ``mixed`` is half correct
submissions, a third buggy ones and the rest fast hostile ones (syntax errors, exits at import,
floods, monkeypatching, reading the reference, writing files, memory bombs; no case that hangs
for its whole budget); ``correct`` is correct submissions only. Each student gets a folder of
their own. For each number of workers, grades the class into a fresh folder and prints the
wall time of the whole command (start-up and collection included), students per second, the
grader's peak RSS (the largest VmHWM of the grading workers) and the gradebook's row count; then
checks that every run wrote the same gradebook (no lost or duplicated row, deterministic
grades). ``--interrupt``: one more run with the last number of workers, stopped by SIGTERM
once a third of the class is graded, then resumed; its gradebook must be byte for byte the
same. A script, not a timed test: the machine is shared and noisy.
"""
from __future__ import annotations

import argparse
import csv
import io
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

FAST_HOSTILE = ("syntax_error", "os_exit_at_import", "import_error", "print_flood",
                "forged_frames", "monkeypatch_numpy", "read_reference_files", "write_files",
                "memory_bomb_numpy", "system_exit", "control_chars_in_messages", "huge_return")


def build_class(dest: Path, students: int, mix: str,
                hostile: tuple[str, ...] = FAST_HOSTILE) -> Path:
    """``students`` folders in ``dest``; ``hostile``: the hostile bank cases to cycle through."""
    from tests.bank.assemble import assemble
    from tests.bank.cases import CASES, BY_ID

    correct = itertools.cycle([c for c in CASES if c.category == "correct"])
    buggy = itertools.cycle([c for c in CASES if c.category == "buggy"])
    hostile = itertools.cycle([BY_ID[f"hostile/{n}"] for n in hostile if
                               f"hostile/{n}" in BY_ID])
    for i in range(students):
        if mix == "correct" or i % 6 in (0, 1, 2):
            case = next(correct)
        elif i % 6 in (3, 4):
            case = next(buggy)
        else:
            case = next(hostile)
        assemble(case, dest / f"student{i:04d}-{case.name}", marker=f"bpcourse-bench-{i}")
    return dest


SUMMARY = re.compile(r"grader peak RSS (\d+) MB")


def run(class_dir: Path, out: Path, workers: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "grader.cli", "grade-all", str(class_dir),
                           "--out", str(out), "--workers", str(workers)],
                          capture_output=True, text=True, env=env, timeout=3600)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"grade-all failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    rows = list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text())))
    rss = SUMMARY.search(done.stderr)
    return {"workers": workers, "wall": wall, "rows": len(rows),
            "failed": sum(r["status"] == "failed" for r in rows),
            "rss_mb": int(rss.group(1)) if rss else None,
            "csv": (out / "gradebook.csv").read_bytes()}


def interrupted(class_dir: Path, out: Path, workers: int, after: int) -> bytes:
    """Grade, SIGTERM once ``after`` results exist, grade again: the resumed gradebook."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    argv = [sys.executable, "-m", "grader.cli", "grade-all", str(class_dir), "--out", str(out),
            "--workers", str(workers)]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    while proc.poll() is None and len(list((out / "results").glob("*.json"))) < after:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait()
    kept = len(list((out / "results").glob("*.json")))
    print(f"interrupted: exit {rc} with {kept} results kept; resuming")
    subprocess.run(argv, env=env, capture_output=True, timeout=3600)
    return (out / "gradebook.csv").read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--mix", choices=("mixed", "correct"), default="mixed")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--interrupt", action="store_true",
                        help="also interrupt a run and resume it; compare the gradebooks")
    parser.add_argument("--keep", type=Path, help="keep the class and the grades here")
    args = parser.parse_args()
    os.environ.setdefault("BPCOURSE_SECRET", "backprop-course-benchmark-secret")
    base = Path(args.keep or tempfile.mkdtemp(prefix="bpcourse-bench-"))
    try:
        class_dir = build_class(base / "class", args.students, args.mix)
        results = [run(class_dir, base / f"grades-{w}", w) for w in args.workers]
        print(f"{args.students} students ({args.mix}), {os.cpu_count()} cores")
        print(f"{'workers':>7} {'wall s':>8} {'students/s':>11} {'rows':>5} {'failed':>6} "
              f"{'grader peak RSS MB':>19}")
        for r in results:
            print(f"{r['workers']:>7} {r['wall']:>8.1f} {args.students / r['wall']:>11.2f} "
                  f"{r['rows']:>5} {r['failed']:>6} {r['rss_mb'] if r['rss_mb'] else '?':>19}")
        if len(results) > 1:
            print(f"speed-up {results[0]['wall'] / results[-1]['wall']:.2f}x "
                  f"({results[-1]['workers']} workers against {results[0]['workers']})")
        same = all(r["csv"] == results[0]["csv"] for r in results)
        if args.interrupt:
            resumed = interrupted(class_dir, base / "grades-interrupted", args.workers[-1],
                                  max(1, args.students // 3))
            print("resumed gradebook identical: " + ("yes" if resumed == results[0]["csv"]
                                                     else "NO"))
            same = same and resumed == results[0]["csv"]
        lost = [r["workers"] for r in results if r["rows"] != args.students]
        print("gradebooks identical across runs: " + ("yes" if same else "NO"))
        print("lost rows: " + (f"with {lost} workers" if lost else "none"))
        if lost or not same:
            sys.exit(1)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
