"""What the Gradescope bundle's ``run_autograder`` runs: grade ``ROOT/submission`` and write
``ROOT/results/results.json``, always (Gradescope shows nothing useful without one).

    python -m grader.classgrade.gradescope_run ROOT

Student code never runs as root and never in this process: the sandbox is bubblewrap where the
container lets it create namespaces, else the ``user`` isolation (an unprivileged uid of its
own, Landlock where the kernel has it). If neither works, nothing is run and results.json says
so (score 0, for the instructor to regrade). ``$BPCOURSE_ISOLATION`` forces one mode. Public
checks are visible tests; hidden checks are ``after_published`` tests (their messages never
show expected values).
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

HIDDEN_VISIBILITY = "after_published"
REGRADE = "your instructor will regrade this submission"


def failure(message: str, seconds: float = 0.0) -> str:
    from grader.sanitize import line

    return json.dumps({"score": 0.0, "execution_time": round(seconds, 3),
                       "output": line(f"{message}; {REGRADE}", 1000), "output_format": "text",
                       "visibility": "visible", "stdout_visibility": "hidden", "tests": []},
                      ensure_ascii=False, allow_nan=False)


def _isolation() -> str:
    from grader.sandbox.plan import sandbox_available

    forced = os.environ.get("BPCOURSE_ISOLATION")
    if forced:
        return forced
    return "bubblewrap" if sandbox_available() else "user"


def _submission(folder: Path) -> Path:
    """Gradescope unpacks the upload into ``folder``; one zip uploaded as it is gets graded."""
    try:
        entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    except OSError:
        return folder
    if len(entries) == 1 and entries[0].is_file() and entries[0].suffix.lower() == ".zip":
        return entries[0]
    return folder


def results(root: Path) -> str:
    start = time.monotonic()
    try:
        from grader.api import grade
        from grader.render import render
        from grader.sandbox.launch import SandboxUnavailable
        from grader.settings import GRADE
        from grader.submission import SubmissionError
    except Exception as exc:  # noqa: BLE001 - a broken install still answers
        return failure(f"the autograder is not installed correctly ({type(exc).__name__})")
    try:
        report = grade(_submission(root / "submission"),
                       settings=GRADE.replace(isolation=_isolation()))
    except SubmissionError as exc:
        return failure(f"nothing could be graded: {exc}", time.monotonic() - start).replace(
            f"; {REGRADE}", "")
    except SandboxUnavailable as exc:
        return failure(f"the autograder cannot isolate student code here ({exc})")
    except Exception as exc:  # noqa: BLE001 - our bug: still a results.json
        return failure(f"the grader failed ({type(exc).__name__})", time.monotonic() - start)
    return render(report, "gradescope", hidden_visibility=HIDDEN_VISIBILITY)


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else "/autograder")
    out = root / "results" / "results.json"
    text = results(root)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(".results.json.tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
