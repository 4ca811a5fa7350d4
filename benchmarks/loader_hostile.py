"""What does staging hostile input cost the grader? Wall time and peak memory of the loader.

    python benchmarks/loader_hostile.py                      # this checkout
    python benchmarks/loader_hostile.py --root /path/to/old  # another checkout, same inputs

Each input is staged (``grader.submission.staged``, nothing graded) in a fresh interpreter;
printed per input: the outcome, wall seconds, the peak RSS of the grader process itself
(``RUSAGE_SELF``) and of the processes it started (``RUSAGE_CHILDREN``: the stager child; zero
when the checkout stages in-process). The inputs: the loader cases of the hostile bank
(``tests/bank``) and a few more written here. A run that exceeds ``--timeout`` is reported as
such (the old loader took 258 s on the bank's notebook zip bomb).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BANK_CASES = ["hostile/huge_unused_helper", "hostile/long_expression",
              "hostile/form_feed_and_u2028", "hostile/form_feed_sibling_import",
              "hostile/notebook_parser_bomb", "hostile/notebook_zip_bomb"]

MEASURE = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from grader import submission
t = time.perf_counter()
try:
    with submission.staged(sys.argv[2]) as s:
        out = f"staged {len(s.modules)} module(s), {len(s.notes)} note(s)"
except submission.SubmissionError as exc:
    out = f"refused: {str(exc)[:60]}"
except BaseException as exc:
    out = f"CRASH {type(exc).__name__}: {str(exc)[:60]}"
print(json.dumps({"outcome": out, "seconds": time.perf_counter() - t,
                  "host_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "child_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def _notebook(cells: list[str]) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                       "cells": [{"cell_type": "code", "source": c, "metadata": {},
                                  "outputs": [], "execution_count": None} for c in cells]})


def extra_inputs(folder: Path) -> dict[str, Path]:
    """Inputs beyond the bank's."""
    out = {}
    z = folder / "zip_20_notebooks.zip"  # at the caps: 20 notebooks, 54 MB, cells of 240 kB
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        cell = "X = [" + "a," * (120 * 1024) + "]\n"  # a cell just under the cell cap
        for i in range(20):
            zf.writestr(f"{i:02d}.ipynb", _notebook([cell] * 10 + ["#" * 2**18]))
    out["zip of 20 notebooks of 2.7 MB, 10 cells of 240 kB each"] = z
    deep = folder / "deep.ipynb"
    deep.write_text('{"cells": ' + "[" * 1_000_000 + "]" * 1_000_000 + "}")
    out["notebook JSON nested 1e6 deep"] = deep
    sub = folder / "module_bombs"
    sub.mkdir()
    (sub / "activations.py").write_text("X = " + " + ".join(["1"] * 60_000) + "\n")
    (sub / "neuron.py").write_text("X = " + "-" * 250_000 + "1\n")
    (sub / "network.py").write_text("X = [" + "a," * 130_000 + "]\n")
    for i in range(20):
        (sub / f"helper{i}.py").write_text("X = [" + "a," * 130_000 + "]\n")
    out["modules: long sum, parser bomb, 21 dense 256 KiB lists"] = sub
    return out


def bank_inputs(folder: Path) -> dict[str, Path]:
    sys.path.insert(0, str(REPO))
    try:
        from tests.bank.assemble import assemble
        from tests.bank.cases import BY_ID
    except ImportError as exc:  # pragma: no cover
        print(f"(no bank cases: {exc})")
        return {}
    return {f"bank {name}": assemble(BY_ID[name], folder / name.replace("/", "_"))
            for name in BANK_CASES if name in BY_ID}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=REPO, help="checkout whose loader is run")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        inputs = {**bank_inputs(Path(d) / "bank"), **extra_inputs(Path(d))}
        print(f"{'input':58} {'wall s':>7} {'host MiB':>9} {'child MiB':>10}  outcome")
        worst = [0.0, 0.0, 0.0]
        for label, path in inputs.items():
            try:
                done = subprocess.run([sys.executable, "-c", MEASURE, str(args.root), str(path)],
                                      capture_output=True, text=True, timeout=args.timeout)
                r = json.loads(done.stdout) if done.returncode == 0 else \
                    {"outcome": f"exit {done.returncode}: {done.stderr.strip()[-60:]}",
                     "seconds": float("nan"), "host_mib": float("nan"),
                     "child_mib": float("nan")}
            except subprocess.TimeoutExpired:
                r = {"outcome": f"still running after {args.timeout:g} s",
                     "seconds": args.timeout, "host_mib": float("nan"),
                     "child_mib": float("nan")}
            print(f"{label[:58]:58} {r['seconds']:7.2f} {r['host_mib']:9.0f} "
                  f"{r['child_mib']:10.0f}  {r['outcome']}")
            for i, k in enumerate(("seconds", "host_mib", "child_mib")):
                if r[k] == r[k]:
                    worst[i] = max(worst[i], r[k])
        print(f"{'worst':58} {worst[0]:7.2f} {worst[1]:9.0f} {worst[2]:10.0f}")


if __name__ == "__main__":
    main()
