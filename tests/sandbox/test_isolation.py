"""Can student code escape? Each test tries, in the worker, what a hostile student would.

All but the last test need bubblewrap: without it the worker runs as the grader's own user,
which contains mistakes, not an attacker (the rlimits fallback says so in ``isolation``).
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import sys
import time
import uuid
from pathlib import Path

import pytest

import grader

REPO = Path(grader.__file__).resolve().parents[1]

SNOOP = r"""
import gc, inspect, os, sys

def attempt(found, name, fn):
    try:
        found[name] = repr(fn())[:4000]
    except BaseException as exc:  # noqa
        found[name] = "DENIED " + type(exc).__name__

def frames():
    out = []
    f = sys._getframe(3)          # the worker's frames above snoop(), attempt(), frames()
    while f is not None:
        out.append((f.f_code.co_filename, sorted(f.f_locals), repr(f.f_locals)[:2000],
                    sorted(k for k in f.f_globals if not k.startswith("__"))))
        f = f.f_back
    return out

def every_cwd():
    out = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                out[p] = (os.readlink(f"/proc/{p}/cwd"), open(f"/proc/{p}/cmdline", "rb").read())
            except OSError as exc:
                out[p] = type(exc).__name__
    return out

def snoop():
    # The paths come from the source, not from arguments: arguments are legitimately on
    # the worker's stack.
    repo, venv, host_tmp = REPO_PATH, VENV_PATH, HOST_TMP
    found = {}
    attempt(found, "import solutions", lambda: __import__("solutions").__file__)
    attempt(found, "import grader", lambda: __import__("grader").__file__)
    attempt(found, "read reference", lambda: open(repo + "/solutions/activations.py").read())
    attempt(found, "read grader", lambda: open(repo + "/grader/sandbox/host.py").read())
    attempt(found, "list repo", lambda: os.listdir(repo))
    attempt(found, "list venv", lambda: os.listdir(venv))
    attempt(found, "list host tmp", lambda: os.listdir(host_tmp))
    attempt(found, "parent cwd", lambda: os.readlink(f"/proc/{os.getppid()}/cwd"))
    attempt(found, "parent cwd listing", lambda: os.listdir(f"/proc/{os.getppid()}/cwd/"))
    attempt(found, "parent environ", lambda: open(f"/proc/{os.getppid()}/environ").read())
    attempt(found, "pid 1 root", lambda: os.listdir("/proc/1/root/"))
    attempt(found, "every cwd", every_cwd)
    attempt(found, "frames", frames)
    attempt(found, "inspect", lambda: [fi.filename for fi in inspect.stack()])
    attempt(found, "own cmdline", lambda: open("/proc/self/cmdline", "rb").read())
    attempt(found, "own environ", lambda: dict(os.environ))
    attempt(found, "mounts", lambda: open("/proc/self/mountinfo").read())
    attempt(found, "site-packages", lambda: os.listdir(
        f"{sys.base_prefix}/lib/python{sys.version_info[0]}.{sys.version_info[1]}/site-packages"))
    attempt(found, "list /root", lambda: os.listdir("/root"))
    attempt(found, "list /home", lambda: os.listdir("/home"))
    attempt(found, "list /etc", lambda: os.listdir("/etc"))
    attempt(found, "modules", lambda: sorted(m for m in sys.modules if not m.startswith(
        ("numpy", "exercises", "_", "encodings"))))
    found["/"] = sorted(os.listdir("/"))
    return found
"""


def test_student_code_cannot_reach_the_reference_or_the_grader(make_submission,
                                                               bwrap_sandbox, tmp_path):
    paths = (f"REPO_PATH = {str(REPO)!r}\nVENV_PATH = {os.path.realpath(sys.prefix)!r}\n"
             f"HOST_TMP = {str(tmp_path)!r}\n")
    root = make_submission(snoop=paths + SNOOP)
    (tmp_path / "host-secret.txt").write_text("secret")
    r = bwrap_sandbox(root).call("snoop", "snoop")
    assert r.ok, r.error
    found = r.value
    denied = ["import solutions", "import grader", "read reference", "read grader",
              "list repo", "list host tmp", "parent cwd", "parent cwd listing",
              "parent environ", "pid 1 root", "list /home", "list /etc"]
    if os.path.realpath(sys.prefix) != os.path.realpath(sys.base_prefix):
        denied.append("list venv")  # without a virtualenv it is the interpreter's own folder
    for name in denied:
        assert found[name].startswith("DENIED"), (name, found[name])
    assert found["site-packages"] == "[]"  # the interpreter's own installs are hidden
    assert found["list /root"] == "['.pyenv']" or found["list /root"].startswith("DENIED") \
        or "root" not in str(REPO)
    assert set(found["/"]) <= {"dev", "proc", "tmp", "usr", "lib", "lib64", "lib32", "bin",
                               "root", "sandbox", "submission", "opt", "home"} - {"home"}
    # /proc/self/mountinfo names the source of each bind: numpy's folder is the one host
    # path the sandbox shows (worker.py is copied in, bwrap's options come through a pipe).
    mounts = [line for line in found.pop("mounts").splitlines()
              if " /sandbox/pylib/" not in line]
    everything = repr(found) + "\n".join(mounts)
    reference = (REPO / "solutions" / "activations.py").read_text()
    body_lines = [line.strip() for line in reference.splitlines()
                  if line.strip().startswith("return")]
    assert body_lines and not any(line in everything for line in body_lines)
    secrets = [str(REPO), str(tmp_path), "host-secret", "pytest", "site-packages/numpy"]
    if os.path.realpath(sys.prefix) != os.path.realpath(sys.base_prefix):
        secrets.append(os.path.realpath(sys.prefix))  # else: the interpreter, bound in place
    for secret in secrets:
        assert secret not in everything, secret


def test_student_code_cannot_signal_the_grader(make_submission, bwrap_sandbox):
    root = make_submission(killer="""
        import os, signal
        def kill_everything():
            seen = {}
            for p in os.listdir("/proc"):
                if p.isdigit():
                    try:
                        seen[p] = open(f"/proc/{p}/cmdline", "rb").read().decode(errors="replace")
                    except OSError:
                        pass
            for target in [os.getppid(), -1, 1] + sorted(map(int, seen)):
                if target != os.getpid():
                    try:
                        os.kill(target, signal.SIGKILL)
                    except OSError:
                        pass
            return seen
        def ok():
            return "alive"
    """)
    sb = bwrap_sandbox(root)
    r = sb.call("killer", "kill_everything")
    assert r.status in ("ok", "crashed")
    if r.ok:
        assert str(os.getpid()) not in r.value
        assert not any("pytest" in cmd for cmd in r.value.values())
        # only the sandbox's own processes are visible: bubblewrap's pid 1, the worker, this
        # call's process and the next call's (forked ahead, waiting)
        assert len(r.value) <= 4
    os.kill(os.getpid(), 0)  # still here
    assert sb.call("killer", "ok").value == "alive"


def test_student_code_has_no_network(make_submission, bwrap_sandbox):
    root = make_submission(net="""
        import socket
        def connect(port):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).sendall(b"leak")
                return "connected"
            except OSError as exc:
                return type(exc).__name__
        def interfaces():
            try:
                return [name for _, name in socket.if_nameindex()]
            except OSError as exc:  # the worker's seccomp filter: AF_UNIX sockets only
                return type(exc).__name__
    """)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.3)
        sb = bwrap_sandbox(root)
        r = sb.call("net", "connect", server.getsockname()[1])
        assert r.ok and r.value != "connected"
        with pytest.raises(socket.timeout):
            server.accept()
    assert sb.call("net", "interfaces").value in (["lo"], "PermissionError")


def test_student_code_runs_as_nobody_with_no_privileges_or_environment(make_submission,
                                                                      bwrap_sandbox,
                                                                      monkeypatch):
    monkeypatch.setenv("BPCOURSE_TEST_SECRET", "do-not-leak")
    root = make_submission(who="""
        import os
        def who():
            status = dict(line.split(":\\t", 1) for line in
                          open("/proc/self/status").read().splitlines() if ":\\t" in line)
            return {"uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(),
                    "groups": os.getgroups(), "caps": status["CapEff"].strip(),
                    "bounding": status["CapBnd"].strip(), "nnp": status["NoNewPrivs"].strip(),
                    "env": dict(os.environ), "cwd": os.getcwd()}
    """)
    info = bwrap_sandbox(root).call("who", "who").value
    assert (info["uid"], info["euid"], info["gid"], info["groups"]) == (65534, 65534, 65534, [])
    assert int(info["caps"], 16) == 0 and int(info["bounding"], 16) == 0 and info["nnp"] == "1"
    assert set(info["env"]) <= {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "PWD"}
    assert info["env"]["OPENBLAS_NUM_THREADS"] == "1"
    assert info["cwd"] == "/tmp"


def snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            if p.is_file() else "dir" for p in sorted(folder.rglob("*"))}


def test_student_code_can_write_nowhere(make_submission, bwrap_sandbox, tmp_path):
    name = f"bpcourse-marker-{uuid.uuid4().hex}"
    root = make_submission(writer=f"""
        import os, sys
        def write_everywhere(host_tmp):
            done = {{}}
            for path in ["/tmp/{name}", "/dev/shm/{name}", "/{name}", "/dev/{name}",
                         "/submission/exercises/injected.py",
                         "/submission/exercises/writer.py", "/sandbox/worker.py",
                         host_tmp + "/escaped", "/root/escaped", "/usr/lib/escaped",
                         sys.executable]:
                try:
                    with open(path, "a") as f:
                        f.write("x")
                    done[path] = "written"
                except OSError as exc:
                    done[path] = type(exc).__name__
            return done
    """)
    before = snapshot(root)
    worker_file = Path(grader.__file__).parent / "sandbox" / "worker.py"
    worker_before = worker_file.read_bytes()
    sb = bwrap_sandbox(root)
    done = sb.call("writer", "write_everywhere", str(tmp_path)).value
    assert "written" not in done.values(), done  # not even /tmp: no file outlives a call
    sb.close()
    assert not (Path("/tmp") / name).exists() and not (Path("/dev/shm") / name).exists()
    assert not (tmp_path / "escaped").exists()
    assert snapshot(root) == before
    assert worker_file.read_bytes() == worker_before


DAEMON = """
import os, sys, time

def spawn(marker):
    r, w = os.pipe()
    os.set_inheritable(w, True)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c",
                                      "import os, time; os.write(int(os.sys.argv[1]), b'up');"
                                      "time.sleep(300)", str(w), marker])
        os._exit(0)
    os.waitpid(pid, 0)
    return "spawned" if os.read(r, 2) == b"up" else "not started"

def spawn_and_hang(marker):
    spawn(marker)
    time.sleep(100)
"""


def marked(marker: str) -> list[int]:
    found = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if marker.encode() in Path(f"/proc/{p}/cmdline").read_bytes():
                    found.append(int(p))
            except OSError:
                pass
    return found


def wait_until(condition, timeout=5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.fixture
def marker():
    m = f"bpcourse-daemon-{uuid.uuid4().hex}"
    yield m
    for pid in marked(m):  # never leave a stray sleeper behind, even when a test fails
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_no_process_of_a_call_outlives_it(make_submission, sandbox, marker):
    sb = sandbox(make_submission(daemon=DAEMON))
    assert sb.call("daemon", "spawn", marker).value == "spawned"  # a daemon was running
    assert wait_until(lambda: not marked(marker), timeout=2.0)  # killed with its call
    assert sb.call("daemon", "spawn", marker).value == "spawned"
    sb.close()
    assert marked(marker) == []


def test_no_process_started_at_import_outlives_it(make_submission, sandbox, marker):
    sb = sandbox(make_submission(daemon=DAEMON + f"\nspawn({marker!r})\n"))
    assert sb.call("daemon", "spawn", marker).value == "spawned"
    assert wait_until(lambda: not marked(marker), timeout=2.0)


FORK_BOMB = """
import os, sys, time

def bomb(marker):
    count = 0
    try:
        while count < 400:
            if os.fork() == 0:
                os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(300)",
                                          marker])
            count += 1
    except OSError as exc:
        return count, type(exc).__name__
    return count, "no limit"
"""


def test_a_fork_bomb_hits_the_process_limit_and_dies_with_its_call(make_submission,
                                                                   bwrap_sandbox, marker):
    sb = bwrap_sandbox(make_submission(bomb=FORK_BOMB), processes=64, call_timeout=20)
    r = sb.call("bomb", "bomb", marker)
    assert r.ok, r.error
    count, stopped_by = r.value
    assert stopped_by == "BlockingIOError" and 10 < count < 64
    assert wait_until(lambda: not marked(marker), timeout=2.0)
    assert sb.call("bomb", "bomb", marker).value[1] == "BlockingIOError"  # not a stale limit


def test_a_timeout_kills_the_children_too(make_submission, sandbox, marker):
    sb = sandbox(make_submission(daemon=DAEMON), call_timeout=0.5)
    r = sb.call("daemon", "spawn_and_hang", marker)
    assert r.status == "timeout"
    # The grader hears of the timeout once every process of the call has a SIGKILL pending
    # (none runs another instruction); their exit follows within moments, not at once.
    assert wait_until(lambda: not marked(marker), timeout=2.0)


def test_sandboxes_that_run_at_once_have_uids_of_their_own(make_submission, bwrap_only):
    """RLIMIT_NPROC counts every process of a uid: sandboxes graded at the same time (a class in
    parallel) must not share one, or one submission's fork bomb leaves the others unable to
    fork. Here the first sandbox's call holds every process its uid may have while the
    second forks freely; a closed sandbox gives its uid back."""
    import threading
    from dataclasses import replace

    from grader.sandbox import Callback, Sandbox

    root = make_submission(ids="""
        import os, time

        def uid():
            return os.getuid()

        def hog(n, saturated):
            kids = 0
            try:
                for _ in range(n):
                    pid = os.fork()
                    if pid == 0:
                        time.sleep(60)
                        os._exit(0)
                    kids += 1
            except OSError:
                pass
            saturated(kids)  # returns when the grader's side has done its part
            return kids

        def fork_once():
            pid = os.fork()
            if pid == 0:
                os._exit(0)
            os.waitpid(pid, 0)
            return True
    """)
    from tests.sandbox.conftest import FAST

    limits = replace(FAST, processes=16, call_timeout=60.0)
    full, done, held = threading.Event(), threading.Event(), {}

    def saturated(kids):
        full.set()
        done.wait(60)

    with Sandbox(root, limits=limits, isolation="bubblewrap") as first, \
            Sandbox(root, limits=limits, isolation="bubblewrap") as second:
        uids = first.call("ids", "uid").value, second.call("ids", "uid").value
        assert uids[0] != uids[1] and 0 not in uids
        hog = threading.Thread(
            target=lambda: held.update(r=first.call("ids", "hog", 200, Callback(saturated))))
        hog.start()
        try:
            assert full.wait(60)  # the first sandbox's uid is out of processes now
            for _ in range(5):
                r = second.call("ids", "fork_once")
                assert r.ok and r.value is True, r.error
        finally:
            done.set()
            hog.join()
        assert 0 < held["r"].value < 200, held["r"]  # it did hit its own limit
    with Sandbox(root, limits=limits, isolation="bubblewrap") as again:
        assert again.call("ids", "uid").value == uids[0]


KERNEL_STATE = r"""
import ctypes, os, resource, socket

PORT = 40000 + os.getuid() % 20000  # not one a test run on this machine uses otherwise

libc = ctypes.CDLL(None, use_errno=True)
SYS = {"x86_64": (248, 250, 302), "aarch64": (217, 219, 261)}[os.uname().machine]

def _errno(ret):
    return 0 if ret >= 0 else ctypes.get_errno()

def leave(word):
    # What one call can try to leave for the next: a key in the user's key ring (per uid,
    # not per process), and attributes of the snapshot (our parent) that its next fork
    # inherits: a lower soft limit, a nicer priority, a smaller CPU set.
    add_key, keyctl, prlimit64 = SYS
    tried = {}
    tried["add_key"] = _errno(libc.syscall(add_key, b"user", b"bp", word.encode(),
                                           len(word), -4))  # KEY_SPEC_USER_KEYRING
    parent = os.getppid()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    soft = soft if soft >= 0 else 1 << 20  # RLIM_INFINITY reads -1
    new = (ctypes.c_ulong * 2)(soft - 7, hard if hard >= 0 else (1 << 64) - 1)
    tried["prlimit"] = _errno(libc.syscall(prlimit64, parent, 7, new, None))  # RLIMIT_NOFILE
    try:
        os.setpriority(os.PRIO_PROCESS, parent, 17)
        tried["setpriority"] = 0
    except OSError as exc:
        tried["setpriority"] = exc.errno
    tried["setpriority user"] = _errno(libc.setpriority(2, ctypes.c_uint(os.getuid()), 18))
    try:
        os.sched_setaffinity(parent, {min(os.sched_getaffinity(0))})
        tried["affinity"] = 0
    except OSError as exc:
        tried["affinity"] = exc.errno
    # A TCP connection closed on loopback stays in TIME_WAIT (its ports in /proc/net/tcp).
    try:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", PORT))
        server.listen(1)
        client = socket.create_connection(("127.0.0.1", PORT))
        server.accept()[0].close()
        client.close()
        tried["tcp"] = 0
    except OSError as exc:
        tried["tcp"] = exc.errno
    # What a process may still do to itself, and AF_UNIX sockets:
    a, b = socket.socketpair()
    a.sendall(b"unix")
    assert b.recv(4) == b"unix"
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft - 1, hard))
    nice = os.getpriority(os.PRIO_PROCESS, 0)
    os.setpriority(os.PRIO_PROCESS, 0, min(nice + 1, 19))  # nicer: always allowed
    os.sched_setaffinity(0, os.sched_getaffinity(0))
    return (tried, os.getpriority(os.PRIO_PROCESS, 0) - min(nice + 1, 19),
            resource.getrlimit(resource.RLIMIT_NOFILE)[0] - soft)

def find():
    add_key, keyctl, prlimit64 = SYS
    key = libc.syscall(keyctl, 10, -4, b"user", b"bp", 0)  # KEYCTL_SEARCH
    found = None
    if key >= 0:
        buf = ctypes.create_string_buffer(64)
        n = libc.syscall(keyctl, 11, key, buf, 64)  # KEYCTL_READ
        found = buf.raw[:max(n, 0)].decode()
    waiting = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                for line in f.read().splitlines()[1:]:
                    ports = [int(a.split(":")[1], 16) for a in line.split()[1:3]]
                    if PORT in ports:
                        waiting.append(line.split()[3])
        except OSError:
            pass
    return (found, resource.getrlimit(resource.RLIMIT_NOFILE)[0],
            os.getpriority(os.PRIO_PROCESS, 0), len(os.sched_getaffinity(0)), waiting)
"""


def test_calls_share_no_state_through_the_kernel(make_submission, sandbox):
    """Processes of one uid share, outside every namespace, the user's key ring, and may set
    each other's limits, priority and CPU set, which a fork inherits; a TCP connection closed
    on loopback outlives its process in TIME_WAIT, its ports listed in /proc/net/tcp: a call
    could leave its point for the next (a backward for the forward that checks it), or for the
    next student graded under the same uid. The worker's seccomp filter denies the key ring
    calls, those setters on any process but the caller, and every socket but AF_UNIX; a
    process still sets its own attributes."""
    sb = sandbox(make_submission(kstate=KERNEL_STATE))
    before = sb.call("kstate", "find")
    assert before.status == "ok", before.error
    left = sb.call("kstate", "leave", "backward was here")
    assert left.status == "ok", left.error
    tried, own_priority, own_limit = left.value
    assert tried == {"add_key": 1, "prlimit": 1, "setpriority": 1, "setpriority user": 1,
                     "affinity": 1, "tcp": 1}, tried  # EPERM each
    assert own_priority == 0 and own_limit == -1  # on itself, allowed
    after = sb.call("kstate", "find")
    assert after.status == "ok", after.error
    assert after.value == before.value
    assert after.value[0] is None
