"""The full mutation audit of the grader (what `bpcourse audit` runs, with every mutant).

    python benchmarks/audit.py [--functions backward,loss] [--limit N] [--json out.json]

Generates every single-change mutant of the reference solutions' contract functions (see
grader_hidden/audit.py), leaves out the equivalent ones (same outputs on many random
inputs), grades the rest in process with the grade's checks, and prints per exercise:
mutants, equivalent, graded, killed, kill rate, the share of killed ones with a mistake named,
and the blame radius (mutants that cost points in another exercise too), then every survivor
and every spread with its diff. Minutes on 2 cores; not a timed test.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import grader.exercises  # noqa: E402,F401 - before grader_hidden (it imports the hidden part)
from grader_hidden import audit  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--functions", default="", help="comma-separated contract functions")
    parser.add_argument("--limit", type=int, default=0, help="at most N mutants per function")
    parser.add_argument("--json", type=Path, help="write the per-exercise figures here")
    args = parser.parse_args()
    functions = tuple(f for f in args.functions.split(",") if f) or None
    start = time.monotonic()

    def progress(k, n, v):
        print(f"\r{k}/{n} mutants", end="", file=sys.stderr, flush=True)

    verdicts = audit.audit(functions, limit_per_function=args.limit or None, progress=progress)
    print(file=sys.stderr)
    rows = audit.summary(verdicts)
    print(audit.render(rows))
    print(f"\n{time.monotonic() - start:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({fn: {k: v for k, v in r.items()
                                              if k not in ("survivors", "spread")}
                                         for fn, r in rows.items()}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
