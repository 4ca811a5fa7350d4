"""The trusted side: start the worker in a sandbox, call student functions, enforce limits.

Nothing here runs student code or unpickles what the worker sends: messages are decoded by
``worker.decode`` (JSON header + raw array bytes, validated). With bubblewrap the worker runs
as uid ``nobody`` in fresh pid/net/ipc/uts namespaces that see only the interpreter, numpy,
the submission (read-only) and a small private /tmp; without it, the same worker runs under
rlimits and a wall-clock deadline, which contains mistakes but not a determined attacker.

A Sandbox is not thread-safe; create it in a thread that outlives it (bubblewrap's
--die-with-parent and the fallback's parent-death signal follow the creating thread).
"""

from __future__ import annotations

import functools
import glob
import json
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox import worker as _wire
from grader.sandbox.worker import WireError, WorkerFunction

__all__ = ["CallResult", "Limits", "Sandbox", "SandboxUnavailable", "WorkerFunction",
           "sandbox_available"]

WORKER_FILE = Path(_wire.__file__).resolve()
NOBODY = 65534
STATUSES = ("ok", "exception", "timeout", "crashed", "import", "missing", "protocol", "skipped")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_MAX_MESSAGE = 2000
_MAX_TB_LINES = 15
_KILL_WAIT = 5.0
_PREFIX_SIZE = _wire.PREFIX.size


@dataclass(frozen=True)
class Limits:
    """Every limit of a sandbox, declared once."""

    call_timeout: float = 5.0  # wall-clock seconds per call
    import_timeout: float = 10.0  # the first call into a module includes importing it
    budget: float = 60.0  # wall-clock seconds for the whole submission, then "skipped"
    memory_bytes: int = 1 << 30  # RLIMIT_AS of the worker
    cpu_seconds: int = 120  # RLIMIT_CPU of each worker process
    output_bytes: int = 64 * 1024  # printed beyond this per call is discarded silently
    max_result_bytes: int = 64 << 20  # a bigger answer is a "protocol" error
    max_restarts: int = 100
    start_timeout: float = 30.0  # for a new worker to boot (numpy import); no function's fault
    file_bytes: int = 16 << 20  # RLIMIT_FSIZE: the largest file the worker may write
    tmp_bytes: int = 64 << 20  # size of the sandbox's private /tmp (bubblewrap)
    processes: int = 256  # RLIMIT_NPROC for uid nobody (bubblewrap)


@dataclass
class CallResult:
    """What came back from one call. ``error`` never contains grader paths."""

    status: str  # one of STATUSES
    value: object = None  # decoded return value when ok
    args_after: tuple | None = None  # positional arguments after the call (return_args=True)
    error: str = ""  # one line, e.g. "ZeroDivisionError: division by zero (network.py, line 12)"
    traceback: str = ""  # student-file frames only, at most 15 lines
    stdout: str = ""  # what the student printed (stdout and stderr) during the call, capped
    seconds: float = 0.0  # wall-clock seconds of the call as seen by the grader
    kwargs_after: dict | None = None  # keyword arguments after the call (return_args=True)
    function_seconds: float | None = None  # time inside the student's function (worker clock)
    warnings: tuple = ()  # distinct warnings the call raised, one line each (at most five)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class SandboxUnavailable(RuntimeError):
    """isolation="bubblewrap" was asked for but cannot work here."""


# ---------------------------------------------------------------------------------------------
# What the sandbox sees
# ---------------------------------------------------------------------------------------------


def _interpreter() -> tuple[str, str]:
    """(real interpreter path, real base prefix) of the running Python."""
    base = os.path.realpath(sys.base_prefix)
    exe = os.path.realpath(sys.executable)
    if not exe.startswith(base + os.sep):
        ver = f"{sys.version_info[0]}.{sys.version_info[1]}"
        for name in (f"python{ver}", f"python{sys.version_info[0]}", "python"):
            candidate = os.path.realpath(os.path.join(base, "bin", name))
            if os.access(candidate, os.X_OK):
                return candidate, base
    return exe, base


def _numpy_dirs() -> list[str]:
    import numpy

    pkg = os.path.dirname(os.path.realpath(numpy.__file__))
    dirs = [pkg]
    libs = os.path.join(os.path.dirname(pkg), "numpy.libs")
    if os.path.isdir(libs):
        dirs.append(os.path.realpath(libs))
    return dirs


def _elf_interp(path: str) -> str | None:
    """The program interpreter (dynamic loader) named in an ELF file, if any."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if head[:4] != b"\x7fELF" or head[4] != 2:  # 64-bit only
                return None
            end = "<" if head[5] == 1 else ">"
            phoff, = struct.unpack_from(end + "Q", head, 32)
            phentsize, phnum = struct.unpack_from(end + "HH", head, 54)
            for i in range(phnum):
                f.seek(phoff + i * phentsize)
                ptype, _flags, offset, _va, _pa, filesz = struct.unpack(end + "IIQQQQ",
                                                                        f.read(40))
                if ptype == 3:  # PT_INTERP
                    f.seek(offset)
                    return f.read(filesz).rstrip(b"\0").decode()
    except (OSError, struct.error, UnicodeDecodeError):
        return None
    return None


def _mapped_lib_dirs() -> set[str]:
    """Folders of the C library and dynamic loader this process uses."""
    dirs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.rstrip("\n").split(None, 5)[-1]
                name = os.path.basename(path)
                if name.startswith(("libc.so", "libc-", "ld-linux", "ld-musl", "libm.so")):
                    dirs.add(os.path.dirname(path))
    except OSError:
        pass
    return dirs


class _Mounts:
    """bwrap arguments that recreate a few host paths, read-only, in an empty root."""

    def __init__(self):
        self.args: list[str] = []
        self.dirs: set[str] = {"/"}
        self.links: set[str] = set()
        self.binds: dict[str, str] = {}

    def dir(self, path: str) -> None:
        if path in self.dirs:
            return
        self.dir(os.path.dirname(path))
        self.dirs.add(path)
        self.args += ["--perms", "0755", "--dir", path]

    def link(self, path: str) -> None:
        if path not in self.links:
            self.links.add(path)
            self.dir(os.path.dirname(path))
            self.args += ["--symlink", os.readlink(path), path]

    def expose(self, path: str) -> None:
        """Make ``path`` resolve inside as outside: symlinked components become symlinks."""
        parts = os.path.abspath(path).strip("/").split("/")
        cur = ""
        for i, comp in enumerate(parts):
            nxt = f"{cur}/{comp}"
            if os.path.islink(nxt):
                self.link(nxt)
                return self.expose(os.path.join(os.path.realpath(nxt), *parts[i + 1:]))
            cur = nxt
        if os.path.exists(cur):
            self.binds[cur] = cur

    def expose_file(self, path: str) -> None:
        """Expose a file's folder and, hop by hop, every symlink it resolves through."""
        for _ in range(16):
            self.expose(os.path.dirname(path))
            if not os.path.islink(path):
                return
            path = os.path.normpath(os.path.join(os.path.dirname(path), os.readlink(path)))

    def bind(self, src: str, dest: str) -> None:
        self.binds[dest] = src

    def finish(self) -> list[str]:
        args = list(self.args)
        done: list[str] = []
        for dest in sorted(self.binds, key=lambda p: (p.count("/"), p)):
            if any(dest == d or dest.startswith(d + "/") for d in done):
                continue  # already visible through a parent bind
            parent = os.path.dirname(dest)
            extra = _Mounts()
            extra.dirs = set(self.dirs)
            extra.dir(parent)
            self.dirs = extra.dirs
            args += extra.args + ["--ro-bind", self.binds[dest], dest]
            done.append(dest)
        return args


@dataclass(frozen=True)
class _Plan:
    bwrap: str
    setpriv: str
    interpreter: str
    mount_args: tuple
    numpy_dirs: tuple


@functools.lru_cache(maxsize=None)
def _bwrap_plan() -> _Plan | str:
    """The fixed part of the bubblewrap command line, or the reason it cannot work."""
    if not sys.platform.startswith("linux"):
        return "bubblewrap needs Linux"
    bwrap = shutil.which("bwrap") or ("/usr/bin/bwrap" if os.path.exists("/usr/bin/bwrap")
                                      else None)
    setpriv = shutil.which("setpriv") or ("/usr/bin/setpriv"
                                          if os.path.exists("/usr/bin/setpriv") else None)
    if not bwrap:
        return "bubblewrap (bwrap) is not installed"
    if not setpriv:
        return "setpriv (util-linux) is not installed"
    if os.geteuid() != 0:
        return "bubblewrap sandboxing drops to uid nobody and needs the grader to run as root"
    interpreter, prefix = _interpreter()
    setpriv = os.path.realpath(setpriv)
    m = _Mounts()
    lib_dirs = set(_mapped_lib_dirs())
    for d in list(lib_dirs):
        if d.startswith("/usr/") and os.path.isdir(d[4:]):
            lib_dirs.add(d[4:])  # merged /usr: the loader also looks in /lib/<multiarch>
    for d in sorted(lib_dirs):
        m.expose(d)
    for exe in (interpreter, setpriv):
        interp = _elf_interp(exe)
        if interp:
            m.expose_file(interp)
    m.expose(setpriv)
    m.bind(prefix, prefix)
    np_dirs = _numpy_dirs()
    for d in np_dirs:
        m.bind(d, "/sandbox/pylib/" + os.path.basename(d))
    m.dir("/sandbox")  # worker.py is copied in at each start (see _Worker), not bound
    args = m.finish()
    # Hide everything installed into the interpreter (site-packages may hold `solutions` and
    # `grader`), the repository and the virtualenv if they live under a bound folder.
    hide = []
    for pattern in ("lib*/python*/site-packages", "lib*/python*/dist-packages",
                    "lib*/python3/dist-packages", "local/lib*/python*/site-packages",
                    "local/lib*/python*/dist-packages"):
        hide += glob.glob(os.path.join(prefix, pattern))
    for p in (str(WORKER_FILE.parents[2]), os.path.realpath(sys.prefix)):
        bound = [b for b in m.binds if p == b or p.startswith(b + "/")]
        if bound and os.path.isdir(p) and not any(p == n or n.startswith(p + "/")
                                                  for n in np_dirs):
            hide.append(p)
    for p in sorted(set(hide)):
        if os.path.isdir(p):
            args += ["--tmpfs", p]
    return _Plan(bwrap, setpriv, interpreter, tuple(args), tuple(np_dirs))


def _bwrap_argv(plan: _Plan, limits: Limits, submission: Path, config: dict) -> list[str]:
    argv = [plan.bwrap,
            # --unshare-all minus the user namespace: we start as root and drop to nobody
            # with setpriv, which needs uid 65534 to exist (it is not mapped in a new userns).
            "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--clearenv",
            "--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp",
            "--perms", "1777", "--size", str(limits.tmp_bytes), "--tmpfs", "/dev/shm",
            *plan.mount_args]
    exercises = submission / "exercises"
    if exercises.is_dir():
        argv += ["--perms", "0755", "--dir", "/submission",
                 "--ro-bind", str(exercises.resolve()), "/submission/exercises"]
    else:
        argv += ["--perms", "0755", "--dir", "/submission"]
    for key, value in _worker_env().items():
        argv += ["--setenv", key, value]
    argv += ["--chdir", "/tmp", "--",
             plan.setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
             "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--",
             plan.interpreter, "-I", "-S", "-B", "-X", "utf8", "/sandbox/worker.py",
             json.dumps(config)]
    return argv


def _worker_env() -> dict:
    env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


@functools.lru_cache(maxsize=None)
def _probe() -> str:
    """"" when bubblewrap works here, else why not (tried once per process)."""
    plan = _bwrap_plan()
    if isinstance(plan, str):
        return plan
    argv = [plan.bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--die-with-parent", "--new-session", "--clearenv", "--proc", "/proc",
            "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp", *plan.mount_args,
            "--chdir", "/tmp", "--",
            plan.setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
            "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--",
            plan.interpreter, "-I", "-S", "-c",
            f"import os, sys; sys.exit(os.getuid() != {NOBODY})"]
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=20)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bubblewrap failed to start: {exc}"
    if done.returncode != 0:
        first = done.stdout.decode(errors="replace").strip().splitlines()[:1]
        return f"bubblewrap does not work here: {first[0] if first else done.returncode}"
    return ""


def sandbox_available() -> bool:
    """True when the bubblewrap sandbox works on this machine (checked once, by running it)."""
    return _probe() == ""


# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------


def _proc_table() -> dict[int, int]:
    """pid -> ppid of every process visible in /proc."""
    table = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return table
    for name in names:
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    stat = f.read()
                table[int(name)] = int(stat.rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    return table


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, ppid in _proc_table().items():
        children.setdefault(ppid, []).append(pid)
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _pids_with_env(marker: bytes) -> set[int]:
    found = set()
    uid = os.geteuid()
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for name in names:
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid != uid:
                    continue
                with open(f"/proc/{name}/environ", "rb") as f:
                    if marker in f.read():
                        found.add(int(name))
            except OSError:
                pass
    return found


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


@functools.lru_cache(maxsize=None)
def _worker_source() -> bytes:
    return WORKER_FILE.read_bytes()


def _data_fd(data: bytes) -> int:
    """A file descriptor to read ``data`` from (for bwrap's --args and --ro-bind-data)."""
    try:
        fd = os.memfd_create("bpcourse-sandbox")
    except (AttributeError, OSError):  # pragma: no cover - old kernels
        if len(data) > 60000:
            raise RuntimeError("no memfd_create, and too much data for a pipe") from None
        r, w = os.pipe()
        os.write(w, data)
        os.close(w)
        return r
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _wait_fd(fd: int, timeout: float) -> bool:
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    except (OSError, ValueError):
        return True


class _Timeout(Exception):
    pass


class _Died(Exception):
    pass


class _Output:
    """What the student printed during one call, capped; the rest is read and dropped."""

    def __init__(self, cap: int):
        self.cap = cap
        self.data = bytearray()

    def feed(self, chunk: bytes) -> None:
        room = self.cap - len(self.data)
        if room > 0:
            self.data += chunk[:room]

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


class _Worker:
    """One running worker process: its pipes, its pid(fd)s, and how to kill all of it."""

    def __init__(self, mode: str, limits: Limits, submission: Path, scratch: str | None):
        self.mode = mode
        self.hello = False
        self.dead = False
        self.inner_pidfd: int | None = None
        self.token = os.urandom(8).hex()
        extra_fds: tuple = ()
        req_r, self.req_w = os.pipe()
        self.resp_r, resp_w = os.pipe()
        self.out_r, out_w = os.pipe()
        rlimits = {"RLIMIT_AS": [limits.memory_bytes] * 2,
                   "RLIMIT_CPU": [limits.cpu_seconds, limits.cpu_seconds + 1],
                   "RLIMIT_FSIZE": [limits.file_bytes] * 2,
                   "RLIMIT_CORE": [0, 0]}
        config = {"token": self.token, "req_fd": req_r, "resp_fd": resp_w,
                  "max_result_bytes": limits.max_result_bytes,
                  "output_bytes": limits.output_bytes}
        try:
            if mode == "bubblewrap":
                plan = _bwrap_plan()
                rlimits["RLIMIT_NPROC"] = [limits.processes] * 2
                config.update(root="/submission", pylib="/sandbox/pylib", cwd="/tmp",
                              rlimits=rlimits, subreaper=False)
                # worker.py is copied in (--ro-bind-data) and bwrap's options are read from
                # a file descriptor (--args): inside, /proc/self/mountinfo and every
                # /proc/<pid>/cmdline are readable, and a bind or an argument would show
                # where the grader lives.
                code_fd = _data_fd(_worker_source())
                extra_fds = (code_fd,)
                args = _bwrap_argv(plan, limits, submission, config)
                split = args.index("--")
                args[split:split] = ["--perms", "0444", "--ro-bind-data", str(code_fd),
                                     "/sandbox/worker.py"]
                split = args.index("--")
                args_fd = _data_fd(b"".join(a.encode() + b"\0" for a in args[1:split]))
                extra_fds = (code_fd, args_fd)
                argv = [args[0], "--args", str(args_fd), *args[split:]]
                env, cwd = {}, "/"
            else:
                interpreter, _ = _interpreter()
                config.update(root=str(submission.resolve()), pylib=os.path.join(scratch, "pylib"),
                              cwd=os.path.join(scratch, "work"), rlimits=rlimits, subreaper=True)
                argv = [interpreter, "-I", "-S", "-B", "-X", "utf8", str(WORKER_FILE),
                        json.dumps(config)]
                env = dict(_worker_env(), BPCOURSE_SANDBOX=self.token)
                cwd = config["cwd"]
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w, env=env, cwd=cwd,
                pass_fds=(req_r, resp_w, *extra_fds), start_new_session=True, close_fds=True)
        except BaseException:
            for fd in (self.req_w, self.resp_r, self.out_r):
                os.close(fd)
            raise
        finally:
            for fd in (req_r, resp_w, out_w, *extra_fds):
                os.close(fd)
        self.pidfd = _pidfd(self.proc.pid)
        for fd in (self.req_w, self.resp_r, self.out_r):
            os.set_blocking(fd, False)
        self.read_poll = select.poll()
        self.write_poll = select.poll()
        self.read_poll.register(self.resp_r, select.POLLIN)
        self.write_poll.register(self.req_w, select.POLLOUT)
        for p in (self.read_poll, self.write_poll):
            p.register(self.out_r, select.POLLIN)
            if self.pidfd is not None:
                p.register(self.pidfd, select.POLLIN)
        self.out_open = True
        self.rbuf = bytearray()

    # -- waiting --------------------------------------------------------------------------------
    def drain(self, sink: _Output | None, limit: int = 1 << 20) -> None:
        """Read what is waiting on the student's stdout/stderr pipe (without blocking)."""
        got = 0
        while self.out_open and got < limit:
            try:
                chunk = os.read(self.out_r, 1 << 16)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self.out_open = False
                for p in (self.read_poll, self.write_poll):
                    p.unregister(self.out_r)
                return
            got += len(chunk)
            if sink is not None:
                sink.feed(chunk)

    def wait(self, poll, deadline: float, sink: _Output) -> None:
        """Sleep until a pipe is ready, draining output; _Timeout/_Died when it is over."""
        if self.dead:
            raise _Died
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Timeout
        for fd, _event in poll.poll(max(1, int(remaining * 1000 + 0.999))):
            if fd == self.out_r:
                self.drain(sink)
            elif fd == self.pidfd:
                self.dead = True
        if self.pidfd is None and self.proc.poll() is not None:
            self.dead = True

    def write(self, chunks: list, deadline: float, sink: _Output) -> None:
        try:
            done = os.writev(self.req_w, chunks) if len(chunks) < 512 else 0
        except BlockingIOError:
            done = 0
        except OSError:  # BrokenPipeError: the worker is gone
            raise _Died from None
        if done == sum(map(len, chunks)):
            return
        view = memoryview(b"".join(chunks))[done:]
        while view:
            try:
                n = os.write(self.req_w, view)
            except BlockingIOError:
                self.wait(self.write_poll, deadline, sink)
                continue
            except OSError:
                raise _Died from None
            view = view[n:]

    def read_some(self, deadline: float, sink: _Output) -> bytes:
        while True:
            try:
                chunk = os.read(self.resp_r, 1 << 16)
            except BlockingIOError:
                if self.dead:  # exited, and nothing more is waiting in the pipe
                    raise _Died from None
                self.wait(self.read_poll, deadline, sink)
                continue
            if not chunk:
                raise _Died
            return chunk

    def read_into(self, view: memoryview, deadline: float, sink: _Output) -> None:
        got, n = 0, len(view)
        while got < n:
            try:
                k = os.readv(self.resp_r, [view[got:]])
            except BlockingIOError:
                if self.dead:
                    raise _Died from None
                self.wait(self.read_poll, deadline, sink)
                continue
            if k == 0:
                raise _Died
            got += k

    def read_frame(self, deadline: float, sink: _Output, max_body: int):
        """The next message from the worker, validated; sizes are checked before reading."""
        buf = self.rbuf  # bytes read past the previous frame (a note and a reply may share)
        while len(buf) < _PREFIX_SIZE:
            buf += self.read_some(deadline, sink)
        hlen, blen = _wire.parse_prefix(bytes(buf[:_PREFIX_SIZE]), max_body=max_body)
        total = _PREFIX_SIZE + hlen + blen
        if len(buf) >= total:
            data = buf[_PREFIX_SIZE:total]
            del buf[:total]
        else:  # a big frame: read the rest straight into place
            data = bytearray(total - _PREFIX_SIZE)
            have = len(buf) - _PREFIX_SIZE
            data[:have] = buf[_PREFIX_SIZE:]
            buf.clear()
            self.read_into(memoryview(data)[have:], deadline, sink)
        view = memoryview(data)
        # WorkerFunction may come back only inside the arguments the grader sent.
        return _wire.decode(view[:hlen], view[hlen:], allow_functions=_wire.ARGUMENTS)

    def on_hello(self) -> None:
        self.hello = True
        if self.mode == "bubblewrap":
            # pid 1 of the sandbox's pid namespace: killing it kills every process inside.
            kids = _children(self.proc.pid)
            if len(kids) == 1:
                self.inner_pidfd = _pidfd(kids[0])

    # -- ending ---------------------------------------------------------------------------------
    def exit_description(self) -> str:
        try:
            rc = self.proc.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            return "it closed its connection to the grader"
        if self.mode == "bubblewrap" and rc > 128:
            rc = -(rc - 128)  # bwrap reports a signal as 128 + number
        if rc < 0:
            try:
                name = signal.Signals(-rc).name
            except ValueError:
                name = "?"
            return f"signal {-rc}, {name}"
        return f"exit code {rc}"

    def kill(self) -> None:
        """Kill every process of this worker and wait until none is left."""
        pid = self.proc.pid
        if self.mode == "bubblewrap":
            if self.inner_pidfd is not None:
                # Killing pid 1 of the sandbox's namespace kills everything inside; bwrap's
                # outer process then reaps it and exits (killing that one first would leave
                # pid 1 a zombie for the machine's init to reap).
                try:
                    signal.pidfd_send_signal(self.inner_pidfd, signal.SIGKILL)
                except (OSError, AttributeError):
                    pass
                try:
                    self.proc.wait(timeout=1.0)
                except subprocess.TimeoutExpired:
                    pass
            _killpg(pid)
        else:
            self._kill_tree(pid)
        try:
            self.proc.wait(timeout=_KILL_WAIT)
        except subprocess.TimeoutExpired:  # pragma: no cover - unkillable
            pass
        if self.inner_pidfd is not None:
            _wait_fd(self.inner_pidfd, _KILL_WAIT)
        self.close_fds()

    def _kill_tree(self, pid: int) -> None:
        # The worker is a child subreaper, so orphans stay in its tree while it lives: freeze
        # the tree (stopped processes cannot fork), then kill all of it. Each process is held
        # by a pidfd, so a recycled pid can never be hit, and we wait until each one is dead.
        held: dict[int, int] = {}

        def hold(p: int, sig: int) -> None:
            if not hasattr(os, "pidfd_open"):  # pragma: no cover - not Linux
                _signal(p, sig)
                return
            fd = held.get(p)
            if fd is None:
                fd = _pidfd(p)
                if fd is None:
                    return
                held[p] = fd
            try:
                signal.pidfd_send_signal(fd, sig)
            except OSError:
                pass

        try:
            if self.proc.poll() is None:
                hold(pid, signal.SIGSTOP)
                for _ in range(50):
                    new = _descendants(pid) - set(held)
                    if not new:
                        break
                    for p in new:
                        hold(p, signal.SIGSTOP)
            _killpg(pid)
            for p in list(held):
                hold(p, signal.SIGKILL)
            # Strays that left the tree (their subreaper died first) still carry our token.
            marker = f"BPCOURSE_SANDBOX={self.token}".encode()
            for _ in range(10):
                strays = _pids_with_env(marker) - set(held)
                if not strays:
                    break
                for p in strays:
                    hold(p, signal.SIGKILL)
            deadline = time.monotonic() + _KILL_WAIT
            for fd in held.values():
                _wait_fd(fd, max(0.0, deadline - time.monotonic()))
        finally:
            for fd in held.values():
                os.close(fd)

    def close_fds(self) -> None:
        for name in ("req_w", "resp_r", "out_r", "pidfd", "inner_pidfd"):
            fd = getattr(self, name)
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
                setattr(self, name, None)


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except (OSError, ValueError):
        return [p for p, pp in _proc_table().items() if pp == pid]


def _killpg(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_holder(holder: list) -> None:
    if holder and holder[0] is not None:
        w, holder[0] = holder[0], None
        w.kill()


def _cleanup(holder: list, scratch: list) -> None:
    _kill_holder(holder)
    if scratch[0] is not None:
        shutil.rmtree(scratch[0], ignore_errors=True)
        scratch[0] = None


# ---------------------------------------------------------------------------------------------
# The sandbox
# ---------------------------------------------------------------------------------------------


def _module_file(fullname: str) -> str:
    rest = fullname.split(".")[1:]
    return "/".join(rest) + ".py" if rest else "__init__.py"


def _text(message: dict, key: str, *, lines: int | None = None) -> str:
    value = message.get(key, "")
    if type(value) is not str:
        return ""
    if lines is not None:
        value = "\n".join(value.splitlines()[-lines:])
    return value[-_MAX_MESSAGE:] if lines else value[:_MAX_MESSAGE]


class Sandbox:
    """Calls student functions in an isolated worker process; see the module docstring.

    ``with Sandbox(root) as sb: sb.call("activations", "sigmoid", np.zeros(3))``.
    ``root`` holds the package folder ``exercises/``; modules are imported at their first call.
    """

    def __init__(self, submission_root: Path, *, limits: Limits = Limits(),
                 isolation: str = "auto"):
        if isolation not in ("auto", "bubblewrap", "rlimits"):
            raise ValueError(f"isolation must be auto, bubblewrap or rlimits, not {isolation!r}")
        self.submission_root = Path(submission_root)
        self.limits = limits
        if isolation == "bubblewrap" and not sandbox_available():
            raise SandboxUnavailable(_probe())
        if isolation == "auto":
            isolation = "bubblewrap" if sandbox_available() else "rlimits"
        self.mode = isolation
        self.unavailable_reason = _probe() if isolation == "rlimits" else ""
        if isolation == "bubblewrap":
            self.isolation = "bubblewrap (uid nobody, no network, read-only binds)"
        else:
            self.isolation = "rlimits only (contains mistakes, not a determined attacker)"
        self._scratch: list = [None]  # the fallback's private folder (numpy links, cwd)
        self._holder: list = [None]  # the running _Worker, shared with the finalizer
        self._finalizer = weakref.finalize(self, _cleanup, self._holder, self._scratch)
        self._spawned = 0
        self._closed = False
        self._imported: set[str] = set()  # modules imported by the current worker
        self._failed: dict[str, tuple[str, str]] = {}  # module -> (error, traceback)
        self._hung: dict[tuple[str, str], float] = {}  # (module, function) -> timeout
        self.used_seconds = 0.0  # wall-clock seconds spent in calls (counts against budget)

    # -- lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def restarts(self) -> int:
        return max(0, self._spawned - 1)

    def start(self) -> None:
        """Start the worker now without waiting for it (it boots while the grader works)."""
        if self._closed:
            raise RuntimeError("the sandbox is closed")
        if self._holder[0] is None:
            self._spawn()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Start the worker if needed and wait until it answers; False if it could not."""
        self.start()
        w = self._holder[0]
        deadline = time.monotonic() + (self.limits.start_timeout if timeout is None
                                       else timeout)
        try:
            self._await_hello(w, deadline, _Output(self.limits.output_bytes))
            return True
        except (_Timeout, _Died, WireError):
            self._discard()
            return False

    def close(self) -> None:
        """Kill everything the submission started; afterwards no process of it exists."""
        self._closed = True
        _cleanup(self._holder, self._scratch)

    def _spawn(self) -> None:
        scratch = self._scratch[0]
        if self.mode == "rlimits":
            if scratch is None:
                scratch = self._scratch[0] = tempfile.mkdtemp(prefix="bpcourse-sandbox-")
                os.mkdir(os.path.join(scratch, "pylib"))
                for d in _numpy_dirs():
                    os.symlink(d, os.path.join(scratch, "pylib", os.path.basename(d)))
            work = os.path.join(scratch, "work")
            shutil.rmtree(work, ignore_errors=True)
            os.mkdir(work, 0o700)
        self._holder[0] = _Worker(self.mode, self.limits, self.submission_root, scratch)
        self._spawned += 1
        self._imported = set()

    def _discard(self) -> None:
        _kill_holder(self._holder)

    # -- calls ----------------------------------------------------------------------------------
    def call(self, module: str, function: str, *args, return_args: bool = False,
             timeout: float | None = None, **kwargs) -> CallResult:
        """Call ``exercises.<module>.<function>(*args, **kwargs)`` in the worker.

        Arguments may be anything the wire format carries (see worker.py), including
        WorkerFunction; anything else raises TypeError (a grader bug, not a student's).
        """
        if self._closed:
            raise RuntimeError("the sandbox is closed")
        if not _NAME.match(module) or not _NAME.match(function) or "." in function:
            raise ValueError(f"not a module/function name: {module!r}, {function!r}")
        fullname = f"exercises.{module}"
        for name in ("exercises", fullname):
            if name in self._failed:
                error, tb = self._failed[name]
                if name != fullname:
                    error = f"{_module_file(fullname)} could not be imported: {error}"
                return CallResult("import", error=error, traceback=tb)
        if (module, function) in self._hung:
            return CallResult("skipped", error=f"not called again: {function} in "
                              f"{_module_file(fullname)} hung earlier (timed out after "
                              f"{self._hung[module, function]:g} s)")
        if self.used_seconds >= self.limits.budget:
            return CallResult("skipped", error=f"not called: the submission used up its time "
                              f"budget of {self.limits.budget:g} s")
        if self._holder[0] is None and self._spawned > self.limits.max_restarts:
            # _spawned counts the first start too: this many spawns is max_restarts restarts.
            return CallResult("skipped", error=f"not called: the worker was restarted "
                              f"{self.limits.max_restarts} times")
        request = {"op": "call", "module": fullname, "function": function,
                   "return_args": bool(return_args)}
        if self._failed:
            # The worker refuses to import these again (a module importing one of them then
            # fails quickly with an ImportError instead of hanging or crashing once more).
            request["poison"] = {k: v[0] for k, v in self._failed.items()}
        try:
            frame = _wire.encode(request, {"args": args, "kwargs": kwargs}, max_bytes=1 << 62,
                                 allow_functions=True)
        except WireError as exc:
            raise TypeError(f"cannot send this argument to the worker: {exc}") from None
        start = time.monotonic()
        sink = _Output(self.limits.output_bytes)
        try:
            result = self._call(fullname, function, frame, timeout, start, sink)
        finally:
            self.used_seconds += time.monotonic() - start
        w = self._holder[0]
        if w is not None:
            w.drain(sink)
        result.stdout = sink.text()
        result.seconds = time.monotonic() - start
        return result

    def _await_hello(self, w: _Worker, deadline: float, sink: _Output) -> None:
        if w.hello:
            return
        message, _ = w.read_frame(deadline, sink, 1 << 20)
        if message.get("note") != "hello":
            raise WireError("the worker did not start properly")
        w.on_hello()

    def _call(self, fullname, function, frame, timeout, start, sink):
        limits = self.limits
        budget_end = start + max(0.0, limits.budget - self.used_seconds)
        call_timeout = limits.call_timeout if timeout is None else timeout
        if self._holder[0] is None:
            try:
                self._spawn()
            except OSError as exc:  # e.g. bwrap removed since the probe; not the student's fault
                return CallResult("crashed", error=f"the worker could not be started: {exc}")
        w = self._holder[0]
        stack: list[str] = []
        phase_timeout = call_timeout
        try:
            self._await_hello(w, min(start + limits.start_timeout, budget_end), sink)
            sent = time.monotonic()
            importing = fullname not in self._imported
            if importing:
                phase_timeout = max(limits.import_timeout, call_timeout)
            deadline = sent + phase_timeout
            w.write(frame, min(deadline, budget_end), sink)
            while True:
                if time.monotonic() >= min(deadline, budget_end):
                    raise _Timeout  # even if the worker floods us with messages
                message, values = w.read_frame(min(deadline, budget_end), sink,
                                               limits.max_result_bytes + (1 << 16))
                note = message.get("note")
                module = message.get("module")
                if note is None:
                    return self._reply(message, values, fullname)
                if type(module) is not str and note in ("start", "done", "fail"):
                    raise WireError("malformed note")
                if note == "start":
                    stack.append(module)
                elif note == "done":
                    if stack and stack[-1] == module:
                        stack.pop()
                    self._imported.add(module)
                elif note == "fail":
                    if stack and stack[-1] == module:
                        stack.pop()
                    self._failed[module] = (_text(message, "error"),
                                            _text(message, "traceback", lines=_MAX_TB_LINES))
                elif note == "call":
                    stack.clear()
                    phase_timeout = call_timeout
                    deadline = time.monotonic() + call_timeout
                else:
                    raise WireError("unexpected message from the worker")
        except _Timeout:
            self._discard()
            if not w.hello:
                return CallResult("crashed", error="the worker process did not start in time")
            if time.monotonic() >= budget_end:
                return CallResult("skipped", error=f"stopped: the submission used up its "
                                  f"time budget of {limits.budget:g} s")
            if stack:
                return self._import_failed(fullname, stack[-1],
                                           f"importing {_module_file(stack[-1])} timed out "
                                           f"after {phase_timeout:g} s")
            self._hung[fullname[len("exercises."):], function] = phase_timeout
            return CallResult("timeout", error=f"timed out after {phase_timeout:g} s")
        except _Died:
            how = w.exit_description()
            w.drain(sink)
            self._discard()
            if not w.hello:
                return CallResult("crashed", error=f"the worker process could not start "
                                  f"({how}): {sink.text().strip()[:200]}")
            if stack:
                return self._import_failed(fullname, stack[-1],
                                           f"importing {_module_file(stack[-1])} killed the "
                                           f"worker process ({how})")
            return CallResult("crashed", error=f"the worker process died ({how})")
        except WireError as exc:
            self._discard()
            return CallResult("protocol", error=str(exc)[:_MAX_MESSAGE])

    def _import_failed(self, fullname: str, culprit: str, error: str) -> CallResult:
        self._failed[culprit] = (error, "")
        if culprit != fullname:
            error = f"{_module_file(fullname)} could not be imported: {error}"
        return CallResult("import", error=error)

    def _reply(self, message: dict, values: dict, fullname: str) -> CallResult:
        status = message.get("status")
        if status not in ("ok", "exception", "import", "missing", "protocol"):
            raise WireError("the worker sent an unknown status")
        seconds = message.get("seconds")
        seconds = seconds if type(seconds) is float else None
        if status == "ok":
            args, kwargs = values.get("args"), values.get("kwargs")
            caught = message.get("warnings")
            caught = tuple(w[:200] for w in caught[:5] if type(w) is str) \
                if type(caught) is list else ()
            return CallResult(status, values.get("value"),
                              args if type(args) is tuple else None, function_seconds=seconds,
                              kwargs_after=kwargs if type(kwargs) is dict else None,
                              warnings=caught)
        result = CallResult(status, error=_text(message, "error"),
                            traceback=_text(message, "traceback", lines=_MAX_TB_LINES),
                            function_seconds=seconds)
        if status == "import":
            self._failed[fullname] = (result.error, result.traceback)
        return result
