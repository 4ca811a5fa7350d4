"""The host side of staging: run the stager child, skip the units that kill or stall it, and
check what it says. The caps and limits are read from ``grader.submission`` at each call."""
from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import grader.submission as config
from grader.submission import Staged
from grader.contract import FUNCTION_MODULE as CONTRACT_NAMES
from grader.submission._common import EXERCISE_MODULES, SubmissionError, shown

_MAX_REPLY = 1 << 20  # bytes of child output the host accepts


@dataclass
class _Outcome:
    kind: str  # "result" | "error" | "crash" | "limit" | "died" | "timeout"
    value: object = None
    unit: str | None = None  # the unit in progress when the child died or stalled


def stage(path: str, base: Path) -> Staged:
    """Stage ``path`` into ``base/stage`` (see the package docstring)."""
    deadline = time.monotonic() + config.STAGE_TIMEOUT
    skip: dict[str, str] = {}
    name = shown(os.path.basename(os.path.normpath(path)) or path)
    for _ in range(config.MAX_ATTEMPTS):
        _clear(base)
        out = _attempt(path, base, skip, deadline)
        if out.kind == "result":
            return _staged_from(out.value, base)
        if out.kind == "error":
            raise SubmissionError(shown(str(out.value), 500))
        if out.kind == "crash":  # a bug of ours, not of the submission
            raise RuntimeError(f"the submission loader failed: {shown(str(out.value), 300)}")
        limits = f"{config.STAGER_MEMORY >> 20} MiB, {config.UNIT_TIMEOUT:g} s a file or cell"
        if out.kind == "timeout":
            why = "took too long to process"
        else:  # "limit" or "died": out of memory or CPU time, or killed
            why = f"exceeded the loader's memory or time ({out.value})"
        if out.unit is None or out.unit in skip or time.monotonic() >= deadline:
            raise SubmissionError(f"cannot load {name}: it {why} (limits: {limits}, "
                                  f"{config.STAGE_TIMEOUT:g} s in all)")
        skip[out.unit] = f"{why} (limits: {limits})"
    raise SubmissionError(f"cannot load {name}: too many of its files exceed the loader's limits")


def _clear(base: Path) -> None:
    """Remove ``unpacked/`` and what ``stage/`` holds, but keep a folder ``stage/exercises/``
    (emptied): a sandbox may have bound it already (``grader.submission.staging_area``)."""
    shutil.rmtree(base / "unpacked", ignore_errors=True)
    stage = base / "stage"
    if not os.path.isdir(stage / "exercises") or os.path.islink(stage / "exercises"):
        shutil.rmtree(stage, ignore_errors=True)
        return
    for folder in (stage, stage / "exercises"):
        for child in os.listdir(folder):
            target = folder / child
            if folder == stage and child == "exercises":
                continue
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink()


def _child_command(entry: str = "main") -> list[str]:
    """``python -I -S``: no environment variables, no site hooks (``.pth`` files run code and
    cost tens of ms); the child gets this process's import path instead. It imports the
    ``_child`` module without this package's ``__init__`` (the host's imports, ~30 ms) and
    runs its function ``entry``."""
    package = Path(__file__).resolve().parent
    top = str(package.parents[1])  # the folder that holds the grader package
    here = os.path.realpath(os.getcwd())  # never the working folder: it may be the submission
    path = [top] + [p for p in sys.path
                    if p and os.path.isabs(p) and p != top and os.path.realpath(p) != here]
    boot = (f"import sys, types; sys.path[:] = {path!r}; import grader; "
            "pkg = types.ModuleType('grader.submission'); "
            f"pkg.__path__ = [{str(package)!r}]; sys.modules['grader.submission'] = pkg; "
            f"from grader.submission._child import {entry}; {entry}()")
    return [sys.executable, "-I", "-S", "-c", boot]


def _start_child(entry: str, stdin, stdout, cwd) -> subprocess.Popen:
    """Start a stager child (``_child_command``) in a session of its own, so that terminal
    signals reach only the host.

    Its environment is passed explicitly: without ``env``, the exec reads the C library's
    environment, which another thread may be changing at that moment (numpy's import, in the
    grader's preparation thread, sets and unsets a variable), and an exec that reads an array
    just freed fails with EFAULT."""
    return subprocess.Popen(_child_command(entry), stdin=stdin, stdout=stdout,
                            stderr=subprocess.DEVNULL, cwd=cwd, close_fds=True,
                            env=dict(os.environ), start_new_session=True)


def _attempt(path: str, base: Path, skip: dict[str, str], deadline: float) -> _Outcome:
    request = {  # the child runs in the temp folder: it gets the path from here
        "path": os.path.join(os.getcwd(), path), "display": path, "base": str(base),
        "skip": skip, "caps": config.caps()._asdict(),
        "limits": {"memory": config.STAGER_MEMORY,
                   "cpu_seconds": int(config.STAGE_TIMEOUT) + 1,
                   # _notebooks.py: the code, repr'd (up to 10 bytes a byte), and per statement
                   "file_size": max(config.MAX_FILE_BYTES, 32 * config.MAX_CODE_BYTES) + 2**20},
    }
    proc = _zygote.spawn(base) if _zygote is not None else None
    if proc is None:
        proc = _start_child("main", subprocess.PIPE, subprocess.PIPE, cwd=base)
    try:
        proc.stdin.write(json.dumps(request).encode())
        proc.stdin.close()
        return _follow(proc, deadline)
    except BrokenPipeError:
        return _Outcome("died", _exit_reason(proc.wait()))
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()


class _Zygote:
    """A stager process started once (``_child.zygote``) that forks one child per attempt: the
    child starts with the interpreter and the imports paid (~20 ms of CPU a submission less).
    Used by a process that stages many submissions (``fork_stagers``). A zygote that died or
    stopped answering is replaced; when a new one fails too, the attempt runs a plain child."""

    _ANSWER = 10.0  # seconds: a fork or a reap of a child already killed or exited

    def __init__(self):
        self._lock = threading.Lock()  # one exchange on the socket at a time
        self._proc: subprocess.Popen | None = None
        self._socket: socket.socket | None = None

    def start(self) -> None:
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._start()

    def _start(self) -> None:
        self._stop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._proc = _start_child("zygote", theirs, subprocess.DEVNULL, cwd="/")
        except OSError:
            ours.close()
            raise
        finally:
            theirs.close()
        ours.settimeout(self._ANSWER)
        self._socket = ours

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if self._socket is not None:
            self._socket.close()  # the zygote exits when it reads the end of the socket
            self._socket = None
        if proc is not None:
            proc.kill()
            proc.wait()

    def _ask(self, message: bytes, fds: list[int] = ()) -> str:
        socket.send_fds(self._socket, [message], fds)
        answer = self._socket.recv(64)
        if not answer:
            raise OSError("the stager zygote is gone")
        return answer.decode()

    def spawn(self, base: Path) -> "_Forked | None":
        """A child forked for one attempt in ``base``, or None (then run a plain child)."""
        with self._lock:
            for _ in range(2):
                try:
                    if self._proc is None or self._proc.poll() is not None:
                        self._start()
                    child = self._fork(base)
                except (OSError, ValueError):
                    self._stop()
                    continue
                return child
        return None

    def _fork(self, base: Path) -> "_Forked":
        request, report, folder = os.pipe(), os.pipe(), os.open(base, os.O_RDONLY)
        try:
            pid = int(self._ask(b"F", [request[0], report[1], folder]))
            pidfd = os.pidfd_open(pid)  # not reaped before we ask: this is our child
        except BaseException:
            os.close(request[1])
            os.close(report[0])
            raise
        finally:
            for fd in (request[0], report[1], folder):
                os.close(fd)
        return _Forked(self, pid, pidfd, open(request[1], "wb"), open(report[0], "rb"))

    def reap(self, pid: int, pidfd: int) -> int:
        """The exit code of the child ``pid`` (as ``Popen.returncode``), reaped by the zygote.
        A zygote that fails to answer is replaced and the child, if it still runs, killed."""
        with self._lock:
            try:
                return int(self._ask(b"W%d" % pid))
            except (OSError, ValueError):
                self._stop()
        try:
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        except OSError:
            pass
        return -signal.SIGKILL


class _Forked:
    """A child forked by the zygote, with what ``_attempt`` and ``_follow`` use of a Popen. It
    is signalled through a pidfd, so a kill never reaches another process that got its pid."""

    def __init__(self, zygote: _Zygote, pid: int, pidfd: int, stdin, stdout):
        self.pid = pid
        self.stdin = stdin
        self.stdout = stdout
        self.returncode: int | None = None
        self._zygote = zygote
        self._pidfd = pidfd

    def poll(self) -> int | None:
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None:
            try:
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def wait(self) -> int:
        if self.returncode is None:
            self.returncode = self._zygote.reap(self.pid, self._pidfd)
            os.close(self._pidfd)
        return self.returncode


_zygote: _Zygote | None = None  # set by fork_stagers()


def _forget_the_zygote() -> None:
    """In a fork of this process: the zygote's answers would go to either process, so the fork
    stages with plain children."""
    global _zygote
    _zygote = None


os.register_at_fork(after_in_child=_forget_the_zygote)


def fork_stagers() -> None:
    """Stage every later submission of this process in a child forked from a zygote."""
    global _zygote
    if _zygote is None:
        _zygote = _Zygote()
    _zygote.start()


def _follow(proc: subprocess.Popen, deadline: float) -> _Outcome:
    """Read the child's report lines until it answers, dies, or overstays a deadline."""
    fd = proc.stdout.fileno()
    buffer = b""
    received = 0
    unit: str | None = None
    unit_deadline = deadline
    unit_cpu = 0.0
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while True:
            wait = min(deadline, unit_deadline) - time.monotonic()
            if wait <= 0 and unit_deadline < deadline and unit is not None:
                # A unit's limit is the child's CPU time, not the wall clock: on a loaded
                # machine a plain notebook must not time out. The whole staging keeps its
                # wall deadline (the child cannot block: it opens no special file).
                spent = _cpu_seconds(proc.pid) - unit_cpu
                if spent < config.UNIT_TIMEOUT:
                    unit_deadline = time.monotonic() + max(config.UNIT_TIMEOUT - spent, 0.05)
                    continue
            if wait <= 0:
                proc.kill()
                return _Outcome("timeout", unit=unit)
            if not sel.select(wait):
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                code = proc.wait()
                return _Outcome("died", _exit_reason(code), unit=unit)
            received += len(chunk)
            if received > _MAX_REPLY:
                proc.kill()
                return _Outcome("crash", "the loader child said too much")
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                try:
                    msg = json.loads(line)
                except ValueError:
                    return _Outcome("crash", "the loader child's report is not JSON")
                if not isinstance(msg, dict) or len(msg) != 1:
                    return _Outcome("crash", "the loader child's report is malformed")
                (kind, value), = msg.items()
                if kind == "unit":
                    unit = value if isinstance(value, str) else None
                    unit_deadline = time.monotonic() + config.UNIT_TIMEOUT if unit else deadline
                    unit_cpu = _cpu_seconds(proc.pid)
                elif kind in ("result", "error", "crash", "limit"):
                    return _Outcome(kind, value, unit=unit)
                else:
                    return _Outcome("crash", "the loader child's report is malformed")


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (0 when it cannot be read)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def _exit_reason(code: int) -> str:
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def _staged_from(result: object, base: Path) -> Staged:
    """The child's summary, checked: it is data about hostile input, so bounded and typed."""
    if not isinstance(result, dict):
        raise RuntimeError("the submission loader failed: a malformed summary")
    modules = result.get("modules")
    notes = result.get("notes")
    source = result.get("source")
    if not (isinstance(modules, list) and isinstance(notes, list) and isinstance(source, str)):
        raise RuntimeError("the submission loader failed: a malformed summary")
    root = base / "stage"
    try:
        if not stat.S_ISDIR(os.lstat(root / "exercises").st_mode) or \
                not stat.S_ISREG(os.lstat(root / "exercises" / "__init__.py").st_mode):
            raise OSError
    except OSError:
        raise RuntimeError("the submission loader failed: nothing staged") from None
    for child in os.listdir(base):  # only the package folder stays (the unpacked zip goes)
        if child != "stage":
            shutil.rmtree(base / child, ignore_errors=True)
    os.chmod(base, 0o755)  # the sandbox runs as an unprivileged user
    where = result.get("where")
    if where is not None:
        if not isinstance(where, dict):
            raise RuntimeError("the submission loader failed: a malformed summary")
        where = {f: shown(str(label), 200) for f, label in where.items()
                 if f in CONTRACT_NAMES}
    return Staged(root=root, modules=[m for m in EXERCISE_MODULES if m in modules],
                  source=shown(source, 300),
                  notes=[shown(str(n), 1000) for n in notes[:200]], where=where)
