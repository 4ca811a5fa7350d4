"""The class of 200: `bpcourse grade-all --workers 2` on a synthetic class, uninterrupted, then
interrupted (SIGINT; SIGKILL of the whole process group, as a crash) and resumed.

    python benchmarks/class_of_200.py [--students 200] [--workers 2] [--keep DIR]

The class is made by ``benchmarks/grade_all.py``'s generator (half correct, a third buggy, the
rest hostile: the fast hostile cases of that script plus processes that kill, fork and snoop).
Prints, for the uninterrupted run: rows, lost and duplicated rows, wall time, submissions/s,
CPU time per submission, and the peak memory of the grader's own processes; then, for each
interruption, how many results the interrupted run kept and whether the resumed gradebook is
byte for byte the uninterrupted one (if not: which rows differ, whether they were kept from
before the interruption or graded after it, and whether a wall-clock limit of the sandbox
decided them). Exit 1 when a row is lost or duplicated or a gradebook differs.

CPU time: of grade-all and every process below it, the students' sandboxes included, from a
cpuacct cgroup made for the run (cgroup v1 ``/sys/fs/cgroup/cpuacct``, as root); where none
can be made, from the rusage of children, which misses the processes inside a bubblewrap
sandbox's pid namespace (they are reaped by its pid 1, which is killed): far too low.

Peak memory of the grader: the process tree of grade-all is sampled every 50 ms from /proc.
A process is the grader's (host side) when it runs as our uid and is neither bwrap nor below
a bwrap or a process of another uid; everything else is a student's sandbox (a leased uid of
its own) and left out. Printed: the largest VmHWM (the kernel's own peak RSS of a process,
exact however short the peak) of the command itself, of any grading worker and of any other
host helper (loader children and the like) and the largest sum of VmRSS of all host
processes seen at one sample. The workers also report their own VmHWM at every answer
(``grader peak RSS`` in grade-all's summary line), which is printed too.
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from grade_all import FAST_HOSTILE, build_class  # noqa: E402

# hostile cases that attack processes rather than answers, and stay fast
PROCESS_HOSTILE = ("kill_parent", "kill_everything", "lingering_fork", "memory_bomb_list",
                   "proc_snooping", "socket_connect", "keyboard_interrupt")


def _status(pid: int) -> dict | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
    except OSError:
        return None
    try:
        return {"name": fields["Name"].strip(), "ppid": int(fields["PPid"]),
                "uid": int(fields["Uid"].split()[0]),
                "rss": int(fields.get("VmRSS", "0 kB").split()[0]),
                "hwm": int(fields.get("VmHWM", "0 kB").split()[0])}
    except (KeyError, ValueError, IndexError):
        return None


class HostMemory(threading.Thread):
    """Samples the host-side processes below ``root`` (see the module docstring)."""

    def __init__(self, root: int, period: float = 0.05):
        super().__init__(daemon=True)
        self.root, self.period = root, period
        self.stop = threading.Event()
        self.main_hwm = self.worker_hwm = self.other_hwm = self.sum_rss = 0
        self.samples = 0

    def run(self) -> None:
        me = os.getuid()
        while not self.stop.is_set():
            procs = {}
            for name in os.listdir("/proc"):
                if name.isdigit():
                    st = _status(int(name))
                    if st is not None:
                        procs[int(name)] = st
            children: dict[int, list[int]] = {}
            for pid, st in procs.items():
                children.setdefault(st["ppid"], []).append(pid)
            host, stack = [], [self.root]
            while stack:
                pid = stack.pop()
                st = procs.get(pid)
                if st is None or st["uid"] != me or st["name"] == "bwrap":
                    continue  # a sandbox: neither it nor anything below it is the grader's
                host.append(pid)
                stack.extend(children.get(pid, ()))
            total = 0
            for pid in host:
                st = procs[pid]
                total += st["rss"]
                if pid == self.root:
                    self.main_hwm = max(self.main_hwm, st["hwm"])
                elif st["ppid"] == self.root:
                    self.worker_hwm = max(self.worker_hwm, st["hwm"])
                else:
                    self.other_hwm = max(self.other_hwm, st["hwm"])
            self.sum_rss = max(self.sum_rss, total)
            self.samples += 1
            self.stop.wait(self.period)


CPUACCT = Path("/sys/fs/cgroup/cpuacct")


class CpuMeter:
    """CPU seconds of a command and all its descendants (see the module docstring)."""

    def __init__(self):
        self.group = None
        if CPUACCT.is_dir() and os.access(CPUACCT, os.W_OK):
            try:
                self.group = Path(tempfile.mkdtemp(prefix="bpcourse-bench-", dir=CPUACCT))
            except OSError:
                self.group = None
        self.how = "cpuacct cgroup" if self.group else "rusage of children (sandboxes missed)"
        self._before = resource.getrusage(resource.RUSAGE_CHILDREN)

    def join(self) -> None:  # preexec_fn of the command: it and its descendants are counted
        if self.group is not None:
            (self.group / "cgroup.procs").write_text(str(os.getpid()))

    def seconds(self) -> float:
        if self.group is not None:
            return int((self.group / "cpuacct.usage").read_text()) / 1e9
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (after.ru_utime - self._before.ru_utime) + (after.ru_stime - self._before.ru_stime)

    def close(self) -> None:
        if self.group is not None:
            for _ in range(50):  # the last processes of the run may still be exiting
                try:
                    self.group.rmdir()
                    return
                except OSError:
                    time.sleep(0.1)


def argv(class_dir: Path, out: Path, workers: int) -> list[str]:
    return [sys.executable, "-m", "grader.cli", "grade-all", str(class_dir), "--out", str(out),
            "--workers", str(workers)]


ENV = dict(os.environ, PYTHONPATH=str(REPO))


def full_run(class_dir: Path, out: Path, workers: int) -> dict:
    meter = CpuMeter()
    start = time.perf_counter()
    proc = subprocess.Popen(argv(class_dir, out, workers), env=ENV, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=meter.join)
    memory = HostMemory(proc.pid)
    memory.start()
    stdout, stderr = proc.communicate(timeout=7200)
    wall = time.perf_counter() - start
    memory.stop.set()
    memory.join()
    cpu = meter.seconds()
    meter.close()
    if proc.returncode not in (0, 1):
        sys.exit(f"grade-all failed ({proc.returncode}): {stderr.strip()[-500:]}")
    summary = re.search(r"grader peak RSS (\d+) MB", stderr)
    return {"wall": wall, "csv": (out / "gradebook.csv").read_bytes(), "memory": memory,
            "cpu": cpu, "cpu_how": meter.how,
            "worker_rss_mb": int(summary.group(1)) if summary else None,
            "summary": stderr.strip().splitlines()[-2:] if stderr.strip() else []}


def rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode())))


def interrupted(class_dir: Path, out: Path, workers: int, sig: int, after: int) -> dict:
    """Start grade-all in a session of its own; once ``after`` results exist send ``sig`` (to
    the command for SIGINT, as Ctrl-C would; to the whole process group for SIGKILL); then
    rerun it to completion."""
    proc = subprocess.Popen(argv(class_dir, out, workers), env=ENV, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    while proc.poll() is None and len(list((out / "results").glob("*.json"))) < after:
        time.sleep(0.02)
    if sig == signal.SIGKILL:
        os.killpg(proc.pid, sig)
    else:
        os.kill(proc.pid, sig)
    err = proc.communicate(timeout=120)[1]
    kept_files = {p.name: p.read_bytes() for p in (out / "results").glob("*.json")}
    kept = len(kept_files)
    tmp = len(list(out.rglob("*.tmp")))
    resumed = subprocess.run(argv(class_dir, out, workers), env=ENV, cwd=REPO,
                             capture_output=True, text=True, timeout=7200)
    return {"rc": proc.returncode, "kept": kept, "tmp_left": tmp, "kept_files": kept_files,
            "out": out,
            "last_line": err.strip().splitlines()[-1] if err.strip() else "",
            "resumed_rc": resumed.returncode,
            "resumed_line": next((ln for ln in resumed.stderr.splitlines()
                                  if "already graded" in ln), ""),
            "csv": (out / "gradebook.csv").read_bytes()}


WALL_LIMITED = ("did not finish in time", "time budget")


def differences(full_out: Path, r: dict) -> list[str]:
    """One line per result that differs between the uninterrupted run and a resumed one."""
    lines = []
    for path in sorted((r["out"] / "results").glob("*.json")):
        theirs = full_out / "results" / path.name
        mine = path.read_bytes()
        if not theirs.exists():
            lines.append(f"  {path.stem}: only in the resumed run")
            continue
        if strip_seconds(theirs.read_bytes()) == strip_seconds(mine):
            continue
        when = ("kept from before the interruption" if path.name in r["kept_files"] and
                r["kept_files"][path.name] == mine else "graded after the resume")
        text = theirs.read_text() + mine.decode()
        why = ("a wall-clock limit of the sandbox decided a check in one run and not the "
               "other" if any(w in text for w in WALL_LIMITED) else "other")
        lines.append(f"  {path.stem}: {when}; {why}")
    return lines


def strip_seconds(data: bytes) -> bytes:
    return re.sub(rb'"seconds": [0-9.e+-]+', b"", data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="keep the class and the grades here")
    parser.add_argument("--no-interrupt", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("BPCOURSE_SECRET", "backprop-course-benchmark-secret")
    ENV.setdefault("BPCOURSE_SECRET", os.environ["BPCOURSE_SECRET"])
    base = Path(args.keep or tempfile.mkdtemp(prefix="bpcourse-class200-"))
    bad = False
    try:
        class_dir = build_class(base / "class", args.students, "mixed",
                                hostile=FAST_HOSTILE + PROCESS_HOSTILE)
        kinds = {}
        for p in class_dir.iterdir():
            from tests.bank.cases import BY_ID  # noqa: PLC0415
            case = next(c for c in BY_ID.values() if p.name.endswith("-" + c.name))
            kinds[case.category] = kinds.get(case.category, 0) + 1
        print(f"class: {args.students} students {kinds}; {args.workers} workers; "
              f"{os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}")
        full = full_run(class_dir, base / "grades", args.workers)
        table = rows(full["csv"])
        keys = [r["key"] for r in table]
        lost = args.students - len(set(keys))
        dup = len(keys) - len(set(keys))
        statuses = {}
        for r in table:
            statuses[r["status"]] = statuses.get(r["status"], 0) + 1
        m = full["memory"]
        print("uninterrupted: " + " | ".join(full["summary"]))
        print(f"rows {len(table)}, lost rows {lost}, duplicated rows {dup}, statuses {statuses}")
        print(f"wall {full['wall']:.1f} s, {args.students / full['wall']:.2f} submissions/s; "
              f"CPU (all processes) {full['cpu']:.1f} s = "
              f"{full['cpu'] / args.students:.3f} s per submission ({full['cpu_how']})")
        print(f"grader peak RSS: command {m.main_hwm / 1024:.0f} MB, largest worker "
              f"{m.worker_hwm / 1024:.0f} MB (workers' own report: {full['worker_rss_mb']} MB), "
              f"other host helpers {m.other_hwm / 1024:.0f} MB, largest sum of host processes "
              f"at one time {m.sum_rss / 1024:.0f} MB ({m.samples} samples); under 512 MB: "
              + ("yes" if max(m.main_hwm, m.worker_hwm, m.other_hwm) < 512 * 1024 else "NO"))
        bad = bool(lost or dup or statuses.get("failed"))
        if not args.no_interrupt:
            for sig in (signal.SIGINT, signal.SIGKILL):
                r = interrupted(class_dir, base / f"grades-{sig.name}", args.workers, sig,
                                args.students // 3)
                same = r["csv"] == full["csv"]
                print(f"{sig.name}: interrupted run exit {r['rc']} with {r['kept']} results "
                      f"kept ({r['tmp_left']} temporary files left); "
                      f"{r['last_line'] or '(no message)'}")
                print(f"{sig.name}: resumed exit {r['resumed_rc']}: {r['resumed_line']}; "
                      f"rows {len(rows(r['csv']))}; byte-identical: {'yes' if same else 'NO'}")
                if not same:
                    print("\n".join(differences(base / "grades", r)))
                bad = bad or not same
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
