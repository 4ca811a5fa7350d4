"""``bpcourse gradescope OUT.zip``: the grader as a Gradescope autograder.

The zip holds, at its root (Gradescope unpacks it into ``/autograder/source``):

- ``setup.sh``: run once when Gradescope builds the image (as root): Python, bubblewrap and
  util-linux from apt, a virtualenv with the pinned requirements at ``/autograder/venv``, and
  the world-readable runtime for the unprivileged worker (``bpcourse runtime``, see
  :mod:`grader.sandbox.runtime`) at ``/opt/bpcourse/runtime``;
- ``run_autograder``: run for each submission; makes ``/autograder`` mode 700 (nothing under
  it, the reference and results/ included, is reachable by the worker's uid), runs
  :mod:`grader.classgrade.gradescope_run`, and writes a minimal valid results.json itself if
  that did not leave one;
- ``grader/``, ``grader_hidden/`` and ``solutions/`` (the hidden part and the reference), ``requirements.txt`` and
  ``course-secret`` (the hidden inputs are drawn from it: keep the zip private).

``$BPCOURSE_AUTOGRADER_ROOT`` (default ``/autograder``) and ``$BPCOURSE_AUTOGRADER_PYTHON``
let a test run ``run_autograder`` in a simulated layout.
"""
from __future__ import annotations

import importlib.metadata
import os
import zipfile
from pathlib import Path

import grader

RUNTIME = "/opt/bpcourse/runtime"
REQUIREMENTS = ("numpy", "click", "hypothesis", "nbformat")
PACKAGES = ("grader", "grader_hidden", "solutions")  # the grader, its hidden part, the reference

SETUP = f"""#!/usr/bin/env bash
# Gradescope: run once, as root, when the autograder image is built.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3 python3-venv python3-pip bubblewrap util-linux >/dev/null
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install -q -r /autograder/source/requirements.txt
# The student's code runs as an unprivileged uid, which cannot run a Python inside
# /autograder (mode 700 at run time): give it a world-readable copy of the interpreter and numpy.
PYTHONPATH=/autograder/source /autograder/venv/bin/python -m grader.cli runtime {RUNTIME}
chmod 600 /autograder/source/course-secret
"""

RUN = f"""#!/usr/bin/env bash
# Gradescope: run for each submission, as root. Always leaves a valid results.json.
AG="${{BPCOURSE_AUTOGRADER_ROOT:-/autograder}}"
PY="${{BPCOURSE_AUTOGRADER_PYTHON:-$AG/venv/bin/python}}"
RESULTS="$AG/results/results.json"
mkdir -p "$AG/results"
rm -f "$RESULTS"
# Nothing under $AG (the reference, the course secret, results/) is reachable by the
# unprivileged uid that runs the student's code.
chmod 700 "$AG" || true
export PYTHONPATH="$AG/source"
export BPCOURSE_SECRET_FILE="$AG/source/course-secret"
export BPCOURSE_WORKER_RUNTIME="${{BPCOURSE_WORKER_RUNTIME:-{RUNTIME}}}"
cd "$AG" || true
"$PY" -m grader.classgrade.gradescope_run "$AG"
if ! "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, dict) and isinstance(d.get("score"), float)' "$RESULTS" 2>/dev/null; then
    printf '%s\\n' '{{"score": 0.0, "output": "The autograder failed before it could grade this submission; your instructor will regrade it.", "tests": []}}' > "$RESULTS"
fi
exit 0
"""


def _package_files(root: Path):
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                yield path, path.relative_to(root).as_posix()


def requirements() -> str:
    lines = []
    for name in REQUIREMENTS:
        try:
            lines.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            lines.append(name)
    return "\n".join(lines) + "\n"


def build(out: Path, secret: str) -> list[str]:
    """Write the bundle to ``out``; the names it holds."""
    root = Path(grader.__file__).resolve().parents[1]
    for package in PACKAGES:
        if not (root / package).is_dir():
            raise FileNotFoundError(f"{package}/ is not installed here (the instructor's "
                                    "install holds the hidden part and the reference)")
    names = []
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        def add(name: str, data: bytes | str, mode: int) -> None:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
            names.append(name)

        add("setup.sh", SETUP, 0o755)
        add("run_autograder", RUN, 0o755)
        add("requirements.txt", requirements(), 0o644)
        add("course-secret", secret + "\n", 0o600)
        for path, name in _package_files(root):
            add(name, path.read_bytes(), 0o644)
    os.replace(tmp, out)
    return names
