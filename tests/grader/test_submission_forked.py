"""Staging by children forked from the stager zygote (``grader.submission.fork_stagers``), as
``bpcourse grade-all``'s workers stage: every test of ``test_submission`` again, one zygote
for them all (so each submission is staged after others), and what only the zygote can break."""
from __future__ import annotations

import os
import re
import signal
import time

import pytest

import test_submission
from grader import submission
from grader.submission import _host, staged
from test_submission import *  # noqa: F401,F403 - collected again here, forked
from test_submission import write_modules

_ONLY_FORKED = """
submission.fork_stagers()
from grader.submission import _host
_plain = _host._child_command
def _only_forked(entry='main'):
    assert entry == 'zygote', 'a plain stager child was started'
    return _plain(entry)
_host._child_command = _only_forked
"""


@pytest.fixture(scope="module")
def zygote():
    z = _host._Zygote()
    z.start()
    yield z
    with z._lock:
        z._stop()


@pytest.fixture(autouse=True)
def forked(zygote, monkeypatch):
    """Every staging of the test forks from ``zygote``; a plain child would fail it."""
    plain = _host._child_command

    def only_forked(entry="main"):
        assert entry == "zygote", "a plain stager child was started"
        return plain(entry)

    monkeypatch.setattr(_host, "_zygote", zygote)
    monkeypatch.setattr(_host, "_child_command", only_forked)
    measure = test_submission._measure
    monkeypatch.setattr(test_submission, "_measure",
                        lambda root, target, setup="": measure(root, target,
                                                               _ONLY_FORKED + setup))


def _forked_children(monkeypatch) -> list[dict]:
    """What each forked child was when it ended (read before the zygote reaps it)."""
    seen = []
    wait = _host._Forked.wait

    def spy(self):
        if self.returncode is None:
            with open(f"/proc/{self.pid}/limits") as f:
                limits = f.read()
            with open(f"/proc/{self.pid}/stat", "rb") as f:
                session = int(f.read().rsplit(b")", 1)[1].split()[3])
            seen.append({"pid": self.pid, "limits": limits, "session": session})
        return wait(self)

    monkeypatch.setattr(_host._Forked, "wait", spy)
    return seen


def _limit(limits: str, name: str) -> str:
    """The soft limit ``name`` in a /proc/PID/limits text: a number or "unlimited"."""
    return re.search(rf"^{name}\s+(\S+)", limits, re.M).group(1)


def test_the_forked_child_sets_its_limits_and_its_own_session(tmp_path, monkeypatch, zygote):
    seen = _forked_children(monkeypatch)
    with staged(write_modules(tmp_path / "sub")) as s:
        assert s.modules == list(submission.EXERCISE_MODULES)
    (child,) = seen
    assert child["pid"] != zygote._proc.pid
    assert _limit(child["limits"], "Max address space") == str(submission.STAGER_MEMORY)
    assert _limit(child["limits"], "Max cpu time") == str(int(submission.STAGE_TIMEOUT) + 1)
    assert _limit(child["limits"], "Max open files") == "256"
    assert _limit(child["limits"], "Max core file size") == "0"
    assert child["session"] == child["pid"]  # terminal signals reach only the host
    # ...and the zygote itself stays unlimited: the next child starts from the same state.
    with open(f"/proc/{zygote._proc.pid}/limits") as f:
        assert _limit(f.read(), "Max address space") != str(submission.STAGER_MEMORY)


def _zygote_memory(pid: int) -> bytes:
    chunks = []
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            span, perms = line.split()[:2]
            if "r" not in perms:
                continue
            start, end = (int(x, 16) for x in span.split("-"))
            try:
                mem.seek(start)
                chunks.append(mem.read(end - start))
            except (OSError, ValueError, OverflowError):
                pass  # [vvar] and the like
    return b"".join(chunks)


def test_nothing_of_a_submission_reaches_the_zygote(tmp_path, zygote):
    """What a forked child inherits is the zygote: it must hold nothing of the submissions
    staged before (not their paths, not their bytes, no descriptor)."""
    sub = write_modules(tmp_path / "sub-PATHMARKER7d2f")
    (sub / "helper.py").write_text("SECRET = 'CONTENTMARKER91c4'\n")
    with staged(sub) as s:
        assert (s.root / "exercises" / "helper.py").exists()
    pid = zygote._proc.pid
    try:
        memory = _zygote_memory(pid)
    except PermissionError:
        pytest.skip("cannot read another process's memory here")
    assert len(memory) > 1_000_000
    assert b"PATHMARKER7d2f" not in memory and b"CONTENTMARKER91c4" not in memory
    assert b"PATHMARKER7d2f".decode().encode("utf-32-le") not in memory
    assert sorted(os.listdir(f"/proc/{pid}/fd")) == ["0", "1", "2"]


def test_a_killed_zygote_is_replaced(tmp_path, zygote):
    before = zygote._proc.pid
    os.kill(before, signal.SIGKILL)
    zygote._proc.wait()
    with staged(write_modules(tmp_path / "sub")) as s:
        assert s.modules == list(submission.EXERCISE_MODULES)
    assert zygote._proc.pid != before and zygote._proc.poll() is None


def test_a_zygote_lost_while_its_child_stages_costs_nothing(tmp_path, monkeypatch, zygote):
    """The zygote dies before it reaps the child: the staging still stands, the child does not
    outlive it, and the next submission gets a new zygote."""
    wait = _host._Forked.wait
    lost = []

    def kill_the_zygote_first(self):
        if self.returncode is None and not lost:
            lost.append(zygote._proc.pid)
            os.kill(zygote._proc.pid, signal.SIGKILL)
            zygote._proc.wait()
        return wait(self)

    monkeypatch.setattr(_host._Forked, "wait", kill_the_zygote_first)
    for name in ("one", "two"):
        with staged(write_modules(tmp_path / name)) as s:
            assert s.modules == list(submission.EXERCISE_MODULES)
    assert lost and zygote._proc.pid != lost[0]


def test_a_zygote_that_cannot_start_falls_back_to_a_plain_child(tmp_path, monkeypatch):
    z = _host._Zygote()
    monkeypatch.setattr(_host, "_zygote", z)
    monkeypatch.setattr(_host, "_child_command",
                        lambda entry="main": ["/nonexistent/python"] if entry == "zygote"
                        else _plain_command(entry))
    with staged(write_modules(tmp_path / "sub")) as s:
        assert s.modules == list(submission.EXERCISE_MODULES)
    assert z._proc is None


_plain_command = _host._child_command


def test_a_stalled_forked_child_is_killed_and_its_unit_skipped_in_time(tmp_path, monkeypatch):
    """The host's unit deadline reads the forked child's CPU from /proc and kills it by pidfd,
    as it does a plain child; the zygote then reaps it."""
    from nbformat.v4 import new_code_cell

    monkeypatch.setattr(submission, "MAX_CELL_BYTES", 2**30)
    monkeypatch.setattr(submission, "MAX_CODE_BYTES", 2**30)
    monkeypatch.setattr(submission, "UNIT_TIMEOUT", 0.05)
    seen = _forked_children(monkeypatch)
    nb = test_submission.notebook(new_code_cell("def relu(z):\n    return 0"),
                                  new_code_cell("X = [" + "a," * 1_000_000 + "]"),
                                  path=tmp_path / "nb.ipynb")
    start = time.monotonic()
    with staged(nb) as s:
        assert s.modules == ["activations"]
        assert any("code cell 2" in n and "too long" in n for n in s.notes), s.notes
    assert time.monotonic() - start < 10
    assert len(seen) == 2  # killed in cell 2, then staged again without it


def test_a_fork_of_the_host_stages_with_plain_children(zygote):
    pid = os.fork()
    if pid == 0:
        os._exit(0 if _host._zygote is None else 1)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    assert _host._zygote is zygote
