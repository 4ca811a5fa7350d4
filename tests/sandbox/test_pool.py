"""One sandbox for a class (``launch.Pool``): each student's worker is forked by a zygote that
booted once. Does anything of one student reach the next, and is a grade in the pool the grade
a sandbox of its own gives?"""
from __future__ import annotations

import os
import signal
import textwrap
import time
import uuid

import pytest

from grader.limits import Limits
from grader.sandbox import Sandbox
from grader.sandbox import launch

LEAVE = """
import os, signal, subprocess, sys, time

def spawn(marker):
    # A daemon of its own: a grandchild in a new session, sleeping with the marker in argv.
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(300)",
                                      marker])
        os._exit(0)
    os.waitpid(pid, 0)
    return "spawned"

def everyone():
    found = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    found[name] = f.read().replace(b"\\0", b" ").decode()
            except OSError:
                pass
    return found

def family():
    return [os.getppid(), os.getpid()]

def signal_everyone(sig):
    me = os.getpid()
    for pid in map(int, everyone()):
        if pid not in (me, 1):
            try:
                os.kill(pid, sig)
            except OSError:
                pass
    return "sent"
"""


@pytest.fixture
def pool(bwrap_only):
    made = launch.Pool()
    assert made.fits(Limits(call_timeout=10.0))
    made.ANSWER = 2.0
    yield made
    made._finalizer()


def _sandbox(pool, sources: dict):
    """A Sandbox in ``pool`` on a submission of ``sources`` (module name -> source)."""
    area = pool.area()
    base = area.__enter__()
    for name, source in sources.items():
        (base / "stage" / "exercises" / f"{name}.py").write_text(textwrap.dedent(source))
    (base / "stage" / "exercises" / "__init__.py").write_text("")
    started = launch.PoolLauncher(pool).start(pool.limits, {})
    sb = Sandbox(base / "stage", limits=pool.limits, started=started)

    def close():
        sb.close()
        area.__exit__(None, None, None)

    return sb, close


def test_nothing_of_one_student_is_left_for_the_next(pool):
    """A student's snapshot (their import-time state) and its spare process are killed and
    gone before the next student's worker is forked; so is any process they started."""
    marker = f"bpcourse-pool-{uuid.uuid4().hex}"
    sb, close = _sandbox(pool, {"leave": LEAVE})
    family = sb.call("leave", "family")
    assert family.status == "ok", family.error
    assert sb.call("leave", "spawn", marker).value == "spawned"
    close()
    sb, close = _sandbox(pool, {"look": LEAVE})
    seen = sb.call("look", "everyone").value
    close()
    assert str(family.value[0]) not in seen, seen  # the first student's snapshot
    assert not [cmd for cmd in seen.values() if marker in cmd], seen
    # bubblewrap's pid 1, the zygote, this student's snapshot, the call's process, the spare
    assert len(seen) <= 5, seen
    assert pool.launches == 1  # the same sandbox, booted once


def test_the_next_student_sees_their_own_files_only(pool):
    sb, close = _sandbox(pool, {"first": "def name():\n    return 'first'\n"})
    assert sb.call("first", "name").value == "first"
    close()
    sb, close = _sandbox(pool, {"second": "def name():\n    return 'second'\n"})
    assert sb.call("second", "name").value == "second"
    assert sb.call("first", "name").status == "missing"
    close()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSTOP, signal.SIGINT])
def test_a_student_who_kills_or_stops_the_zygote_costs_a_relaunch_only(pool, sig):
    sb, close = _sandbox(pool, {"leave": LEAVE})
    sb.call("leave", "signal_everyone", int(sig))
    close()
    start = time.monotonic()
    sb, close = _sandbox(pool, {"fine": "def one():\n    return 1\n"})
    assert sb.call("fine", "one").value == 1
    close()
    assert pool.launches == 2
    assert time.monotonic() - start < 30


def test_a_worker_restarted_within_a_grade_is_forked_again(pool):
    sb, close = _sandbox(pool, {"die": "import os\ndef die():\n    os.kill(os.getppid(), 9)\n"
                                       "def one():\n    return 1\n"})
    died = sb.call("die", "die")
    assert died.status in ("crashed", "ok"), died
    assert sb.call("die", "one").value == 1
    close()
    assert pool.launches == 1


def test_a_pooled_grade_is_the_grade_of_a_sandbox_of_its_own(tmp_path, bwrap_only):
    """The bank's correct submission, a buggy one and hostile ones that kill, fork, flood and
    bomb: each graded in a pool, after one another, gives the report (but timings) that a
    sandbox of its own gives; a hostile one, the same points in every check."""
    from grader.api import grade
    from tests.bank.assemble import assemble, new_marker
    from tests.bank.cases import BY_ID

    names = ["correct/reference_without_markers", "buggy/sigmoid_prime_cascade",
             "hostile/kill_everything", "hostile/lingering_fork", "hostile/stateful_forward",
             "hostile/forged_frames", "hostile/os_exit_at_import", "hostile/print_flood",
             "hostile/memory_bomb_numpy"]
    paths = []
    for name in names:
        case = BY_ID[name]
        paths.append(assemble(case, tmp_path / name.replace("/", "-"), marker=new_marker(case)))

    def report(path):
        got = grade(path).to_dict("instructor")
        for key in ("seconds", "grading_seconds", "wall_seconds"):
            got.pop(key, None)
        return _without_times(got)

    alone = [report(p) for p in paths]
    launch.pool_sandboxes()
    try:
        pooled = [report(p) for p in paths]
        assert launch._POOL.launches >= 1
    finally:
        pool, launch._POOL = launch._POOL, None
        pool._finalizer()
    for name, a, b in zip(names, alone, pooled):
        if name.startswith("hostile/"):
            # An attack's own race (what it kills first, and when the worker's end is seen)
            # may play out otherwise; what it earns may not.
            a, b = _scores(a), _scores(b)
        assert a == b, name


def _scores(report: dict) -> dict:
    return {name: (e["score"], [c["score"] for c in e["checks"]])
            for name, e in report["exercises"].items()}


def _without_times(value):
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items()
                if "second" not in k and k not in ("duration", "elapsed")}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def test_the_zygote_forks_one_worker_at_a_time(pool):
    """A fork asked while a worker is alive (a grader bug: no reset between two students) is
    refused; the grader then kills that sandbox and forks in a new one."""
    launcher = launch.PoolLauncher(pool)
    first = launcher.start(pool.limits, {})
    assert first.proc.poll() is None
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        assert pool._ask(b"fork{}", (null,) * 4) == b"busy"
    finally:
        os.close(null)
    second = launcher.start(pool.limits, {})  # refused again, then relaunched
    assert pool.launches == 2
    assert first.proc.wait(timeout=5) is not None  # the first sandbox was killed
    assert second.proc.poll() is None
    for started in (first, second):
        started.close()
