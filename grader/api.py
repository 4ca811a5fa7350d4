"""The grader's Python API; the command line is a thin layer over it."""
from __future__ import annotations

import time
from pathlib import Path

from grader.contract import MODULES
from grader.results import GradeReport
from grader.settings import CHECK, GRADE, Settings


class HiddenPartMissing(Exception):
    """``grade`` asked of an install without the hidden part (a student's)."""


def grade(path: Path | str, *, public_only: bool = False,
          settings: Settings | None = None, only: tuple[str, ...] = ()) -> GradeReport:
    """Grade one submission (a folder, a .zip or notebooks; see CONTRACT.md); ``only``: just
    these exercises (contract names).

    ``public_only`` runs the checks a student may run themselves (article numbers,
    properties, consistency of their own code) and never loads the reference solutions or
    the course secret; it works without the hidden part (``grader_hidden``) and
    ``solutions/``, and names known mistakes from the variants only when they are installed.
    Raises ``grader.submission.SubmissionError`` for input that cannot be graded at all,
    ``grader.secret.SecretError`` when the course secret cannot be had, ``HiddenPartMissing``
    when grading needs the hidden part and this install has none (a student's).
    """
    from grader.sandbox import Sandbox
    from grader.submission import stage_into, staging_area

    settings = settings or (CHECK if public_only else GRADE)
    seed: tuple = ()
    start = time.perf_counter()
    with staging_area() as base:
        sandbox = Sandbox(base / "stage", limits=settings.limits, isolation=settings.isolation)
        try:
            if sandbox.reads_live:
                # The worker boots (numpy's import: a tenth of a second) while the submission
                # is staged into the folder it binds, and the checks and the reference load.
                sandbox.start()
            from grader.exercises import HIDDEN

            if not public_only and HIDDEN is None:
                raise HiddenPartMissing("grading needs the instructor's install (the hidden "
                                        "checks and the reference solutions); this one can "
                                        "only `check`")
            if not public_only:
                from grader.secret import load_secret, seed_words

                seed = tuple(seed_words(settings.secret or load_secret()))
            submission = stage_into(path, base)
            sandbox.start()
            from grader.engine import run_checks
            from grader.impl import LocalImpl, StudentImpl

            reference = None if public_only else LocalImpl(HIDDEN.reference_functions(),
                                                           "reference")
            variants = HIDDEN.VARIANTS if HIDDEN is not None else {}
            from grader.exercises import EXERCISES

            chosen = tuple(e for e in EXERCISES if not only or e.name in only)
            results = run_checks(StudentImpl(sandbox), reference, settings,
                                 public_only=public_only, seed=seed, variants=variants,
                                 exercises=chosen)
        finally:
            sandbox.close()
        notes = list(submission.notes)
        wanted = {e.module for e in chosen}
        missing = [m for m in MODULES if m not in submission.modules and m in wanted]
        if missing:
            notes.append("not found in the submission: " + ", ".join(f"{m}.py" for m in missing))
        return GradeReport(results, mode="check" if public_only else "grade",
                           isolation=sandbox.isolation, seconds=time.perf_counter() - start,
                           submission=submission.source, notes=notes)
