"""What the sandbox sees: the interpreter, numpy and the submission, and nothing else.

With bubblewrap the worker starts in an empty root where a few host folders are bound
read-only (the C library, the interpreter's standard library, numpy) and everything installed
into the interpreter is hidden. ``bubblewrap_plan`` works this out once per process;
``sandbox_available`` says whether it works here (by running it once).
"""
from __future__ import annotations

import functools
import glob
import os
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# Found, not imported: launching a worker needs no numpy in the grader (it boots while the
# grader imports numpy and the checks).
WORKER_FILE = Path(__file__).resolve().with_name("worker.py")
NOBODY = 65534


def interpreter() -> tuple[str, str]:
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


def numpy_dirs() -> list[str]:
    import importlib.util

    spec = importlib.util.find_spec("numpy")  # located, not imported (see WORKER_FILE)
    if spec is None or not spec.origin:
        raise ImportError("numpy is not installed")
    pkg = os.path.dirname(os.path.realpath(spec.origin))
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
class Plan:
    bwrap: str
    setpriv: str
    interpreter: str
    mount_args: tuple
    numpy_dirs: tuple


@functools.lru_cache(maxsize=None)
def bubblewrap_plan() -> Plan | str:
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
    python, prefix = interpreter()
    setpriv = os.path.realpath(setpriv)
    m = _Mounts()
    lib_dirs = set(_mapped_lib_dirs())
    for d in list(lib_dirs):
        if d.startswith("/usr/") and os.path.isdir(d[4:]):
            lib_dirs.add(d[4:])  # merged /usr: the loader also looks in /lib/<multiarch>
    for d in sorted(lib_dirs):
        m.expose(d)
    for exe in (python, setpriv):
        interp = _elf_interp(exe)
        if interp:
            m.expose_file(interp)
    m.expose(setpriv)
    m.bind(prefix, prefix)
    np_dirs = numpy_dirs()
    for d in np_dirs:
        m.bind(d, "/sandbox/pylib/" + os.path.basename(d))
    m.dir("/sandbox")  # worker.py is copied in at each start (see launch.py), not bound
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
    return Plan(bwrap, setpriv, python, tuple(args), tuple(np_dirs))


def worker_env() -> dict:
    env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


@functools.lru_cache(maxsize=None)
def probe() -> str:
    """"" when bubblewrap works here, else why not (tried once per process)."""
    plan = bubblewrap_plan()
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
                              stderr=subprocess.STDOUT, timeout=20,
                              env={})  # explicit: see grader.submission._host._start_child
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bubblewrap failed to start: {exc}"
    if done.returncode != 0:
        first = done.stdout.decode(errors="replace").strip().splitlines()[:1]
        return f"bubblewrap does not work here: {first[0] if first else done.returncode}"
    return ""


def probed() -> bool:
    """Whether ``probe``'s answer is known without running it (it ran in this process, or
    a test put its own answer in its place)."""
    info = getattr(probe, "cache_info", None)
    return info is None or info().currsize > 0


def sandbox_available() -> bool:
    """True when the bubblewrap sandbox works on this machine (checked once, by running it)."""
    return probe() == ""


@functools.lru_cache(maxsize=None)
def worker_source() -> bytes:
    return WORKER_FILE.read_bytes()


SANDBOX_WORKER = "/sandbox/worker.py"  # where the sandbox shows worker.py


@functools.lru_cache(maxsize=None)
def worker_pyc() -> bytes:
    """worker.py compiled, as a .pyc the sandbox's interpreter runs (``python worker.pyc``):
    a worker then boots without compiling 1,200 lines (10 ms) each time. The code comes from
    the package's own bytecode cache when it is current (else it is compiled here), and its
    file names say ``/sandbox/worker.py``: nothing in it shows where the grader lives."""
    import importlib.machinery
    import importlib.util
    import marshal

    try:
        code = importlib.machinery.SourceFileLoader(
            "grader.sandbox.worker", str(WORKER_FILE)).get_code("grader.sandbox.worker")
    except (ImportError, OSError, SyntaxError):  # pragma: no cover - a broken install
        code = compile(worker_source(), SANDBOX_WORKER, "exec", dont_inherit=True)
    return importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(_renamed(code,
                                                                            SANDBOX_WORKER))


def _renamed(code, filename: str):
    """``code`` and the code objects nested in it, with ``filename`` as their file."""
    consts = tuple(_renamed(c, filename) if isinstance(c, type(code)) else c
                   for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)
