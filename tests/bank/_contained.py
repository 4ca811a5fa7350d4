"""Grade one submission and write the outcome as JSON: the child side of a contained run.

    python -m tests.bank._contained ARGS.json

``ARGS.json`` holds ``submission``, ``output`` and ``marker`` (passed in a file, not on the
command line, so that this process does not itself carry the marker it looks for).
``test_bank.py`` runs this inside a PID namespace of its own (``support.contained_command``):
an attack that kills every process it can see then ends here, and the test reports it.
"""
from __future__ import annotations

import json
import sys
import time
import traceback


def main(args_path: str) -> int:
    with open(args_path, encoding="utf-8") as fh:
        args = json.load(fh)
    outcome: dict = {}
    try:
        from grader.api import grade

        start = time.monotonic()
        report = grade(args["submission"])
        outcome["seconds"] = time.monotonic() - start
        outcome["report"] = report.to_dict("instructor")
    except BaseException:  # noqa: BLE001 - every way of failing is an outcome to report
        outcome["error"] = traceback.format_exc()
    try:
        from .support import survivors

        # Inside this namespace: once it ends, everything in it is gone, so look now.
        outcome["survivors"] = survivors(args["marker"])
    except BaseException:  # noqa: BLE001
        outcome["survivors_error"] = traceback.format_exc()
    with open(args["output"], "w", encoding="utf-8") as fh:
        json.dump(outcome, fh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
