"""Settings for the whole test suite.

The grader draws hidden inputs from the instructor's course secret (grader.secret), made on
first use in the user's config folder. Tests must never touch that folder: they use a fixed,
public test secret through ``$BPCOURSE_SECRET`` (inherited by the command-line tests'
subprocesses too). Tests of the secret itself point ``$BPCOURSE_SECRET_FILE`` elsewhere.
"""
import os

TEST_SECRET = "backprop-course-test-secret-not-for-grading"
os.environ["BPCOURSE_SECRET"] = TEST_SECRET


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def worker_runtime(tmp_path_factory):
    """An interpreter and numpy that an unprivileged user can run, for the ``user`` isolation
    (grader.sandbox.runtime): this machine's Python may live under /root (mode 700). Made once
    per session (~1 s, ~160 MB) in a world-readable folder, removed afterwards; None when the
    running interpreter is usable as it is."""
    import shutil
    import tempfile

    from grader.sandbox import runtime

    if os.geteuid() != 0 or not isinstance(runtime.find_runtime(), str):
        yield None
        return
    base = tempfile.mkdtemp(prefix="bpcourse-test-runtime-", dir="/tmp")
    os.chmod(base, 0o755)
    old = os.environ.get("BPCOURSE_WORKER_RUNTIME")
    try:
        made = runtime.make_runtime(base)
        os.environ["BPCOURSE_WORKER_RUNTIME"] = base
        yield made
    finally:
        if old is None:
            os.environ.pop("BPCOURSE_WORKER_RUNTIME", None)
        else:
            os.environ["BPCOURSE_WORKER_RUNTIME"] = old
        shutil.rmtree(base, ignore_errors=True)
