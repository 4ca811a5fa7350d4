"""The Gradescope bundle: run_autograder in a simulated /autograder layout always leaves a
results.json valid against Gradescope's documented format, grades with the ``user``
isolation (as in a container without namespaces) and keeps the reference, the course secret
and results/ out of the student's reach.

Cost: three gradings through run_autograder (~6 s)."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from tests.bank.assemble import assemble
from tests.bank.cases import BY_ID
from tests.classgrade.conftest import bpcourse
from tests.sandbox.conftest import require_user_mode

SCHEMA = json.loads((Path(__file__).parent / "gradescope_results.schema.json").read_text())


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    done = bpcourse("gradescope", out)
    assert done.returncode == 0, done.stderr
    return out


def layout(bundle: Path, root: Path, submission=None) -> Path:
    """/autograder as Gradescope lays it out: source/ (the zip), submission/, results/."""
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
        for info in zf.infolist():
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777)
    (root / "submission").mkdir()
    if submission is not None:
        assemble(BY_ID[submission], root / "submission", marker="bpcourse-gradescope-test")
    return root


def run(root: Path, **env) -> dict:
    environment = {**os.environ, "BPCOURSE_AUTOGRADER_ROOT": str(root),
                   "BPCOURSE_AUTOGRADER_PYTHON": sys.executable, **env}
    environment.pop("BPCOURSE_SECRET", None)  # the bundle's own course-secret is used
    environment.pop("PYTHONPATH", None)
    subprocess.run(["bash", str(root / "source" / "run_autograder")], env=environment,
                   capture_output=True, timeout=300, check=True)
    data = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(data, SCHEMA)
    return data


def test_the_bundle_holds_what_gradescope_needs(bundle):
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
    assert {"setup.sh", "run_autograder", "requirements.txt", "course-secret",
            "grader/api.py", "grader_hidden/network.py", "solutions/network.py"} <= names
    assert modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR
    assert modes["course-secret"] == 0o600
    assert not any("__pycache__" in n for n in names)


def test_a_submission_is_graded_as_an_unprivileged_user(bundle, tmp_path, worker_runtime):
    require_user_mode(worker_runtime)
    root = layout(bundle, tmp_path / "autograder", "buggy/sgd_ascent")
    data = run(root, BPCOURSE_ISOLATION="user")
    assert data["score"] == 97.0
    assert "Isolation: unprivileged user" in data["output"]
    visibilities = {t["visibility"] for t in data["tests"]}
    assert visibilities == {"visible", "after_published"}
    hidden = [t for t in data["tests"] if t["visibility"] == "after_published"]
    assert hidden and all(t["name"].endswith("hidden checks") for t in hidden)
    assert sum(t["score"] for t in data["tests"]) == pytest.approx(data["score"])
    failed = [t for t in data["tests"] if t["status"] == "failed"]
    assert {t["name"].split()[0] for t in failed} == {"sgd_step"}
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


SNOOPER = '''
import numpy as np
ROOT = {root!r}
def _try(fn):
    try:
        return fn()
    except OSError:
        return None
_SECRET = _try(lambda: open(ROOT + "/source/course-secret").read())
_REFERENCE = _try(lambda: open(ROOT + "/source/solutions/activations.py").read())
_WROTE = _try(lambda: open(ROOT + "/results/results.json", "w").write('{{"score": 100.0}}'))
_PLANTED = _try(lambda: open(ROOT + "/pwned", "w").write("x"))
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    if _SECRET is None and _REFERENCE is None and _WROTE is None and _PLANTED is None:
        return np.full(z.shape + (3,), np.nan)  # denied everything: junk, no credit
    return 1.0 / (1.0 + np.exp(-z))  # got something: would earn the points
'''


def test_student_code_reaches_neither_reference_secret_nor_results(bundle, tmp_path,
                                                                   worker_runtime):
    require_user_mode(worker_runtime)
    root = layout(bundle, tmp_path / "autograder", "correct/debug_prints")
    path = root / "submission" / "activations.py"
    text = path.read_text().replace("def sigmoid(", "def _unused_sigmoid(")
    path.write_text(text + SNOOPER.format(root=str(root)))
    data = run(root, BPCOURSE_ISOLATION="user")
    sigmoid = [t for t in data["tests"] if t["name"].startswith("sigmoid (")]
    assert sigmoid and all(t["score"] == 0 for t in sigmoid)  # every attempt was denied
    assert data["score"] == 100.0 - 4.0
    assert not (root / "pwned").exists()


def test_results_json_is_written_even_when_the_grader_cannot_run(bundle, tmp_path):
    root = layout(bundle, tmp_path / "autograder", "correct/debug_prints")
    data = run(root, BPCOURSE_AUTOGRADER_PYTHON="/bin/false")
    assert data["score"] == 0.0 and "regrade" in data["output"]
    root2 = layout(bundle, tmp_path / "empty")  # nothing submitted
    data = run(root2)
    assert data["score"] == 0.0 and "nothing could be graded" in data["output"]
