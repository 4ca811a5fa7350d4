"""How fast is the sandbox? Worker start time and call round trip, per isolation.

    python benchmarks/sandbox_roundtrip.py [--starts 20] [--calls 1000]

Start time: Sandbox.start() until the worker has imported numpy and answered (median).
Round trip: one call with a (64, 10) float64 array that the student function returns
unchanged, measured by the grader (median); each call runs in a fresh process forked from the
worker, so this is fork + call + reap. Also: a call with a float, the calls of a call_many of
10 (one process), and one callback (a Callback argument the student calls 100 times).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout too

from grader.sandbox import Callback, Limits, Sandbox, sandbox_available
from grader.sandbox.worker import decode, encode


def median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


def bench(root: Path, isolation: str, starts: int, calls: int) -> None:
    limits = Limits()
    start_times, ready = [], []
    for _ in range(starts):
        sandbox = Sandbox(root, limits=limits, isolation=isolation)
        t = time.perf_counter()
        sandbox.start()
        start_times.append(time.perf_counter() - t)
        assert sandbox.wait_ready(), "the worker did not start"
        ready.append(time.perf_counter() - t)
        sandbox.close()
    with Sandbox(root, limits=limits, isolation=isolation) as sandbox:
        x = np.random.default_rng(0).normal(size=(64, 10))
        assert sandbox.call("echo", "echo", x).ok
        array_rt, float_rt = [], []
        for _ in range(calls):
            t = time.perf_counter()
            r = sandbox.call("echo", "echo", x)
            array_rt.append(time.perf_counter() - t)
            t = time.perf_counter()
            sandbox.call("echo", "echo", 1.0)
            float_rt.append(time.perf_counter() - t)
        assert r.ok and np.array_equal(r.value, x)
        batch, callback = [], []
        f = Callback(lambda v: float(v))
        for _ in range(max(10, calls // 10)):
            t = time.perf_counter()
            rs = sandbox.call_many([("echo", "echo", (x,), False)] * 10)
            batch.append((time.perf_counter() - t) / 10)
            t = time.perf_counter()
            rc = sandbox.call("echo", "many", f, 100)
            callback.append(time.perf_counter() - t)
        assert all(r.ok for r in rs) and rc.ok and rc.value == 4950.0, rc.error
        print(f"{isolation:>10}: {sandbox.isolation}")
    print(f"{'':>10}  start() returns in {median_us(start_times) / 1e3:.1f} ms; worker ready "
          f"after {median_us(ready) / 1e3:.0f} ms (median of {starts})")
    print(f"{'':>10}  round trip (fork + call + reap), (64,10) array: "
          f"{median_us(array_rt):.0f} µs; float: {median_us(float_rt):.0f} µs "
          f"(median of {calls})")
    print(f"{'':>10}  per call in a call_many of 10: {median_us(batch):.0f} µs; "
          f"a call making 100 callbacks: {median_us(callback) / 1e3:.1f} ms")


def bench_wire(calls: int) -> None:
    x = np.random.default_rng(0).normal(size=(64, 10))
    samples = []
    for _ in range(calls):
        t = time.perf_counter()
        frame = encode({"status": "ok"}, {"value": x})
        decode(frame[1], bytearray(b"".join(frame[2:])))
        samples.append(time.perf_counter() - t)
    print(f"{'wire':>10}: encode + decode of a (64,10) array in one process: "
          f"{median_us(samples):.1f} µs (median of {calls})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=20)
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "exercises").mkdir()
        (root / "exercises" / "__init__.py").write_text("")
        (root / "exercises" / "echo.py").write_text(
            "def echo(x):\n    return x\n\n"
            "def many(f, n):\n    return sum(f(i) for i in range(n))\n")
        bench_wire(args.calls)
        isolations = ["bubblewrap", "rlimits"] if sandbox_available() else ["rlimits"]
        if not sandbox_available():
            print("bubblewrap: unavailable here")
        for isolation in isolations:
            bench(root, isolation, args.starts, args.calls)


if __name__ == "__main__":
    main()
