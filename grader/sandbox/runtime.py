"""An interpreter and numpy that an unprivileged user can run (the ``user`` isolation mode).

The grader's own Python may live where no other user can reach it (here: under ``/root``,
mode 700), and an unprivileged worker cannot execute it. ``make_runtime(DEST)`` copies what the
worker needs, world-readable and owned by root: the interpreter, its shared library, the
standard library (without site-packages, tests and GUI modules) and numpy (as ``pylib/``).
``bpcourse runtime DEST`` runs it (the Gradescope bundle's ``setup.sh`` does, once per image);
``$BPCOURSE_WORKER_RUNTIME`` (default ``/opt/bpcourse/runtime``) says where the launcher looks.
When the running interpreter and numpy are readable by every user already, they are used as
they are.
"""
from __future__ import annotations

import glob
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox import plan as _plan

DEFAULT = "/opt/bpcourse/runtime"
SKIP = {"site-packages", "dist-packages", "test", "tests", "idlelib", "tkinter", "turtledemo",
        "ensurepip", "lib2to3", "pydoc_data", "config-3.11-x86_64-linux-gnu"}
MARKER = "bpcourse-runtime.txt"


@dataclass(frozen=True)
class Runtime:
    python: str  # an interpreter every user can execute
    prefix: str  # its prefix (read-only for the worker)
    pylib: list  # folders holding numpy (and numpy.libs), to put on sys.path


def others_can_read(path: str) -> bool:
    """Whether a user who owns nothing here (only the "other" permission bits apply) can
    reach ``path``: every folder above it searchable and the path itself readable."""
    path = os.path.realpath(path)
    parts = path.strip("/").split("/")
    cur = "/"
    for comp in parts[:-1]:
        cur = os.path.join(cur, comp)
        try:
            if not os.stat(cur).st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return bool(mode & stat.S_IROTH) and (not stat.S_ISDIR(mode) or bool(mode & stat.S_IXOTH))


def runtime_dir() -> str:
    return os.environ.get("BPCOURSE_WORKER_RUNTIME") or DEFAULT


def find_runtime() -> Runtime | str:
    """The runtime the unprivileged worker uses, or why there is none."""
    python, prefix = _plan.interpreter()
    np_dirs = _plan.numpy_dirs()
    if others_can_read(python) and others_can_read(prefix) and all(map(others_can_read,
                                                                      np_dirs)):
        return Runtime(python, prefix, np_dirs)
    base = runtime_dir()
    made = os.path.join(base, "python", "bin", os.path.basename(python))
    if os.path.isfile(os.path.join(base, MARKER)) and others_can_read(made):
        return Runtime(made, os.path.join(base, "python"), [os.path.join(base, "pylib")])
    return (f"{python} cannot be run by an unprivileged user and there is no runtime at "
            f"{base}: run `bpcourse runtime {base}` as root (or set BPCOURSE_WORKER_RUNTIME)")


def _copy_tree(src: str, dest: str, skip=frozenset()) -> None:
    def ignore(folder, names):
        return [n for n in names if n in skip or n == "__pycache__" and False]

    shutil.copytree(src, dest, ignore=ignore, symlinks=True, dirs_exist_ok=True)


def make_runtime(dest: str | Path) -> Runtime:
    """Copy the interpreter, the standard library and numpy to ``dest``, readable by all."""
    dest = os.path.realpath(os.fspath(dest))
    python, prefix = _plan.interpreter()
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    out = os.path.join(dest, "python")
    os.makedirs(os.path.join(out, "bin"), exist_ok=True)
    shutil.copy2(python, os.path.join(out, "bin", os.path.basename(python)))
    libdir = sysconfig.get_config_var("LIBDIR") or os.path.join(prefix, "lib")
    os.makedirs(os.path.join(out, "lib"), exist_ok=True)
    for lib in glob.glob(os.path.join(libdir, "libpython*.so*")):
        shutil.copy2(lib, os.path.join(out, "lib", os.path.basename(lib)), follow_symlinks=True)
    stdlib = sysconfig.get_paths()["stdlib"]
    _copy_tree(stdlib, os.path.join(out, "lib", version), SKIP)
    pylib = os.path.join(dest, "pylib")
    os.makedirs(pylib, exist_ok=True)
    for d in _plan.numpy_dirs():
        _copy_tree(d, os.path.join(pylib, os.path.basename(d)), {"tests"})
    for root, dirs, files in os.walk(dest):
        os.chmod(root, 0o755)
        for name in files:
            p = os.path.join(root, name)
            if not os.path.islink(p):
                os.chmod(p, 0o755 if os.stat(p).st_mode & stat.S_IXUSR else 0o644)
    for p in Path(dest).parents:  # every folder above must be searchable
        if not os.stat(p).st_mode & stat.S_IXOTH:
            raise OSError(f"{p} is not searchable by other users; choose another folder")
    exe = os.path.join(out, "bin", os.path.basename(python))
    env = {"LD_LIBRARY_PATH": os.path.join(out, "lib")}
    # Does it start, and import numpy, on its own?
    subprocess.run([exe, "-I", "-S", "-c", f"import sys; sys.path.append({pylib!r}); "
                    "import numpy"], check=True, env=env, timeout=60,
                   stdout=subprocess.DEVNULL)
    Path(dest, MARKER).write_text(f"{sys.version.split()[0]} from {prefix}\n")
    os.chmod(os.path.join(dest, MARKER), 0o644)
    return Runtime(exe, out, [pylib])
