"""One grading worker of ``bpcourse grade-all``: a long-lived process that grades one student
per request with :func:`grader.api.grade` (its own sandbox each time), so the grader's
start-up (imports, the reference, the course secret) is paid once per worker, not per student.

Protocol (JSON lines): the parent writes ``{"path", "settings"}``; the worker answers
``{"status", "error", "report", "feedback", "peak_rss_kb"}`` on a private copy of its
standard output (fd 1 itself goes to standard error, so nothing printed can corrupt a frame).
It dies with its parent (``PR_SET_PDEATHSIG``), ignores SIGINT (the parent decides) and
unwinds on SIGTERM (sandbox and staging folders are cleaned up).
"""
from __future__ import annotations

import ctypes
import json
import os
import signal
import sys


class _Stop(BaseException):
    pass


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def peak_rss_kb() -> int:
    """VmHWM of this process (ru_maxrss would include what the forking parent had)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def grade_one(path: str, settings) -> dict:
    from grader.api import grade
    from grader.render import render
    from grader.sandbox.host import SandboxUnavailable
    from grader.sanitize import line
    from grader.secret import SecretError
    from grader.submission import SubmissionError

    try:
        report = grade(path, settings=settings)
    except SubmissionError as exc:
        return {"status": "ungradable", "error": line(str(exc))}
    except (SandboxUnavailable, SecretError) as exc:
        return {"status": "failed", "error": line(f"{type(exc).__name__}: {exc}")}
    except Exception as exc:  # noqa: BLE001 - a bug of ours costs this student only
        return {"status": "failed",
                "error": line(f"the grader failed ({type(exc).__name__}: {exc})")}
    return {"status": "graded", "error": "", "report": report.to_dict("instructor"),
            "submission": report.submission,
            "feedback": render(report, "text", audience="student")}


def main() -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def stop(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise _Stop()

    signal.signal(signal.SIGTERM, stop)
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything printed by accident goes to standard error
    sys.stdout = sys.stderr
    from grader.settings import GRADE
    from grader.submission import fork_stagers

    fork_stagers()  # this process stages one submission after another
    from grader.sandbox.launch import pool_sandboxes

    pool_sandboxes()  # ... and grades them in one sandbox, one worker after another
    try:
        for raw in sys.stdin:
            job = json.loads(raw)
            settings = GRADE.replace(**job.get("settings", {}))
            answer = grade_one(job["path"], settings)
            answer["peak_rss_kb"] = peak_rss_kb()
            out.write(json.dumps(answer, ensure_ascii=False, allow_nan=False) + "\n")
            out.flush()
    except (_Stop, BrokenPipeError, KeyboardInterrupt):
        pass


if __name__ == "__main__":
    main()
