"""Benchmark: does `bpcourse check` (the student's) charge and name what `bpcourse grade` does?

    python benchmarks/check_vs_grade.py [--category buggy correct hostile] [--case NAME]...
                                        [--json FILE]

For every submission of the test bank (tests/bank/cases.py), assembled as the bank tests do,
runs `grade` (the instructor's, hidden part and all) and `check` as a student's install runs
it (public checks only, no hidden part: ``grader.exercises.HIDDEN`` is set to None, so no
known-wrong variant names a mistake). Prints, per submission, the exercises each one charges
(scored below their maximum) and the mistakes each names, then the totals:

* submissions where check and grade charge the same exercises (and the same, counting the
  exercises check leaves waiting, uncounted, as charged);
* buggy submissions whose bug is caught (its exercise charged) by check / by grade;
* buggy submissions whose bug is named (one of the case's accepted mistake names, in its
  exercise) by check / by grade.

Each submission is graded in a child process of its own (a fresh grader, as the command line
runs). Hostile cases that kill processes (``contain``) run only in a PID namespace of their
own (unshare); where that is not possible they are listed as not run. A script, not a test:
the full bank takes a while (tens of minutes on 2 shared cores).
"""
from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _charged(report) -> list[str]:
    return [n for n, e in report.exercises.items() if e.score < e.max_score]


def _waiting(report) -> list[str]:
    """Exercises `check` left uncounted: they use a function of the student's that fails."""
    return [n for n, e in report.exercises.items() if not e.checks]


def _named(report) -> dict[str, list[str]]:
    out = {}
    for name, e in report.exercises.items():
        found = sorted({c.mistake for c in e.checks if c.mistake})
        if found:
            out[name] = found
    return out


def one(case_id: str, out: Path) -> None:
    """Grade and check one case (in this process) and write what each charged as JSON."""
    import grader.exercises
    from grader.api import grade
    from tests.bank.assemble import assemble, new_marker
    from tests.bank.cases import BY_ID

    case = BY_ID[case_id]
    listener = socket.socket()  # the attacks that phone home find someone listening
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    result: dict = {"id": case_id}
    with tempfile.TemporaryDirectory(prefix="check-vs-grade-") as tmp:
        path = assemble(case, Path(tmp) / "submission", marker=new_marker(case),
                        port=listener.getsockname()[1])
        for mode in ("grade", "check"):
            start = time.monotonic()
            hidden = grader.exercises.HIDDEN
            try:
                if mode == "check":
                    grader.exercises.HIDDEN = None  # a student's install: no variants
                report = grade(path, public_only=(mode == "check"))
                result[mode] = {"charged": _charged(report), "named": _named(report),
                                "waiting": _waiting(report),
                                "score": report.score, "max": report.max_score}
            except BaseException as exc:  # noqa: BLE001 - a row all the same
                result[mode] = {"error": f"{type(exc).__name__}: {exc}"}
            finally:
                grader.exercises.HIDDEN = hidden
            result[mode]["seconds"] = round(time.monotonic() - start, 2)
    listener.close()
    out.write_text(json.dumps(result))


def run_case(case, tmp: Path) -> dict:
    from tests.bank import support

    out = tmp / f"{case.category}-{case.name}.json"
    command = [sys.executable, str(Path(__file__).resolve()), "--one", case.id, str(out)]
    if case.contain:
        if not support.can_contain():
            return {"id": case.id, "skipped": "kills processes: needs a PID namespace (unshare)"}
        command = support.contained_command(command[1:])
    try:
        subprocess.run(command, cwd=REPO, timeout=900, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, start_new_session=True)
    except subprocess.TimeoutExpired:
        return {"id": case.id, "skipped": "no answer within 900 s"}
    if not out.exists():
        return {"id": case.id, "skipped": "the grading process died without a result"}
    return json.loads(out.read_text())


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        one(sys.argv[2], Path(sys.argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--category", nargs="+", default=["buggy", "correct", "hostile"],
                        choices=["buggy", "correct", "hostile"])
    parser.add_argument("--case", action="append", default=[], help="only these case names")
    parser.add_argument("--json", type=Path, help="also write every row here")
    args = parser.parse_args()

    from tests.bank.cases import CASES

    cases = [c for c in CASES if c.category in args.category
             and (not args.case or c.name in args.case)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="check-vs-grade-") as tmp:
        for case in cases:
            row = run_case(case, Path(tmp))
            rows.append((case, row))
            print(_line(case, row), flush=True)
    if args.json:
        args.json.write_text(json.dumps([row for _, row in rows], indent=1))
    print()
    print(_totals(rows))
    return 0


def _fmt(side: dict) -> str:
    if "error" in side:
        return "ERROR " + side["error"][:80]
    named = "; ".join(f"{k}: {','.join(v)}" for k, v in side["named"].items())
    waits = side.get("waiting")
    return (f"charged [{', '.join(side['charged'])}]" + (f" named {{{named}}}" if named else "")
            + (f" waiting [{', '.join(waits)}]" if waits else ""))


def _line(case, row: dict) -> str:
    if "skipped" in row:
        return f"{case.id}: not run ({row['skipped']})"
    same = _same(row)
    return (f"{case.id}: {'same' if same else 'DIFFERENT'}\n"
            f"    grade ({row['grade']['seconds']:.1f} s): {_fmt(row['grade'])}\n"
            f"    check ({row['check']['seconds']:.1f} s): {_fmt(row['check'])}")


def _same(row: dict) -> bool:
    g, c = row.get("grade", {}), row.get("check", {})
    return "charged" in g and "charged" in c and g["charged"] == c["charged"]


def _same_or_waiting(row: dict) -> bool:
    """Check charges what grade charges, counting what waits in check (its checks use
    another failed function of the student's: neither charged nor passed) as charged."""
    g, c = row.get("grade", {}), row.get("check", {})
    return "charged" in g and "charged" in c and \
        set(g["charged"]) == set(c["charged"]) | set(c.get("waiting", []))


def _caught(case, side: dict) -> bool:
    return case.exercise in side.get("charged", [])


def _named_right(case, side: dict) -> bool:
    return bool(set(case.mistakes_accepted) & set(side.get("named", {}).get(case.exercise, [])))


def _totals(rows) -> str:
    ran = [(c, r) for c, r in rows if "skipped" not in r]
    buggy = [(c, r) for c, r in ran if c.category == "buggy"]
    nameable = [(c, r) for c, r in buggy if c.mistakes_accepted]
    lines = [f"submissions run: {len(ran)} of {len(rows)}"
             + (f" (not run: {', '.join(c.name for c, r in rows if 'skipped' in r)})"
                if len(ran) < len(rows) else ""),
             f"check and grade charge the same exercises: {sum(_same(r) for _, r in ran)} "
             f"of {len(ran)}"]
    for category in ("buggy", "correct", "hostile"):
        some = [(c, r) for c, r in ran if c.category == category]
        if some:
            lines.append(f"  {category}: {sum(_same(r) for _, r in some)} of {len(some)}; "
                         f"counting what waits in check as charged: "
                         f"{sum(_same_or_waiting(r) for _, r in some)}")
    if buggy:
        for mode in ("check", "grade"):
            caught = sum(_caught(c, r[mode]) for c, r in buggy)
            named = sum(_named_right(c, r[mode]) for c, r in nameable)
            extra = sum(bool(set(r[mode].get("charged", [])) - {c.exercise}) for c, r in buggy)
            lines.append(f"bugs caught by {mode}: {caught} of {len(buggy)}; named by {mode}: "
                         f"{named} of {len(nameable)}; charged another exercise too: {extra}")
    different = [c.id for c, r in ran if not _same_or_waiting(r)]
    if different:
        lines.append("charged differently, waits counted as charged: " + ", ".join(different))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
