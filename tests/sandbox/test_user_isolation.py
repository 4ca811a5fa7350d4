"""The ``user`` isolation (no namespaces: a container whose seccomp profile forbids them):
the worker runs as a uid of its own, confined by Landlock. Each test tries what a hostile
student would, as test_isolation.py does for bubblewrap.

Here the repository is world-readable (mode 755): only Landlock keeps the reference out of
reach, which is what these tests show. Cost: ~5 s."""
from __future__ import annotations

import os
import signal
import socket
import uuid
from pathlib import Path

import pytest

import grader
from grader.sandbox import landlock
from tests.sandbox.conftest import _factory, require_user_mode

REPO = Path(grader.__file__).resolve().parents[1]


@pytest.fixture
def user_sandbox(worker_runtime):
    require_user_mode(worker_runtime)
    make, created = _factory("user")
    yield make
    for s in created:
        s.close()


ATTEMPTS = """
import os, sys

def attempt(fn):
    try:
        return repr(fn())[:2000]
    except BaseException as exc:  # noqa
        return "DENIED " + type(exc).__name__

def snoop(repo, host_tmp):
    return {
        "import solutions": attempt(lambda: __import__("solutions").__file__),
        "import grader": attempt(lambda: __import__("grader").__file__),
        "read reference": attempt(lambda: open(repo + "/solutions/activations.py").read()),
        "read grader": attempt(lambda: open(repo + "/grader/secret.py").read()),
        "list repo": attempt(lambda: os.listdir(repo)),
        "read host tmp": attempt(lambda: open(host_tmp + "/host-secret.txt").read()),
        "list /root": attempt(lambda: os.listdir("/root")),
        "read /etc/passwd": attempt(lambda: open("/etc/passwd").read()),
        "parent environ": attempt(lambda: open(f"/proc/{os.getppid()}/environ").read()),
        "grader environ": attempt(lambda: open(f"/proc/{GRADER}/environ").read()),
        "grader cwd": attempt(lambda: os.listdir(f"/proc/{GRADER}/cwd/")),
    }

def who():
    status = dict(line.split(":\\t", 1) for line in
                  open("/proc/self/status").read().splitlines() if ":\\t" in line)
    return {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(),
            "caps": status["CapEff"].strip(), "bounding": status["CapBnd"].strip(),
            "nnp": status["NoNewPrivs"].strip(), "env": sorted(os.environ)}

def write_everywhere(paths):
    done = {}
    for path in paths:
        try:
            with open(path, "a") as f:
                f.write("x")
            done[path] = "written"
        except OSError as exc:
            done[path] = type(exc).__name__
    with open("mine.txt", "w") as f:  # its own folder is writable
        f.write("ok")
    return done

def connect(port):
    import socket
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).sendall(b"leak")
        return "connected"
    except OSError as exc:
        return type(exc).__name__

def kill_everything():
    import signal
    for target in [GRADER, os.getppid(), 1, -1]:
        try:
            os.kill(target, signal.SIGKILL)
        except OSError:
            pass
    return "done"

def sysv_ipc():
    # a shared memory segment, a semaphore set and a message queue: none dies with its
    # creator; the segment's owner is given away to root (IPC_SET keeps the creator's uid)
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    shm = libc.shmget(0, 1 << 20, 0o1600)  # IPC_PRIVATE, IPC_CREAT | 0600
    sem = libc.semget(0, 1, 0o1600)
    msg = libc.msgget(0, 0o1600)
    buf = ctypes.create_string_buffer(256)  # struct shmid_ds: ipc_perm first, uid at 4
    libc.shmctl(shm, 2, buf)  # IPC_STAT
    ctypes.c_uint32.from_buffer(buf, 4).value = 0
    gave = libc.shmctl(shm, 1, buf)  # IPC_SET
    return [shm, sem, msg, gave]

def ok():
    return "alive"
"""


@pytest.fixture
def attacker(make_submission):
    return make_submission(attack=f"GRADER = {os.getpid()}\n" + ATTEMPTS)


def test_student_code_cannot_read_the_reference_the_grader_or_the_host(attacker,
                                                                      user_sandbox, tmp_path):
    (tmp_path / "host-secret.txt").write_text("secret")
    sb = user_sandbox(attacker)
    found = sb.call("attack", "snoop", str(REPO), str(tmp_path)).value
    assert (REPO / "solutions" / "activations.py").stat().st_mode & 0o004  # world-readable
    for name, value in found.items():
        assert value.startswith("DENIED"), (name, value)
    assert "unprivileged user" in sb.isolation


def test_student_code_runs_as_an_unprivileged_uid_of_its_own(attacker, user_sandbox,
                                                             monkeypatch):
    monkeypatch.setenv("BPCOURSE_TEST_SECRET", "do-not-leak")
    first = user_sandbox(attacker).call("attack", "who").value
    second = user_sandbox(attacker).call("attack", "who").value
    assert first["uid"] not in (0, 65534) and first["uid"] != second["uid"]
    assert first["gid"] == first["uid"] and first["groups"] == []
    assert int(first["caps"], 16) == 0 and int(first["bounding"], 16) == 0
    assert first["nnp"] == "1"
    assert "BPCOURSE_TEST_SECRET" not in first["env"] and "BPCOURSE_SECRET" not in first["env"]


def test_student_code_writes_only_its_own_folder(attacker, user_sandbox, tmp_path):
    name = f"bpcourse-marker-{uuid.uuid4().hex}"
    targets = [f"/tmp/{name}", f"/dev/shm/{name}", f"/var/tmp/{name}", f"/{name}",
               str(attacker / "exercises" / "attack.py"), str(tmp_path / "escaped"),
               str(REPO / name), "/root/escaped"]
    sb = user_sandbox(attacker)
    done = sb.call("attack", "write_everywhere", targets).value
    assert "written" not in done.values(), done
    scratch = Path(sb._launcher.scratch)
    assert (scratch / "work").is_dir()
    sb.close()
    assert not scratch.exists()
    for path in targets:
        assert not Path(path).exists() or path == str(attacker / "exercises" / "attack.py")
    assert "GRADER" in (attacker / "exercises" / "attack.py").read_text()


def test_student_code_has_no_tcp(attacker, user_sandbox):
    if landlock.abi() < 4:
        pytest.skip("Landlock before ABI 4 does not restrict TCP")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.3)
        r = user_sandbox(attacker).call("attack", "connect", server.getsockname()[1])
        assert r.ok and r.value != "connected"
        with pytest.raises(socket.timeout):
            server.accept()


def test_student_code_cannot_signal_the_grader_and_leaves_no_process(attacker, user_sandbox):
    sb = user_sandbox(attacker)
    sb.call("attack", "kill_everything")
    os.kill(os.getpid(), 0)  # still here
    assert sb.call("attack", "ok").value == "alive"
    launcher = sb._launcher
    assert launcher._pids()
    sb.close()
    assert not launcher._pids()


def _ipc_ids(kind: str, column: str) -> set[int]:
    lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
    at = lines[0].split().index(column)
    return {int(line.split()[at]) for line in lines[1:]}


def test_sysv_ipc_objects_of_student_code_are_removed(attacker, user_sandbox):
    # no IPC namespace in this mode: without a cleanup they outlive the sandbox, holding
    # memory no rlimit of the sandbox counts
    sb = user_sandbox(attacker)
    shm, sem, msg, gave = sb.call("attack", "sysv_ipc").value
    assert min(shm, sem, msg) >= 0 and gave == 0
    assert shm in _ipc_ids("shm", "shmid") and sem in _ipc_ids("sem", "semid")
    assert msg in _ipc_ids("msg", "msqid")
    sb.close()
    assert shm not in _ipc_ids("shm", "shmid")
    assert sem not in _ipc_ids("sem", "semid") and msg not in _ipc_ids("msg", "msqid")


def test_a_grader_file_readable_by_others_without_landlock_is_refused(monkeypatch,
                                                                     worker_runtime):
    require_user_mode(worker_runtime)
    from grader.sandbox.launch import SandboxUnavailable, UserLauncher

    monkeypatch.setattr(landlock, "abi", lambda: 0)
    with pytest.raises(SandboxUnavailable, match="readable by other users"):
        UserLauncher(".", None)
