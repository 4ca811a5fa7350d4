"""Benchmark: grade every hostile submission of tests/bank with the command line, one by one.

    python benchmarks/hostile_bank.py [--only NAME ...] [--grader-root PATH] [--json FILE]

Each case is assembled as test_bank.py does (placeholders filled, generated content written)
and graded with `bpcourse grade PATH --format json` in a subprocess: a tiny wrapper that calls
``grader.cli.main`` and, whatever happens, reports its own peak RSS (VmHWM: the grader
process alone) and its children's (RUSAGE_CHILDREN: the largest reaped child, i.e. the sandbox
worker or a loader child; a child forked before it exec'd counts the parent's pages it shared,
so a large grader shows a large child too) on stderr. Every run happens in a throwaway PID namespace when
``unshare`` allows it (several cases kill or fork; in rlimits mode nothing else would stop
them), under a per-run timeout, and files a case leaves behind are removed afterwards.

Per submission it prints the exit code, the score, what the grader credited that the manifest
says must get nothing (``undeserved``), what it took from exercises that must keep full marks
(``lost``), the wall time and both peak RSS figures; then the worst of each, and whether every
run met the bounds of issue 6: exit 0 with strict JSON (valid UTF-8, no NaN, no lone
surrogate) or exit 2 with one line on stderr; the grader's own peak RSS < 512 MB; wall < 60 s.
Exit status: 0 when every run met them, 1 otherwise. ``--grader-root`` grades with another
checkout (e.g. ``git archive 3acb101 | tar -x -C /tmp/before``), the bank always from here.
This is a script, not a timed test: the machine is shared and noisy.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.bank import support  # noqa: E402
from tests.bank.assemble import assemble, new_marker  # noqa: E402
from tests.bank.cases import Case, of  # noqa: E402

RSS_BOUND_MB = 512
WALL_BOUND_S = 60.0
TAG = "BANK-BENCH"

# Runs `bpcourse grade ...` in this process; always ends by printing the rusage figures.
WRAPPER = f"""
import os, resource, sys
code = 0
try:
    import grader
    sys.stderr.write("{TAG}-GRADER " + os.path.dirname(grader.__file__) + "\\n")
    from grader.cli import main
    sys.argv = ["bpcourse"] + sys.argv[1:]
    main()
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
except BaseException:
    import traceback
    traceback.print_exc()
    code = 99
finally:
    try:
        sys.stdout.flush()
    except BaseException:
        pass
    # VmHWM: this process's own peak (ru_maxrss would keep the RSS of whoever forked it)
    own = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    sys.stderr.write("\\n{TAG}-RSS %d %d\\n" % (own, kids))
    sys.stderr.flush()
sys.exit(code)
"""


@dataclass
class Run:
    name: str
    exit: int | None = None  # None: killed at the benchmark's timeout
    score: float | None = None
    undeserved: float | None = None  # points on exercises that must get nothing
    lost: float | None = None  # points missing on exercises that must keep full marks
    seconds: float = 0.0
    rss_mb: float | None = None  # the grader process itself
    children_rss_mb: float | None = None  # the largest reaped child (sandbox worker, loader)
    isolation: str | None = None  # as the report says
    verdict: str = ""  # why the run broke the bounds ("" when it met them)
    problems: list[str] = field(default_factory=list)


def _reject_constant(name: str):
    raise ValueError(f"non-standard JSON constant {name}")


def _lone_surrogates(value) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_lone_surrogates(k) or _lone_surrogates(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_lone_surrogates(v) for v in value)
    return False


def strict_json(data: bytes) -> tuple[dict | None, str]:
    """The report, or None and why it is not strict JSON."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"stdout is not UTF-8 ({exc.reason} at byte {exc.start})"
    try:
        report = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        return None, f"stdout is not strict JSON ({str(exc)[:80]})"
    if _lone_surrogates(report):
        return None, "the JSON holds a lone surrogate"
    if not isinstance(report, dict) or "score" not in report:
        return None, "the JSON is not a report"
    return report, ""


def judged(case: Case, report: dict) -> tuple[float, float]:
    exercises = report.get("exercises") or {}
    undeserved = sum(float(exercises.get(n, {}).get("score") or 0) for n in case.zero)
    lost = 0.0
    for n in case.full_marks():
        e = exercises.get(n)
        lost += float(e["max_score"] - e["score"]) if e else 0.0
    return round(undeserved, 4), round(lost, 4)


def temp_folders() -> set[str]:
    """The grader's temporary folders (staged submissions, rlimits scratch) now in /tmp."""
    tmp = tempfile.gettempdir()
    return {p for pattern in ("bpcourse-submission-*", "bpcourse-sandbox-*")
            for p in glob.glob(os.path.join(tmp, pattern))}


def holds(folder: str, marker: str) -> bool:
    for path in Path(folder).rglob("*.py"):
        try:
            if marker.encode() in path.read_bytes():
                return True
        except OSError:
            continue
    return False


def leftovers(before: set[str], start: float, marker: str, killed: bool) -> list[str]:
    """Temporary folders this run's grader left: staged copies of this case (they carry its
    marker), and, when the grader was killed, scratch folders created while it ran (other
    processes on the machine may make some too: only then are they counted as its own)."""
    found = []
    for folder in sorted(temp_folders() - before):
        try:
            created = os.stat(folder).st_ctime
        except OSError:
            continue
        if "bpcourse-submission-" in folder and holds(folder, marker):
            found.append(folder)
        elif killed and "bpcourse-sandbox-" in folder and created >= start:
            found.append(folder)
    return found


def command(folder: Path, contain: bool) -> list[str]:
    argv = ["-c", WRAPPER, "grade", str(folder), "--format", "json"]
    return support.contained_command(argv) if contain else [sys.executable, *argv]


def pwned_in(root: Path, case: Case) -> list[Path]:
    """Files an attack left in the grading checkout (its working directory)."""
    return sorted(p for folder in (root, root / "solutions")
                  for p in folder.glob(f"bpcourse-pwned-{case.name}*"))


def grade_case(case: Case, root: Path, workdir: Path, timeout: float, contain: bool) -> Run:
    run = Run(case.name)
    marker = new_marker(case)
    submission = assemble(case, workdir / case.name, marker=marker, port=9)  # 9: discard
    support.remove(support.pwned_files(case) + pwned_in(root, case))
    before, wall_start = temp_folders(), time.time()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])))
    out_path, err_path = workdir / f"{case.name}.stdout", workdir / f"{case.name}.stderr"
    start = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(command(submission, contain), cwd=root, env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                start_new_session=True)
        try:
            run.exit = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            run.exit = None
    run.seconds = round(time.monotonic() - start, 2)
    support.kill_pids(support.processes_with(marker))
    left = support.pwned_files(case) + pwned_in(root, case)
    if left:
        run.problems.append(f"left files: {[str(p) for p in left]}")
        support.remove(left)

    stale = leftovers(before, wall_start, marker, killed=run.exit not in (0, 1, 2, 3))
    if stale:
        run.problems.append(f"left {len(stale)} temporary folder(s) (removed)")
        support.remove(stale)

    stdout, stderr = out_path.read_bytes(), err_path.read_bytes()
    lines = stderr.decode("utf-8", "replace").splitlines()
    grader_lines = []
    for line in lines:
        if line.startswith(f"{TAG}-RSS "):
            own, kids = line.split()[1:3]
            run.rss_mb, run.children_rss_mb = round(int(own) / 1024, 1), round(int(kids) / 1024, 1)
        elif line.startswith(f"{TAG}-GRADER "):
            where = line.split(" ", 1)[1]
            if not Path(where).resolve().is_relative_to(root.resolve()):
                run.problems.append(f"graded with {where}, not {root}")
        elif line.strip():
            grader_lines.append(line)

    verdicts = []
    if run.exit is None:
        verdicts.append(f"killed after {timeout:g} s")
    elif run.exit == 0:
        report, why = strict_json(stdout)
        if report is None:
            verdicts.append(why)
        else:
            run.score = report.get("score")
            run.isolation = str(report.get("isolation", ""))[:60] or None
            run.undeserved, run.lost = judged(case, report)
    elif run.exit == 2:
        if len(grader_lines) != 1:
            verdicts.append(f"exit 2 with {len(grader_lines)} lines on stderr")
    else:
        first = next((l for l in reversed(grader_lines) if l.strip()), "")
        verdicts.append(f"exit {run.exit}: {first.strip()[:120]}")
    if run.exit in (0, 2) and any(l.startswith("Traceback") for l in grader_lines):
        verdicts.append("a traceback on stderr")
    if run.rss_mb is None and run.exit is not None:
        verdicts.append("no rusage figures (the grader process was killed)")
    if run.rss_mb is not None and run.rss_mb >= RSS_BOUND_MB:
        verdicts.append(f"peak RSS {run.rss_mb:.0f} MB")
    if run.seconds >= WALL_BOUND_S:
        verdicts.append(f"wall {run.seconds:.0f} s")
    if case.sandbox and not (run.isolation or "").startswith("bubblewrap"):
        run.problems.append("needs bubblewrap; graded "
                            + (f"with {run.isolation}" if run.isolation else "without it"))
    run.verdict = "; ".join(verdicts)
    return run


def _fmt(value, spec: str, none: str = "-") -> str:
    return none if value is None else format(value, spec)


def _mode(isolation: str | None) -> str:
    word = (isolation or "-").split()[0]
    return {"bubblewrap": "bwrap", "rlimits": "rlimits"}.get(word, word[:7])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these hostile cases")
    parser.add_argument("--grader-root", type=Path, default=REPO,
                        help="checkout whose grader/ and solutions/ do the grading [this repo]")
    parser.add_argument("--timeout", type=float, default=400.0,
                        help="seconds before a run is killed [400]")
    parser.add_argument("--no-contain", action="store_true",
                        help="run without a PID namespace (refuses cases that kill or fork)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    options = parser.parse_args()

    cases = of("hostile")
    if options.only:
        unknown = sorted(set(options.only) - {c.name for c in cases})
        if unknown:
            parser.error(f"no hostile case {', '.join(unknown)}")
        cases = [c for c in cases if c.name in options.only]
    contain = not options.no_contain and support.can_contain()
    if not contain:
        dangerous = [c.name for c in cases if c.contain or c.sandbox]
        if dangerous:
            print(f"skipping {', '.join(dangerous)}: they kill, fork or write around, and no PID "
                  "namespace is available", file=sys.stderr)
            cases = [c for c in cases if c.name not in dangerous]

    root = options.grader_root.resolve()
    print(f"grader from {root}; {len(cases)} hostile case(s); "
          f"{'each in its own PID namespace' if contain else 'no PID namespace'}")
    header = (f"{'case':40s} {'exit':>4s} {'score':>6s} {'undes.':>6s} {'lost':>6s} "
              f"{'wall s':>7s} {'RSS MB':>7s} {'child MB':>8s} {'sandbox':>7s}  verdict")
    print(header, flush=True)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="bpcourse-hostile-bench-") as tmp:
        for case in cases:
            run = grade_case(case, root, Path(tmp), options.timeout, contain)
            runs.append(run)
            print(f"{run.name:40s} {_fmt(run.exit, 'd', 'kill'):>4s} {_fmt(run.score, '.1f'):>6s} "
                  f"{_fmt(run.undeserved, '.1f'):>6s} {_fmt(run.lost, '.1f'):>6s} "
                  f"{run.seconds:7.1f} {_fmt(run.rss_mb, '.0f'):>7s} "
                  f"{_fmt(run.children_rss_mb, '.0f'):>8s} {_mode(run.isolation):>7s}  "
                  f"{run.verdict or 'ok'}"
                  + (f" [{'; '.join(run.problems)}]" if run.problems else ""), flush=True)

    if not runs:
        return 0
    worst_rss = max(runs, key=lambda r: r.rss_mb or 0)
    worst_wall = max(runs, key=lambda r: r.seconds)
    worst_kids = max(runs, key=lambda r: r.children_rss_mb or 0)
    broken = [r for r in runs if r.verdict]
    crashes = [r for r in runs if r.exit not in (0, 2)]
    undeserved = [r for r in runs if r.undeserved]
    print(f"worst grader peak RSS: {_fmt(worst_rss.rss_mb, '.0f')} MB ({worst_rss.name}); "
          f"worst child peak RSS: {_fmt(worst_kids.children_rss_mb, '.0f')} MB ({worst_kids.name}); "
          f"worst wall time: {worst_wall.seconds:.1f} s ({worst_wall.name})")
    print(f"crashes or kills (exit not 0/2): {len(crashes)}"
          + (f" ({', '.join(r.name for r in crashes)})" if crashes else ""))
    print(f"cases crediting exercises that must get nothing: {len(undeserved)}"
          + (f" ({', '.join(f'{r.name} {r.undeserved:g}' for r in undeserved)})" if undeserved else ""))
    print(f"all runs met the bounds (exit 0 + strict JSON or exit 2 + one line; RSS < "
          f"{RSS_BOUND_MB} MB; wall < {WALL_BOUND_S:g} s): "
          + ("yes" if not broken else f"NO, {len(broken)} of {len(runs)} did not"))
    if options.json:
        options.json.write_text(json.dumps([asdict(r) for r in runs], indent=2) + "\n")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
