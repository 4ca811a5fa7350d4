"""Benchmark: wall time of `bpcourse grade` on a full correct submission, and the hostile bank.

    python benchmarks/grade_speed.py [--runs 11] [--skip-hostile]

Prints the median (and min/max) wall time of the whole command, start-up included, on the
reference without markers (a full correct submission), then grades every hostile submission
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


def timed(args: list[str], timeout: float = 300) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=REPO)
    return time.perf_counter() - start, done


def correct_submission_times(runs: int) -> list[float]:
    base = REPO / "tests" / "bank" / "submissions" / "base"
    times = []
    for _ in range(runs):
        seconds, done = timed(command() + ["grade", str(base), "--format", "json"])
        report = json.loads(done.stdout)
        assert done.returncode == 0 and report["score"] == 100.0, (done.returncode, done.stderr[-500:])
        times.append(seconds)
    return times


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
    options = parser.parse_args()

    times = correct_submission_times(options.runs)
    print(f"bpcourse grade, full correct submission, {options.runs} runs: median "
          f"{statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f})")
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
