"""How each isolation mode starts the worker and kills every process of it: one class each.

- ``BubblewrapLauncher``: uid nobody (or a leased uid of its own when sandboxes run at once) in
  fresh pid/net/ipc/uts namespaces that see only the interpreter, numpy and the submission
  (read-only); /tmp and /dev/shm are read-only.
- ``RlimitsLauncher``: the same worker as the grader's own user under rlimits, in a private
  scratch folder; contains mistakes, not a determined attacker.
- ``UserLauncher``: no namespaces (a container whose seccomp profile forbids them): a uid of
  its own, with rlimits (RLIMIT_NPROC binds), in its own folder; Landlock, where the kernel
  has it, limits reads to the interpreter, numpy and that folder and writes to that folder.
"""
from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from grader.limits import Limits
from grader.sandbox import plan as _plan

KILL_WAIT = 5.0


class SandboxUnavailable(RuntimeError):
    """isolation="bubblewrap" was asked for but cannot work here."""


def rlimits(limits: Limits) -> dict:
    return {"RLIMIT_AS": [limits.memory_bytes] * 2,
            "RLIMIT_CPU": [limits.cpu_seconds, limits.cpu_seconds + 1],
            "RLIMIT_FSIZE": [limits.file_bytes] * 2,
            "RLIMIT_CORE": [0, 0],
            "RLIMIT_MSGQUEUE": [0, 0]}  # no POSIX message queue can outlive a call


def pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


class Started:
    """A worker just launched, and the grader's ends of its four pipes (see process.py).
    Launching needs no numpy here, so a grader starts its worker before importing it."""

    MAX_POISON = 64

    def __init__(self, launcher: "Launcher", limits: Limits, poison: dict):
        (req_r, resp_w, ctl_w, out_w), (self.req_w, self.resp_r, self.ctl_r, self.out_r) = \
            worker_pipes()
        config = dict(worker_config(limits, poison), req_fd=req_r, resp_fd=resp_w,
                      ctl_fd=ctl_w)
        extra: tuple = ()
        try:
            argv, env, cwd, extra = launcher.command(config)
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w, env=env, cwd=cwd,
                pass_fds=(req_r, resp_w, ctl_w, *extra), start_new_session=True,
                close_fds=True)
        except BaseException:
            self.close()
            raise
        finally:
            for fd in (req_r, resp_w, ctl_w, out_w, *extra):
                os.close(fd)
        self.launcher = launcher

    def close(self) -> None:
        for fd in (self.req_w, self.resp_r, self.ctl_r, self.out_r):
            try:
                os.close(fd)
            except OSError:
                pass

    def abandon(self) -> None:
        """Nobody will use this worker (the grader failed before it could): kill it."""
        try:
            self.launcher.kill(self.proc)
        finally:
            self.close()


def worker_pipes() -> tuple[tuple, tuple]:
    """A worker's four pipes: (its ends: request read, response write, control write,
    output write), (the grader's: request write, response read, control read, output read)."""
    req_r, req_w = os.pipe()
    resp_r, resp_w = os.pipe()
    ctl_r, ctl_w = os.pipe()
    out_r, out_w = os.pipe()
    return (req_r, resp_w, ctl_w, out_w), (req_w, resp_r, ctl_r, out_r)


def worker_config(limits: Limits, poison: dict) -> dict:
    """What a worker is told of its limits, and the modules it must refuse (``poison``)."""
    return {"max_result_bytes": limits.max_result_bytes, "output_bytes": limits.output_bytes,
            "poison": dict(list(poison.items())[:Started.MAX_POISON])}


def wait_fd(fd: int, timeout: float) -> bool:
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    except (OSError, ValueError):
        return True


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


def _proc_table() -> dict[int, int]:
    """pid -> ppid of every process visible in /proc."""
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    stat = f.read()
                table[int(name)] = int(stat.rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    return table


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except (OSError, ValueError):
        return [p for p, pp in _proc_table().items() if pp == pid]


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
    for name in os.listdir("/proc"):
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


def _wait_dead(pidfds) -> None:
    """Wait (up to KILL_WAIT in all) until every process held by ``pidfds`` has died."""
    deadline = time.monotonic() + KILL_WAIT
    for fd in pidfds:
        wait_fd(fd, max(0.0, deadline - time.monotonic()))


def _killpg(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class Launcher:
    """Starts a worker process in one isolation mode and kills it completely."""

    # True when the worker reads the submission's ``exercises/`` where it is (a bind, or the
    # path itself), so it may start before that folder is filled; False when it gets a copy
    # made at its start.
    reads_live = True

    mode = ""
    isolation = ""  # shown in reports

    def __init__(self, submission: Path, limits: Limits):
        self.submission = Path(submission)
        self.limits = limits

    def command(self, config: dict) -> tuple[list, dict, str, tuple]:
        """(argv, env, cwd, extra fds to pass) for a worker with this ``config``."""
        raise NotImplementedError

    def on_hello(self, proc: subprocess.Popen) -> None:
        """The worker answered: note what is needed to kill it later."""

    def kill(self, proc: subprocess.Popen) -> None:
        """Kill every process of this worker and wait until none is left."""
        raise NotImplementedError

    def exit_code(self, rc: int) -> int:
        return rc

    def start(self, limits: Limits, poison: dict) -> "Started":
        """Launch a worker (a ``Started``, or an object with the same attributes)."""
        return Started(self, limits, poison)

    def close(self) -> None:
        """Release what the launcher made (nothing of a worker is left by then)."""


# Sandboxes that run at the same time (a class graded in parallel) each run as a uid of their
# own: RLIMIT_NPROC counts every process of a uid on the machine, so under one shared uid a
# fork bomb in one submission would leave the others unable to fork. The first is nobody; the
# others come from a range no account uses. A uid is leased with a lock file held as long as
# the launcher lives, so no two live sandboxes of any grader on this machine share one.
UID_POOL = (_plan.NOBODY, *range(3_999_000_000, 3_999_000_063))
# The user isolation kills every process and removes every /tmp file of its uid, so its uids
# come from a range of their own: even a grader that keeps its leases elsewhere (another
# version) can never lose a bubblewrap sandbox to a user sandbox's cleanup.
USER_UID_POOL = tuple(range(3_999_100_000, 3_999_100_064))


def _uid_lease(pool: tuple = UID_POOL) -> tuple[int, int | None]:
    """(uid, fd of its held lock) from ``pool``; nobody without a lock when no lock can be had."""
    import fcntl
    import stat

    # One folder for the whole machine (a per-user TMPDIR would let two graders lease the
    # same uid): /run when we may write there (root, which both launchers need).
    base = "/run" if os.access("/run", os.W_OK) else tempfile.gettempdir()
    folder = Path(base) / f"bpcourse-uids-{os.geteuid()}"
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return _plan.NOBODY, None
    try:
        st = os.lstat(folder)
    except OSError:
        return _plan.NOBODY, None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o077:
        return _plan.NOBODY, None  # not ours: do not trust it
    for uid in pool:
        try:
            fd = os.open(folder / f"{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW
                         | os.O_CLOEXEC, 0o600)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return uid, fd
        except OSError:
            os.close(fd)
    return _plan.NOBODY, None


class BubblewrapLauncher(Launcher):
    mode = "bubblewrap"
    # The same words whichever uid is leased, so that a regrade's report is identical.
    isolation = "bubblewrap (an unprivileged uid of its own, no network, read-only binds)"

    def __init__(self, submission: Path, limits: Limits, *, verified: bool = True):
        """``verified=False``: launch without the probe first (see ``launcher``)."""
        super().__init__(submission, limits)
        plan = _plan.bubblewrap_plan()
        if isinstance(plan, str):
            raise SandboxUnavailable(plan)
        if verified and _plan.probe():
            raise SandboxUnavailable(_plan.probe())
        self.verified = verified
        self.plan = plan
        self.inner: int | None = None  # pidfd of the sandbox's pid 1
        self.uid, self.lease = _uid_lease()

    def command(self, config):
        plan, limits = self.plan, self.limits
        limit_map = dict(rlimits(limits), RLIMIT_NPROC=[limits.processes] * 2)
        config = dict(config, root="/submission", pylib="/sandbox/pylib", cwd="/tmp",
                      kill_all=True, rlimits=limit_map)
        args = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv",
                "--proc", "/proc", "--dev", "/dev",
                # Owned by root and not writable by nobody: no file outlives a call.
                "--perms", "0755", "--size", "65536", "--tmpfs", "/tmp",
                "--perms", "0755", "--size", "65536", "--tmpfs", "/dev/shm",
                *plan.mount_args]
        exercises = self.submission / "exercises"
        args += ["--perms", "0755", "--dir", "/submission"]
        if exercises.is_dir():
            args += ["--ro-bind", str(exercises.resolve()), "/submission/exercises"]
        for key, value in _plan.worker_env().items():
            args += ["--setenv", key, value]
        # worker.py is copied in (--ro-bind-data) and bwrap's options are read from a file
        # descriptor (--args): inside, /proc/self/mountinfo and every /proc/<pid>/cmdline are
        # readable, and a bind or an argument would show where the grader lives.
        code_fd = _data_fd(_plan.worker_source())
        pyc_fd = _data_fd(_plan.worker_pyc())  # run compiled: no compiling at each boot
        args += ["--perms", "0444", "--ro-bind-data", str(code_fd), _plan.SANDBOX_WORKER,
                 "--perms", "0444", "--ro-bind-data", str(pyc_fd), "/sandbox/worker.pyc",
                 "--chdir", "/tmp"]
        args_fd = _data_fd(b"".join(a.encode() + b"\0" for a in args))
        argv = [plan.bwrap, "--args", str(args_fd), "--",
                plan.setpriv, f"--reuid={self.uid}", f"--regid={self.uid}",
                "--clear-groups", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all",
                "--", plan.interpreter, "-I", "-S", "-B", "-X", "utf8", "/sandbox/worker.pyc",
                json.dumps(config)]
        return argv, {}, "/", (code_fd, pyc_fd, args_fd)

    def on_hello(self, proc):
        # pid 1 of the sandbox's pid namespace: killing it kills every process inside.
        kids = _children(proc.pid)
        if self.inner is not None:
            os.close(self.inner)
        self.inner = pidfd(kids[0]) if len(kids) == 1 else None

    def exit_code(self, rc):
        return -(rc - 128) if rc > 128 else rc  # bwrap reports a signal as 128 + number

    def kill(self, proc):
        inner, self.inner = self.inner, None
        if inner is not None:
            # Killing pid 1 of the sandbox's namespace kills everything inside; bwrap's outer
            # process then reaps it and exits.
            try:
                signal.pidfd_send_signal(inner, signal.SIGKILL)
            except (OSError, AttributeError):
                pass
            try:
                proc.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                pass
        _killpg(proc.pid)
        try:
            proc.wait(timeout=KILL_WAIT)
        except subprocess.TimeoutExpired:  # pragma: no cover - unkillable
            pass
        if inner is not None:
            wait_fd(inner, KILL_WAIT)
            os.close(inner)

    def close(self):
        lease, self.lease = self.lease, None
        if lease is not None:
            os.close(lease)  # the uid is free for the next sandbox


class RlimitsLauncher(Launcher):
    mode = "rlimits"
    isolation = "rlimits only (contains mistakes, not a determined attacker)"

    def __init__(self, submission: Path, limits: Limits):
        super().__init__(submission, limits)
        self.scratch: str | None = None
        self.token = ""

    def command(self, config):
        if self.scratch is None:
            self.scratch = tempfile.mkdtemp(prefix="bpcourse-sandbox-")
            os.mkdir(os.path.join(self.scratch, "pylib"))
            for d in _plan.numpy_dirs():
                os.symlink(d, os.path.join(self.scratch, "pylib", os.path.basename(d)))
        work = os.path.join(self.scratch, "work")
        shutil.rmtree(work, ignore_errors=True)
        os.mkdir(work, 0o700)
        self.token = os.urandom(8).hex()
        config = dict(config, root=str(self.submission.resolve()),
                      pylib=os.path.join(self.scratch, "pylib"), cwd=work, workdir=work,
                      kill_all=False, rlimits=rlimits(self.limits))
        python, _ = _plan.interpreter()
        argv = [python, "-I", "-S", "-B", "-X", "utf8", str(_plan.WORKER_FILE),
                json.dumps(config)]
        return argv, dict(_plan.worker_env(), BPCOURSE_SANDBOX=self.token), work, ()

    def kill(self, proc):
        # The worker is a child subreaper, so orphans stay in its tree while it lives: freeze
        # the tree (stopped processes cannot fork), then kill all of it. Each process is held
        # by a pidfd, so a recycled pid can never be hit, and we wait until each one is dead.
        held: dict[int, int] = {}

        def hold(p: int, sig: int) -> None:
            fd = held.get(p)
            if fd is None:
                fd = pidfd(p)
                if fd is None:
                    return
                held[p] = fd
            try:
                signal.pidfd_send_signal(fd, sig)
            except OSError:
                pass

        try:
            if proc.poll() is None:
                hold(proc.pid, signal.SIGSTOP)
                for _ in range(50):
                    new = _descendants(proc.pid) - set(held)
                    if not new:
                        break
                    for p in new:
                        hold(p, signal.SIGSTOP)
            _killpg(proc.pid)
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
            _wait_dead(held.values())
        finally:
            for fd in held.values():
                os.close(fd)
        try:
            proc.wait(timeout=KILL_WAIT)
        except subprocess.TimeoutExpired:  # pragma: no cover - unkillable
            pass

    def close(self):
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None


class UserLauncher(Launcher):
    """The worker as an unprivileged uid of its own, for hosts without user namespaces.

    Each launcher picks a fresh uid that owns nothing and has no process, so its worker can
    signal, ptrace or read nothing of the grader or of another sandbox, and RLIMIT_NPROC
    (which does not bind root) stops fork bombs. The worker runs in ``scratch`` (owned by that
    uid, mode 700), holding a copy of the submission, ``worker.py`` and ``landlock.py``: the
    latter restricts the worker (and all it starts) to reading the runtime, numpy and system
    libraries and to writing only beneath ``scratch``, with no TCP. Killing it kills every
    process of the uid; closing removes ``scratch``, anything the uid left in /tmp,
    /var/tmp and /dev/shm, and the SysV IPC objects it made (no IPC namespace here). The interpreter must be one every user can run
    (``grader.sandbox.runtime``)."""

    mode = "user"
    reads_live = False  # the worker gets a copy of the submission
    WORLD_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm")
    READ = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib", "/etc/ld.so.cache",
            "/sys/devices/system/cpu", "/proc")
    FILES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")

    def __init__(self, submission: Path, limits: Limits):
        super().__init__(submission, limits)
        from grader.sandbox import landlock, runtime

        if os.geteuid() != 0:
            raise SandboxUnavailable("the user isolation switches to an unprivileged uid and "
                                     "needs the grader to run as root")
        self.setpriv = shutil.which("setpriv") or "/usr/bin/setpriv"
        if not os.path.exists(self.setpriv):
            raise SandboxUnavailable("setpriv (util-linux) is not installed")
        found = runtime.find_runtime()
        if isinstance(found, str):
            raise SandboxUnavailable(found)
        self.runtime = found
        self.landlock = landlock.abi()
        if not self.landlock:
            # Without Landlock only file permissions keep the worker out: the grader's own
            # files (the reference, the course secret) must not be readable by other users.
            exposed = [p for p in _grader_files() if runtime.others_can_read(p)]
            if exposed:
                raise SandboxUnavailable(
                    f"no Landlock here, and {exposed[0]} is readable by other users: make a "
                    "folder above it mode 700 (the Gradescope bundle does)")
        self.isolation = ("unprivileged user (a uid of its own, no namespaces; Landlock: "
                          "reads only the interpreter and its folder, writes only its folder, "
                          "no TCP)" if self.landlock else
                          "unprivileged user (a uid of its own, no namespaces, no Landlock: "
                          "world-readable files are readable, /tmp is writable and cleaned "
                          "afterwards)")
        # A leased uid that only the user isolation uses (never nobody, which other software
        # may run as): every process and leftover file of it is this sandbox's, to remove.
        self.uid, self.lease = _uid_lease(USER_UID_POOL)
        if self.lease is None:
            raise SandboxUnavailable("no unused uid could be leased for the sandbox")
        self.scratch: str | None = None

    def _prepare(self) -> str:
        base = tempfile.gettempdir()
        from grader.sandbox import runtime

        if not runtime.others_can_read(base) and os.path.isdir("/tmp"):
            base = "/tmp"  # TMPDIR may be private; the uid must reach its folder
        scratch = tempfile.mkdtemp(prefix="bpcourse-user-", dir=base)
        exercises = self.submission / "exercises"
        if exercises.is_dir():
            shutil.copytree(exercises, os.path.join(scratch, "exercises"), symlinks=False)
        shutil.copyfile(_plan.WORKER_FILE, os.path.join(scratch, "worker.py"))
        from grader.sandbox import landlock

        shutil.copyfile(landlock.__file__, os.path.join(scratch, "landlock.py"))
        for root, dirs, files in os.walk(scratch):
            for name in [*dirs, *files]:
                os.chown(os.path.join(root, name), self.uid, self.uid, follow_symlinks=False)
        os.chown(scratch, self.uid, self.uid)
        os.chmod(scratch, 0o700)
        return scratch

    def command(self, config):
        if self.scratch is None:
            self.scratch = self._prepare()
        scratch = self.scratch
        work = os.path.join(scratch, "work")
        shutil.rmtree(work, ignore_errors=True)  # a new worker starts with an empty folder
        os.mkdir(work, 0o700)
        os.chown(work, self.uid, self.uid)
        limit_map = dict(rlimits(self.limits), RLIMIT_NPROC=[self.limits.processes] * 2)
        rt = self.runtime
        config = dict(config, root=scratch, pylib=rt.pylib[0], cwd=work, workdir=work,
                      kill_all=False, rlimits=limit_map)
        rules = {"read": [rt.prefix, *rt.pylib, *self.READ], "write": [scratch],
                 "files": list(self.FILES), "required": True}
        env = dict(_plan.worker_env(), HOME=work, TMPDIR=work,
                   LD_LIBRARY_PATH=os.path.join(rt.prefix, "lib"))
        argv = [self.setpriv, f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups",
                "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--",
                rt.python, "-I", "-S", "-B", "-X", "utf8"]
        if self.landlock:
            argv += [os.path.join(scratch, "landlock.py"), json.dumps(rules)]
        argv += [os.path.join(scratch, "worker.py"), json.dumps(config)]
        return argv, env, work, ()

    def _pids(self) -> list[int]:
        """Live processes of this uid (a zombie is dead, waiting for its parent to reap it)."""
        found = []
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    if os.stat(f"/proc/{name}").st_uid != self.uid:
                        continue
                    with open(f"/proc/{name}/stat", "rb") as f:
                        state = f.read().rsplit(b")", 1)[1].split()[0]
                except (OSError, IndexError):
                    continue
                if state not in (b"Z", b"X"):
                    found.append(int(name))
        return found

    def kill(self, proc):
        self._kill_all(proc)
        try:
            proc.wait(timeout=KILL_WAIT)
        except subprocess.TimeoutExpired:  # pragma: no cover - unkillable
            pass

    def _kill_all(self, proc: subprocess.Popen | None) -> None:
        # Every process of this uid is ours: stop them all (a stopped process cannot fork),
        # kill them, again until none is left. Each is held by a pidfd (no recycled pid hit).
        held: dict[int, int] = {}
        try:
            for _ in range(100):
                pids = [p for p in self._pids() if p not in held]
                if proc is not None and proc.poll() is None and proc.pid not in held:
                    pids.append(proc.pid)
                if not pids:
                    break
                for p in pids:
                    fd = pidfd(p)
                    if fd is not None:
                        held[p] = fd
                        for sig in (signal.SIGSTOP, signal.SIGKILL):
                            try:
                                signal.pidfd_send_signal(fd, sig)
                            except OSError:
                                pass
            _wait_dead(held.values())
        finally:
            for fd in held.values():
                os.close(fd)

    def close(self):
        if self.lease is None:
            return
        self._kill_all(None)
        remove_sysv_ipc(self.uid)
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None
        for folder in self.WORLD_WRITABLE:  # whatever the uid managed to leave behind
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                try:
                    if entry.stat(follow_symlinks=False).st_uid != self.uid:
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path, ignore_errors=True)
                    else:
                        os.unlink(entry.path)
                except OSError:
                    pass
        lease, self.lease = self.lease, None
        os.close(lease)  # the uid is free for the next sandbox


# SysV IPC objects outlive their creator; without an IPC namespace (the user isolation) they
# would hold memory no rlimit of the sandbox counts. (POSIX message queues: RLIMIT_MSGQUEUE 0.)
_SYSV_IPC = (("shm", "shmid", "shmctl"), ("sem", "semid", "semctl"), ("msg", "msqid", "msgctl"))
IPC_RMID = 0


def remove_sysv_ipc(uid: int) -> int:
    """Remove every SysV shared memory segment, semaphore set and message queue that ``uid``
    created or owns (its owner can be given away with IPC_SET; its creator cannot);
    the number removed."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    removed = 0
    for kind, id_column, ctl in _SYSV_IPC:
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                lines = f.read().splitlines()
            header = lines[0].split()
            at, owner, creator = (header.index(c) for c in (id_column, "uid", "cuid"))
        except (OSError, IndexError, ValueError):
            continue
        for line in lines[1:]:
            fields = line.split()
            try:
                if uid not in (int(fields[owner]), int(fields[creator])):
                    continue
                ident = int(fields[at])
            except (IndexError, ValueError):
                continue
            # semctl's fourth argument is only read for other commands
            args = (ident, 0, IPC_RMID) if kind == "sem" else (ident, IPC_RMID, None)
            if getattr(libc, ctl)(*args) == 0:
                removed += 1
    return removed


def _grader_files() -> list[str]:
    """What the worker must never read: the reference, the grader, the course secret."""
    import grader

    paths = [os.path.dirname(os.path.dirname(os.path.abspath(grader.__file__)))]
    import importlib.util

    for name in ("solutions", "grader_hidden"):  # located, never imported (see test_layout)
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin:
            paths.append(os.path.dirname(os.path.abspath(spec.origin)))
    from grader import secret

    if not os.environ.get(secret.ENV_SECRET):
        paths.append(str(secret.secret_path()))
    return [p for p in paths if os.path.exists(p)]


ISOLATIONS = ("auto", "bubblewrap", "rlimits", "user")


# -- one sandbox for a class: a zygote that forks each student's worker ---------------------------

_POOL: "Pool | None" = None


def pool_sandboxes() -> None:
    """From now on, this process grades in one bubblewrap sandbox launched once (``Pool``),
    each student's worker forked there by a zygote that booted the interpreter and numpy once
    (``worker.zygote_main``), rather than a sandbox launched for each student: ~70 ms of CPU
    less a student, for a process that grades many one after another (``grade-all``'s
    workers). Between students every process of the sandbox is killed and gone before the
    next submission is put in the folder it binds."""
    global _POOL
    if _POOL is None:
        _POOL = Pool()


def pooled(isolation: str, limits: Limits) -> "Pool | None":
    """The pool to grade in with these settings, if this process has one and they fit it."""
    if _POOL is None or isolation not in ("auto", "bubblewrap"):
        return None
    return _POOL if _POOL.fits(limits) else None


class _PoolProc:
    """The grader's view of a worker forked by the pool's zygote: its pid on this side (for
    pidfds), and its end, which the zygote (its parent) reports."""

    def __init__(self, pool: "Pool", pid: int, nspid: int):
        self.pool, self.pid, self.nspid = pool, pid, nspid
        self.returncode: int | None = None
        self._fd = pidfd(pid)

    def poll(self) -> int | None:
        if self.returncode is None and (self._fd is None or wait_fd(self._fd, 0)):
            status = self.pool.status(self.nspid)
            if status is not None or self._fd is not None:
                self.returncode = -signal.SIGKILL if status is None else status
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self._fd is not None and not wait_fd(self._fd, 3600.0 if timeout is None else timeout):
            raise subprocess.TimeoutExpired("worker", timeout)
        got = self.poll()
        return -signal.SIGKILL if got is None else got

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


class _PoolStarted:
    """A worker forked by the pool's zygote, as ``Started`` describes a launched one."""

    def __init__(self, launcher: "PoolLauncher", proc: _PoolProc, fds: tuple):
        self.launcher, self.proc = launcher, proc
        self.req_w, self.resp_r, self.ctl_r, self.out_r = fds

    def close(self) -> None:
        Started.close(self)

    def abandon(self) -> None:
        try:
            self.launcher.kill(self.proc)
        finally:
            self.close()


class PoolLauncher(Launcher):
    """A Sandbox's launcher in the pool's sandbox: a worker is a fork of the zygote; killing it
    kills every process of the sandbox but the zygote; closing leaves the pool to the next."""

    mode = "bubblewrap"
    isolation = BubblewrapLauncher.isolation
    verified = True

    def __init__(self, pool: "Pool"):
        super().__init__(pool.stage, pool.limits)
        self.pool = pool

    def start(self, limits: Limits, poison: dict) -> _PoolStarted:
        return self.pool.fork_worker(self, limits, poison)

    def kill(self, proc) -> None:
        if isinstance(proc, _PoolProc):
            proc.close()
        self.pool.reset()


class Pool:
    """One bubblewrap sandbox for many submissions in turn (``pool_sandboxes``). Its folder
    ``stage/exercises`` is bound read-only at /submission/exercises; a grade stages into it
    (``area``) while no process of the sandbox but the zygote exists. A zygote that dies,
    stops or misbehaves costs a relaunch, never a grade: the whole sandbox is killed."""

    ANSWER = 10.0  # seconds for the zygote to fork, report or reset (it may have to kill a lot)

    def __init__(self):
        self.base = Path(tempfile.mkdtemp(prefix="bpcourse-pool-"))
        self.stage = self.base / "stage"
        for folder in (self.stage, self.stage / "exercises"):
            os.mkdir(folder, 0o700)
            os.chmod(folder, 0o755)  # the sandbox runs as an unprivileged user
        self.limits: Limits | None = None
        self.launcher: BubblewrapLauncher | None = None
        self.proc: subprocess.Popen | None = None
        self.sock = None
        self.zygote: int | None = None  # its pid on this side
        self.launches = 0
        import weakref

        # At exit too (a finalizer runs then): the sandbox killed, the uid and folder freed.
        self._finalizer = weakref.finalize(self, Pool._shutdown, self.__dict__)

    def fits(self, limits: Limits) -> bool:
        if self.limits != limits:
            self._stop()
            if self.launcher is not None:
                self.launcher.close()  # the uid lease
                self.launcher = None
            self.limits = limits
        try:
            if self.launcher is None:
                self.launcher = BubblewrapLauncher(self.stage, limits)
        except SandboxUnavailable:
            return False
        return True

    # -- the submission's folder -----------------------------------------------------------------
    def _empty(self) -> None:
        for entry in os.scandir(self.base):
            if entry.name != "stage":
                _remove(entry.path)
        for entry in os.scandir(self.stage):
            if entry.name != "exercises":
                _remove(entry.path)
        for entry in os.scandir(self.stage / "exercises"):
            _remove(entry.path)

    def area(self):
        """A context manager like ``grader.submission.staging_area``: this pool's folder,
        emptied before and after (its ``stage/exercises`` is the one the sandbox binds)."""
        import contextlib

        @contextlib.contextmanager
        def area():
            self._empty()
            try:
                yield self.base
            finally:
                self._empty()

        return area()

    # -- the zygote ------------------------------------------------------------------------------
    def _alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None and self.sock is not None

    def _launch(self) -> None:
        import socket

        self._stop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        extra: tuple = ()
        try:
            config = {"zygote_fd": theirs.fileno(), "max_result_bytes": 0, "output_bytes": 0,
                      "poison": {}}
            argv, env, cwd, extra = self.launcher.command(config)
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, env=env, cwd=cwd,
                pass_fds=(theirs.fileno(), *extra), start_new_session=True, close_fds=True)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
            for fd in extra:
                os.close(fd)
        self.sock = ours
        self.launches += 1
        ready = self._answer(max(self.limits.start_timeout, self.ANSWER))
        if ready is None or not ready.startswith(b"ready"):
            self._stop()
            raise OSError("the pooled sandbox did not start")
        self.launcher.on_hello(self.proc)
        inner = _children(self.proc.pid)
        zygotes = _children(inner[0]) if len(inner) == 1 else []
        if len(zygotes) != 1:
            self._stop()
            raise OSError("the pooled sandbox's zygote was not found")
        self.zygote = zygotes[0]

    def _answer(self, timeout: float) -> bytes | None:
        if self.sock is None or not wait_fd(self.sock.fileno(), timeout):
            return None
        try:
            got = self.sock.recv(256)
        except OSError:
            return None
        return got or None

    def _ask(self, message: bytes, fds=()) -> bytes | None:
        import socket

        if not self._alive():
            return None
        try:
            socket.send_fds(self.sock, [message], list(fds))
        except OSError:
            self._stop()
            return None
        got = self._answer(self.ANSWER)
        if got is None:  # stopped, dead or too slow: no late answer may be taken for another
            self._stop()
        return got

    def fork_worker(self, launcher: PoolLauncher, limits: Limits, poison: dict) -> _PoolStarted:
        for attempt in range(2):
            if not self._alive():
                self._launch()
            theirs, ours = worker_pipes()
            try:
                reply = self._ask(b"fork" + json.dumps(worker_config(limits, poison)).encode(),
                                  theirs)
            finally:
                for fd in theirs:
                    os.close(fd)
            pid = None
            if reply is not None and reply.startswith(b"pid ") and reply[4:].isdigit():
                nspid = int(reply[4:])
                kids = [k for k in _children(self.zygote) if _nspid(k) == nspid]
                pid = kids[0] if len(kids) == 1 else None
            if pid is not None:
                return _PoolStarted(launcher, _PoolProc(self, pid, nspid), ours)
            for fd in ours:
                os.close(fd)
            self._stop()
        raise OSError("the pooled sandbox could not start a worker")

    def status(self, nspid: int) -> int | None:
        reply = self._ask(b"status %d" % nspid)
        if reply is None or not reply.startswith(b"status "):
            return None
        try:
            return int(reply[7:])
        except ValueError:
            return None

    def reset(self) -> None:
        """Every process of the sandbox but the zygote killed and gone; else no sandbox."""
        if self._ask(b"reset") != b"clean":
            self._stop()

    def _stop(self) -> None:
        proc, sock, self.proc, self.sock, self.zygote = self.proc, self.sock, None, None, None
        if sock is not None:
            sock.close()
        if proc is not None:
            self.launcher.kill(proc)

    @staticmethod
    def _shutdown(state: dict) -> None:
        proc, sock, launcher = state.get("proc"), state.get("sock"), state.get("launcher")
        state["proc"] = state["sock"] = state["launcher"] = None
        if sock is not None:
            sock.close()
        if launcher is not None:
            if proc is not None:
                launcher.kill(proc)
            launcher.close()
        shutil.rmtree(state["base"], ignore_errors=True)


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            os.unlink(path)
        except OSError:
            pass


def _nspid(pid: int) -> int | None:
    """The pid of ``pid`` in its innermost pid namespace."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("NSpid:"):
                    return int(line.split()[-1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def start_early(submission: Path, limits: Limits, isolation: str) -> Started | None:
    """Launch the worker for ``submission`` now, before its folder is filled and before the
    grader imports numpy and the checks (the worker's boot, a tenth of a second, overlaps
    them); ``Sandbox(..., started=...)`` adopts it. None for a launcher that copies the
    submission when it starts (it has to wait for the folder)."""
    chosen = launcher(isolation, submission, limits)
    if not chosen.reads_live:
        chosen.close()
        return None
    try:
        return Started(chosen, limits, {})
    except BaseException:
        chosen.close()
        raise


def launcher(isolation: str, submission: Path, limits: Limits) -> Launcher:
    """The launcher for ``isolation`` ("auto" picks bubblewrap when it works here)."""
    if isolation not in ISOLATIONS:
        raise ValueError(f"isolation must be one of {', '.join(ISOLATIONS)}, not {isolation!r}")
    if isolation == "auto":
        if not _plan.probed() and not isinstance(_plan.bubblewrap_plan(), str):
            # The probe is a bubblewrap run of its own (15 ms before the worker could start):
            # launch at once instead. A worker that dies before its hello (no student code
            # has run then) makes the sandbox probe, and fall back to rlimits where bubblewrap
            # does not work (Sandbox._fall_back), as the probe would have chosen.
            return BubblewrapLauncher(submission, limits, verified=False)
        isolation = "bubblewrap" if _plan.sandbox_available() else "rlimits"
    if isolation == "bubblewrap":
        return BubblewrapLauncher(submission, limits)
    if isolation == "user":
        return UserLauncher(submission, limits)
    return RlimitsLauncher(submission, limits)
