"""Benchmark: `bpcourse grade-all` against `nbgrader autograde` on the same submitted notebooks.

    python benchmarks/grade_all_vs_nbgrader.py [--students 6] [--workers 2]

Makes a temporary nbgrader course from course/ (generate_assignment), puts ``--students``
submissions in its ``submitted/`` tree (the course's notebooks, alternately solved — the
source notebooks — and as released, i.e. stubs), then grades them all twice: with nbgrader's
own ``autograde`` (one student after another, each notebook in its own kernel, as nbgrader
does) and with ``bpcourse grade-all submitted/ --assignment backprop`` (the trusted grader,
in ``--workers`` processes). Prints wall time, seconds per submission, submissions per
second, the ratio, how many checks each runs per exercise, and the peak memory (nbgrader: this
process and its kernels; grade-all: the grading workers' largest VmHWM). Both are run in one
invocation so the machine's load weighs on both alike. Needs the 'course' extra (nbgrader).
A script, not a timed test.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def vm_hwm_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    from grader.course_notebooks import ASSIGNMENT, COURSE

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("BPCOURSE_SECRET", "backprop-course-benchmark-secret")
    base = Path(tempfile.mkdtemp(prefix="bpcourse-vs-nbgrader-"))
    try:
        root = base / "course"
        shutil.copytree(COURSE / "source" / ASSIGNMENT, root / "source" / ASSIGNMENT)
        shutil.copy(COURSE / "nbgrader_config.py", root)
        config = Config()
        config.CourseDirectory.root = str(root)
        config.CourseDirectory.course_id = "backprop"
        config.Exchange.root = str(base / "exchange")
        api = NbGraderAPI(config=config)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert api.generate_assignment(ASSIGNMENT, force=True)["success"]
        solved, stubs = root / "source" / ASSIGNMENT, root / "release" / ASSIGNMENT
        students = [f"student{i:03d}" for i in range(args.students)]
        for i, s in enumerate(students):
            shutil.copytree(solved if i % 2 == 0 else stubs,
                            root / "submitted" / s / ASSIGNMENT)

        start = time.perf_counter()
        nb_scores = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for s in students:
                result = api.autograde(ASSIGNMENT, s, force=True)
                assert result["success"], result["error"]
            from nbgrader.api import Gradebook

            with Gradebook(api.coursedir.db_url, "backprop") as gb:
                for s in students:
                    sub = gb.find_submission(ASSIGNMENT, s)
                    nb_scores[s] = sub.score
                    nb_tests = sum(len(nb.grades) for nb in sub.notebooks)
        nb_wall = time.perf_counter() - start
        nb_rss = max(vm_hwm_mb(),
                     resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)

        out = base / "grades"
        env = dict(os.environ, PYTHONPATH=str(REPO))
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "grader.cli", "grade-all",
                               str(root / "submitted"), "--assignment", ASSIGNMENT, "--out",
                               str(out), "--workers", str(args.workers)],
                              capture_output=True, text=True, env=env, timeout=3600)
        bp_wall = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"grade-all failed: {done.stderr.strip()[-400:]}")
        rows = list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text())))
        bp_scores = {r["student"]: float(r["total"]) for r in rows}
        first = json.loads(next((out / "results").glob("*.json")).read_text())
        bp_checks = sum(len(e["checks"]) for e in first["exercises"].values())
        exercises = len(first["exercises"])
        rss = re.search(r"grader peak RSS (\d+) MB", done.stderr)

        n = args.students
        print(f"{n} submissions of the course's notebooks ({(n + 1) // 2} solved, {n // 2} stubs), "
              f"{os.cpu_count()} cores")
        print(f"{'grader':<28} {'wall s':>7} {'s/submission':>13} {'submissions/s':>14} "
              f"{'checks/exercise':>16} {'peak MB':>8}")
        print(f"{'nbgrader autograde':<28} {nb_wall:>7.1f} {nb_wall / n:>13.2f} "
              f"{n / nb_wall:>14.2f} {nb_tests / exercises:>16.1f} {nb_rss:>8.0f}")
        print(f"{f'bpcourse grade-all ({args.workers} workers)':<28} {bp_wall:>7.1f} "
              f"{bp_wall / n:>13.2f} {n / bp_wall:>14.2f} {bp_checks / exercises:>16.1f} "
              f"{rss.group(1) if rss else '?':>8}")
        print(f"grade-all is {nb_wall / bp_wall:.1f}x faster per submission")
        print("scores (nbgrader / grade-all): " + ", ".join(
            f"{s}: {nb_scores[s]:g}/{bp_scores.get(s, float('nan')):g}" for s in students))
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
