"""A small class for the class-scale tests: bank submissions under student names that are
themselves hostile (a spreadsheet formula, an escape sequence, a path), plus input that
cannot be graded at all."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bank.assemble import assemble
from tests.bank.cases import BY_ID, REPO

# student folder name -> bank case (None: not a submission at all)
CLASS = {
    "ada": "correct/debug_prints",
    "=HYPERLINK(\"http://x\")": "buggy/sgd_ascent",
    "bob \x1b[31mred\u202e": "hostile/syntax_error",
    "carol": "hostile/os_exit_at_import",
    "dan": "buggy/backward_transposed_dW",
    "erin": None,  # an empty folder: nothing to grade
}


def build_class(dest: Path) -> Path:
    dest.mkdir(parents=True)
    for name, case in CLASS.items():
        if case is None:
            (dest / name).mkdir()
        else:
            assemble(BY_ID[case], dest / name, marker="bpcourse-classgrade-test")
    (dest / "not-a-zip.zip").write_bytes(b"PK\x03\x04 broken")  # unreadable archive
    return dest


@pytest.fixture(scope="session")
def small_class(tmp_path_factory) -> Path:
    return build_class(tmp_path_factory.mktemp("class") / "submissions")


def bpcourse(*args, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "grader.cli", *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=REPO, **kw)


@pytest.fixture(scope="session")
def graded(small_class, tmp_path_factory) -> Path:
    """The small class graded once by `bpcourse grade-all --workers 2`: the output folder."""
    out = tmp_path_factory.mktemp("grades")
    done = bpcourse("grade-all", small_class, "--out", out, "--workers", "2", timeout=600)
    assert done.returncode == 0, done.stderr
    return out
