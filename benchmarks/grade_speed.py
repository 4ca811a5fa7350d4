"""Benchmark: wall time of `bpcourse grade` on a full correct submission.

    python benchmarks/grade_speed.py [--runs 11] [--against CHECKOUT]

Prints the median (and min/max) wall time of the whole command, start-up included, on the
reference without markers (a full correct submission). With ``--against`` (another checkout
of the repository, e.g. ``git worktree add /tmp/before <commit>``), runs that checkout's
grader on the same submission, alternating with this one's, and prints both medians and
their ratio: measured in one run, so the machine's load weighs on both alike. The hostile
bank has its own script, ``benchmarks/hostile_bank.py``. This is a script, not a timed
test: the machine is shared and noisy.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def timed(args: list[str], timeout: float = 300, checkout: Path = REPO
          ) -> tuple[float, subprocess.CompletedProcess]:
    """``args``: the command's arguments after ``bpcourse``, run with ``checkout``'s grader
    whatever is installed. Byte-code caching is on (an install compiles its modules; a
    PYTHONDONTWRITEBYTECODE left in the environment would make each run compile every
    module again, and weigh on the checkout with more modules)."""
    env = dict(os.environ, PYTHONPATH=str(checkout))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    args = [sys.executable, "-m", "grader.cli", *args]
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=checkout,
                          env=env)
    return time.perf_counter() - start, done


def correct_submission_times(runs: int, against: Path | None = None
                             ) -> tuple[list[float], list[float]]:
    base = REPO / "tests" / "bank" / "submissions" / "base"
    times: list[float] = []
    theirs: list[float] = []
    for checkout in (REPO, against):  # a first run writes the byte-code caches
        if checkout is not None:
            timed(["grade", str(base), "--format", "json"], checkout=checkout)
    for _ in range(runs):
        for checkout, into in ((REPO, times), (against, theirs)):
            if checkout is None:
                continue
            seconds, done = timed(["grade", str(base), "--format", "json"],
                                  checkout=checkout)
            report = json.loads(done.stdout)
            assert done.returncode == 0 and report["score"] == 100.0, (
                checkout, done.returncode, done.stderr[-500:])
            into.append(seconds)
    return times, theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--against", type=Path, help="another checkout to compare with")
    options = parser.parse_args()

    times, theirs = correct_submission_times(options.runs, options.against)
    print(f"bpcourse grade, full correct submission, {options.runs} runs: median "
          f"{statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f})")
    if theirs:
        print(f"  {options.against}, alternating: median {statistics.median(theirs):.3f} s "
              f"(min {min(theirs):.3f}, max {max(theirs):.3f}); ratio this/that "
              f"{statistics.median(times) / statistics.median(theirs):.2f}")


if __name__ == "__main__":
    main()
