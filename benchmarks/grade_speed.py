"""Benchmark: wall time of `bpcourse grade` on a full correct submission, and the hostile bank.

    python benchmarks/grade_speed.py [--runs 11] [--skip-hostile] [--against CHECKOUT]

Prints the median (and min/max) wall time of the whole command, start-up included, on the
reference without markers (a full correct submission). With ``--against`` (another checkout
of the repository, e.g. ``git worktree add /tmp/before <commit>``), runs that checkout's
grader on the same submission, alternating with this one's, and prints both medians and
their ratio: measured in one run, so the machine's load weighs on both alike. Then it grades
every hostile submission
of tests/bank with the command line and counts grader crashes: a crash is a non-zero exit, a
traceback, or output that is not the contract's JSON. Target: median ≤ 1.0 s on 2 cores,
no crash. This is a script, not a timed test: the machine is shared and noisy.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def command() -> list[str]:
    script = shutil.which("bpcourse")
    return [script] if script else [sys.executable, "-m", "grader.cli"]


def timed(args: list[str], timeout: float = 300, checkout: Path = REPO
          ) -> tuple[float, subprocess.CompletedProcess]:
    env = None
    if checkout != REPO:  # that checkout's grader, whatever is installed
        env = dict(os.environ, PYTHONPATH=str(checkout))
        args = [sys.executable, "-m", "grader.cli", *args[1:]]
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=checkout,
                          env=env)
    return time.perf_counter() - start, done


def correct_submission_times(runs: int, against: Path | None = None
                             ) -> tuple[list[float], list[float]]:
    base = REPO / "tests" / "bank" / "submissions" / "base"
    times: list[float] = []
    theirs: list[float] = []
    for _ in range(runs):
        for checkout, into in ((REPO, times), (against, theirs)):
            if checkout is None:
                continue
            seconds, done = timed(command() + ["grade", str(base), "--format", "json"],
                                  checkout=checkout)
            report = json.loads(done.stdout)
            assert done.returncode == 0 and report["score"] == 100.0, (
                checkout, done.returncode, done.stderr[-500:])
            into.append(seconds)
    return times, theirs


def hostile_bank() -> list[tuple[str, float, str]]:
    from tests.bank.assemble import assemble
    from tests.bank.cases import of

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in of("hostile"):
            folder = assemble(case, Path(tmp) / case.name, marker=f"bench-{os.getpid()}-{case.name}",
                              port=9)
            seconds, done = timed(command() + ["grade", str(folder), "--format", "json"])
            verdict = "ok"
            try:
                report = json.loads(done.stdout)
                score = report["score"]
            except (ValueError, KeyError):
                verdict = "CRASH (no JSON)"
                score = None
            if done.returncode != 0 or "Traceback" in done.stderr:
                verdict = f"CRASH (exit {done.returncode})"
            rows.append((case.name, seconds, verdict if score is None else f"{verdict}, score {score}"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--skip-hostile", action="store_true")
    parser.add_argument("--against", type=Path, help="another checkout to compare with")
    options = parser.parse_args()

    times, theirs = correct_submission_times(options.runs, options.against)
    print(f"bpcourse grade, full correct submission, {options.runs} runs: median "
          f"{statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f})")
    if theirs:
        print(f"  {options.against}, alternating: median {statistics.median(theirs):.3f} s "
              f"(min {min(theirs):.3f}, max {max(theirs):.3f}); ratio this/that "
              f"{statistics.median(times) / statistics.median(theirs):.2f}")
    if options.skip_hostile:
        return
    rows = hostile_bank()
    crashes = [r for r in rows if r[2].startswith("CRASH")]
    for name, seconds, verdict in rows:
        print(f"  {name:22s} {seconds:6.2f} s  {verdict}")
    print(f"hostile bank: {len(rows)} submissions graded in {sum(r[1] for r in rows):.1f} s, "
          f"{len(crashes)} grader crash(es)")
    sys.exit(1 if crashes else 0)


if __name__ == "__main__":
    main()
