"""The worker launched before the command line is parsed (grader/ahead.py): adopted by the
grade it was launched for, stopped and removed otherwise, and never a leak."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from grader import ahead
from grader.settings import GRADE

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "tests" / "bank" / "submissions" / "base"


@pytest.fixture
def launched(monkeypatch, tmp_path):
    """ahead.launch() in this process, with its signal handlers and folder put back after."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield tmp_path
    ahead._drop()
    for s, h in handlers.items():
        signal.signal(s, h)
    assert list(tmp_path.glob("bpcourse-submission-*")) == []


def test_a_grade_adopts_the_worker_launched_for_it(launched, monkeypatch):
    from grader import api
    from grader.sandbox import launch

    ahead.launch(["grade", str(BASE), "--format", "json"])
    assert ahead._ahead is not None
    folder = ahead._ahead[3]
    assert folder.parent == launched and folder.is_dir()
    # Nothing else may start a worker now: the grade must use the one launched ahead.
    monkeypatch.setattr(launch, "start_early", lambda *a, **k: 1 / 0)
    report = api.grade(BASE)
    assert report.score == report.max_score
    assert ahead._ahead is None and not folder.exists()


def test_a_worker_launched_for_other_limits_is_stopped_and_removed(launched):
    from grader import api

    ahead.launch(["grade", str(BASE)])
    folder, started = ahead._ahead[3], ahead._ahead[4]
    report = api.grade(BASE, settings=GRADE.replace(call_timeout=2.0))
    assert report.score == report.max_score
    assert ahead._ahead is None and not folder.exists()
    assert started.proc.poll() is not None  # stopped, not left to boot for nobody


@pytest.mark.parametrize("argv", [["grade-all", "x"], ["stubs"], ["grade", "x", "--timeout", "2"],
                                  ["grade", "x", "--isolation=rlimits"], ["check", "--help"], []])
def test_nothing_is_launched_for_other_commands_or_options(launched, argv):
    ahead.launch(argv)
    assert ahead._ahead is None
    assert list(launched.iterdir()) == []


def test_a_usage_error_after_the_launch_leaves_nothing(tmp_path):
    """``bpcourse grade`` with a path that does not exist: exit 2 with one line, and the
    folder and worker launched ahead are gone."""
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    for entry in (["-m", "grader.cli"], ["-c", "from grader.ahead import console; console()"]):
        done = subprocess.run([sys.executable, *entry, "grade", str(tmp_path / "nothing")],
                              capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and "no such file or folder" in done.stderr
        assert [p.name for p in tmp_path.iterdir()] == []


def test_every_process_a_grade_starts_gets_its_environment_explicitly(monkeypatch):
    """A grade starts processes while its preparation thread imports numpy, whose import sets
    and unsets an environment variable. A process started without ``env`` execs with the C
    library's environment as it is at that moment, possibly an array just freed: the exec
    then fails with EFAULT and the grade with exit 3 (seen once in the hostile bank's 49
    grades). With ``env``, the exec reads only what the launching thread built."""
    from grader import api
    from grader.sandbox import plan

    started = []
    real = subprocess.Popen.__init__

    def record(self, args, *rest, **kwargs):
        started.append((args[0] if isinstance(args, (list, tuple)) else args,
                        kwargs.get("env")))
        real(self, args, *rest, **kwargs)

    monkeypatch.setattr(subprocess.Popen, "__init__", record)
    plan.probe.cache_clear()  # bubblewrap's probe too, when this machine has it
    try:
        report = api.grade(BASE)
    finally:
        plan.probe.cache_clear()
    assert report.score == report.max_score
    assert len(started) >= 2  # the stager and the worker, at least
    assert [exe for exe, env in started if env is None] == []
