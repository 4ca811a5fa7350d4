"""Grade a class in parallel: ``workers`` long-lived grading processes (``_worker``), one
grader call and one sandbox per student, results written by this process as they arrive.

A worker that dies, answers garbage or takes longer than ``STUDENT_TIMEOUT`` (the grader
itself bounds a submission at 60 s) is killed and replaced; that student's result says
"failed" and is retried by the next run. Nothing a submission does can stop the batch.
Memory: each worker is one grader (at most 512 MB) plus, while it grades, one sandbox
(address space at most ``Limits.memory_bytes``); the default number of workers is the number
of cores, fewer when the available memory cannot hold that many (``default_workers``).
"""
from __future__ import annotations

import json
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import grader
from grader.classgrade import gradebook
from grader.classgrade.collect import Student

STUDENT_TIMEOUT = 300.0  # seconds for one student, far above the grader's own 60 s bound
GRADER_BYTES = 512 * 2**20  # the grader's own bound on its RSS
MAX_PER_WORKER = 200  # a worker is replaced after this many students (bounds any slow leak)
STOP_WAIT = 5.0


def default_workers(memory_bytes: int | None = None) -> int:
    from grader.limits import Limits

    per_worker = GRADER_BYTES + (memory_bytes or Limits().memory_bytes)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    available = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    by_memory = max(1, available // per_worker) if available else cores or 1
    return max(1, min(cores or 1, by_memory))


class _Worker:
    def __init__(self):
        self.proc: subprocess.Popen | None = None
        self.done = 0

    def start(self) -> None:
        root = str(Path(grader.__file__).resolve().parents[1])
        env = dict(os.environ)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH")
                                    else "")
        self.proc = subprocess.Popen([sys.executable, "-m", "grader.classgrade._worker"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env, cwd=root)
        self.done = 0
        self._buf = b""

    def ask(self, job: dict, timeout: float) -> dict:
        if self.proc is None or self.proc.poll() is not None or self.done >= MAX_PER_WORKER:
            self.stop()
            self.start()
        proc = self.proc
        try:
            proc.stdin.write((json.dumps(job) + "\n").encode())
            proc.stdin.flush()
        except OSError:
            self.stop()
            return {"status": "failed", "error": "the grading worker died"}
        deadline = time.monotonic() + timeout
        fd = proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.stop()
                return {"status": "failed",
                        "error": f"the grader took longer than {timeout:g} s"}
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                self.stop()
                return {"status": "failed", "error": "the grading worker died"}
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\n", 1)
        self.done += 1
        try:
            answer = json.loads(raw)
        except ValueError:
            self.stop()
            return {"status": "failed", "error": "the grading worker answered garbage"}
        return answer if isinstance(answer, dict) else {"status": "failed",
                                                        "error": "bad answer"}

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # unwinds: the sandbox and staging are cleaned up
            try:
                proc.wait(timeout=STOP_WAIT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for f in (proc.stdin, proc.stdout):
            try:
                f.close()
            except OSError:
                pass


@dataclass
class Summary:
    total: int = 0
    skipped: int = 0  # finished by an earlier run
    graded: int = 0
    ungradable: int = 0
    failed: int = 0
    seconds: float = 0.0
    peak_rss_kb: int = 0


def grade_all(students: list[Student], out: Path, *, workers: int, settings: dict,
              timeout: float = STUDENT_TIMEOUT, progress=None) -> Summary:
    """Grade every student of ``students`` not finished in ``out``; write each result as it
    comes, then the gradebook. ``settings`` are :class:`grader.settings.Settings` overrides
    (JSON values). ``progress(n)`` is called with 1 for each student done."""
    out.mkdir(parents=True, exist_ok=True)
    gradebook.remove_temporaries(out)
    todo = [s for s in students if not gradebook.finished(out, s.key)]
    summary = Summary(total=len(students), skipped=len(students) - len(todo))
    start = time.monotonic()
    jobs: queue.Queue = queue.Queue()
    for s in todo:
        jobs.put(s)
    answers: queue.Queue = queue.Queue()
    stopping = threading.Event()
    pool = [_Worker() for _ in range(max(1, min(workers, len(todo) or 1)))]

    def run(worker: _Worker) -> None:
        try:
            while not stopping.is_set():
                try:
                    s = jobs.get_nowait()
                except queue.Empty:
                    return
                answer = worker.ask({"path": str(s.path), "settings": settings}, timeout)
                answers.put((s, answer))
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            answers.put((None, exc))
        finally:
            worker.stop()

    threads = [threading.Thread(target=run, args=(w,), daemon=True) for w in pool]
    try:
        for t in threads:
            t.start()
        for _ in range(len(todo)):
            while True:
                try:
                    s, answer = answers.get(timeout=0.5)  # wakes up for signals
                    break
                except queue.Empty:
                    continue
            if s is None:
                raise answer
            gradebook.write_student(out, s.key, s.name, answer)
            status = answer.get("status")
            status = status if status in ("graded", "ungradable") else "failed"
            setattr(summary, status, getattr(summary, status) + 1)
            summary.peak_rss_kb = max(summary.peak_rss_kb, int(answer.get("peak_rss_kb") or 0))
            if progress is not None:
                progress(1)
    finally:
        stopping.set()
        for w in pool:
            w.stop()
        for t in threads:
            t.join(timeout=STOP_WAIT)
    summary.seconds = time.monotonic() - start
    gradebook.write_gradebook(out, [s.key for s in students])
    return summary
