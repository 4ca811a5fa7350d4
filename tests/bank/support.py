"""Helpers shared by the bank's tests: loading a submission in-process (for the sanity tests
only, never for hostile code), and the traces a hostile submission might leave behind."""
from __future__ import annotations

import hashlib
import importlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

from .cases import EXERCISES, MODULES, REPO, Case

# ------------------------------------------------------------------ in-process loading


class Submission:
    """A loaded submission: ``sub.sigmoid`` is the student's function, wherever it lives."""

    def __init__(self, package: str, modules: dict[str, types.ModuleType]):
        self.package = package
        self.modules = modules

    def __getattr__(self, name: str):
        module = EXERCISES.get(name)
        if module is None or module not in self.modules:
            raise AttributeError(name)
        return getattr(self.modules[module], name)


def load_package(folder: Path, package: str) -> Submission:
    """Import the six modules of ``folder`` as the package ``package``.

    While importing, ``exercises`` (and ``exercises.<module>``) point at the same modules, so
    student code may import its siblings either relatively or as ``from exercises.x import``;
    afterwards ``sys.modules`` is put back as it was (the functions keep their globals).
    """
    folder = Path(folder)
    saved = {k: v for k, v in sys.modules.items() if k == "exercises" or k.startswith("exercises.")}
    for key in saved:
        del sys.modules[key]
    pkg = types.ModuleType(package)
    pkg.__path__ = [str(folder)]
    init = folder / "__init__.py"
    pkg.__file__ = str(init) if init.exists() else None
    sys.modules[package] = pkg
    sys.modules["exercises"] = pkg
    dont_write = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    modules = {}
    try:
        if init.exists():
            exec(compile(init.read_text(encoding="utf-8"), str(init), "exec"), pkg.__dict__)
        for name in MODULES:
            module = importlib.import_module(f"{package}.{name}")
            sys.modules[f"exercises.{name}"] = module
            modules[name] = module
    finally:
        sys.dont_write_bytecode = dont_write
        for key in [k for k in sys.modules if k == "exercises" or k.startswith("exercises.")]:
            del sys.modules[key]
        sys.modules.update(saved)
    return Submission(package, modules)


def package_name(text: str) -> str:
    return "_bank_" + re.sub(r"\W", "_", text)


# ------------------------------------------------------------------ traces of a hostile run

# Where a hostile case might drop a ``bpcourse-pwned-<name>*`` file.
TRACE_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", str(REPO), str(REPO / "solutions"))
# Bytecode the import system may cache next to the modules: not the submission's doing.
_BYTECODE = re.compile(r"__pycache__/(%s|__init__)\.cpython-\d+\.pyc" % "|".join(MODULES))


def trace_folders() -> list[str]:
    folders = list(TRACE_FOLDERS) + [os.getcwd(), os.path.expanduser("~")]
    return sorted(set(folders))


def pwned_files(case: Case) -> list[Path]:
    """Files named after this case that an attack left somewhere it should not have."""
    found = []
    for folder in trace_folders():
        try:
            found += Path(folder).glob(f"bpcourse-pwned-{case.name}*")
        except OSError:
            pass
    return sorted(found)


def remove(paths) -> None:
    for path in paths:
        try:
            if Path(path).is_dir() and not Path(path).is_symlink():
                shutil.rmtree(path)
            else:
                Path(path).unlink()
        except OSError:
            pass


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path → sha256 of every file under folder (bytecode caches left out)."""
    folder = Path(folder)
    result = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_dir() or _BYTECODE.fullmatch(relative):
            continue
        try:
            result[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            result[relative] = f"unreadable: {exc}"
    return result


def snapshot_diff(before: dict[str, str], after: dict[str, str]) -> list[str]:
    lines = []
    for name in sorted(set(before) | set(after)):
        if name not in after:
            lines.append(f"removed {name}")
        elif name not in before:
            lines.append(f"added {name}")
        elif before[name] != after[name]:
            lines.append(f"changed {name}")
    return lines


def processes_with(marker: str) -> list[int]:
    """Pids (other than ours) whose command line or environment contains marker."""
    needle = marker.encode()
    me = os.getpid()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        for part in ("cmdline", "environ"):
            try:
                with open(f"/proc/{entry}/{part}", "rb") as fh:
                    if needle in fh.read():
                        found.append(int(entry))
                        break
            except OSError:
                continue
    return found


def survivors(marker: str, grace: float = 5.0) -> list[int]:
    """Processes carrying marker still alive after ``grace`` seconds of waiting for them."""
    deadline = time.monotonic() + grace
    while True:
        pids = processes_with(marker)
        if not pids or time.monotonic() >= deadline:
            return pids
        time.sleep(0.1)


def kill_pids(pids) -> None:
    """Clean up after a failed case: SIGKILL each of these (our own descendants), by pid."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


# ------------------------------------------------------------------ a throwaway PID namespace

_CONTAIN_OK: bool | None = None


def can_contain() -> bool:
    """Whether ``unshare`` can give the grader a PID namespace of its own here."""
    global _CONTAIN_OK
    if _CONTAIN_OK is None:
        _CONTAIN_OK = False
        if sys.platform.startswith("linux") and shutil.which("unshare") and shutil.which("sh"):
            try:
                probe = subprocess.run(
                    ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child", "true"],
                    capture_output=True, timeout=20)
                _CONTAIN_OK = probe.returncode == 0
            except (OSError, subprocess.SubprocessError):
                _CONTAIN_OK = False
    return _CONTAIN_OK


def contained_command(python_args: list[str]) -> list[str]:
    """Run ``python python_args...`` in a new PID namespace, not as its init process.

    The shell is the namespace's init (signals from inside cannot kill it); Python runs as
    its child, so an attack that kills "everything" does reach the grader, and the test sees
    that instead of the machine paying for it.
    """
    return ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child",
            "sh", "-c", '"$@"; exit $?', "sh", sys.executable, *python_args]
