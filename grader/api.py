"""The grader's Python API; the command line is a thin layer over it."""
from __future__ import annotations

import time
from pathlib import Path

from grader.contract import MODULES
from grader.results import GradeReport
from grader.settings import CHECK, GRADE, Settings


def _limits(settings: Settings):
    from grader.sandbox import Limits

    return Limits(call_timeout=settings.call_timeout, import_timeout=settings.import_timeout,
                  budget=settings.budget, memory_bytes=settings.memory_mb << 20,
                  output_bytes=settings.output_kb << 10)


def grade(path: Path | str, *, public_only: bool = False,
          settings: Settings | None = None) -> GradeReport:
    """Grade one submission (a folder, a .zip or notebooks; see CONTRACT.md).

    ``public_only`` runs the checks a student may run themselves (article numbers,
    properties, consistency of their own code) and never loads the reference solutions.
    Raises ``grader.submission.SubmissionError`` for input that cannot be graded at all.
    """
    from grader.sandbox import Sandbox
    from grader.submission import staged

    settings = settings or (CHECK if public_only else GRADE)
    start = time.perf_counter()
    with staged(path) as submission:
        sandbox = Sandbox(submission.root, limits=_limits(settings), isolation=settings.isolation)
        try:
            sandbox.start()  # the worker boots while the checks and the reference load
            from grader.engine import run_checks
            from grader.impl import LocalImpl, StudentImpl, reference_functions

            reference = None if public_only else LocalImpl(reference_functions(), "reference")
            results = run_checks(StudentImpl(sandbox), reference, settings, public_only=public_only)
        finally:
            sandbox.close()
        notes = list(submission.notes)
        missing = [m for m in MODULES if m not in submission.modules]
        if missing:
            notes.append("not found in the submission: " + ", ".join(f"{m}.py" for m in missing))
        return GradeReport(results, mode="check" if public_only else "grade",
                           isolation=sandbox.isolation, seconds=time.perf_counter() - start,
                           submission=submission.source, notes=notes)
