"""Turn what a student hands in into a folder the sandbox can load as the package ``exercises``.

Accepted (shared/CONTRACT.md, "What a submission is"):

- a folder holding the six modules side by side, or under ``exercises/``, or inside a single
  top folder (what "Compress folder" produces) holding either;
- a ``.zip`` of any of those;
- notebooks: one ``.ipynb`` file, or a folder (or zip) of them.

``staged(path)`` stages what it finds in a fresh temporary folder, yields a :class:`Staged`, and
removes the folder afterwards whatever happens. The user's files are only ever read.

Everything in a submission is hostile input, so this process never reads it: a child process
(``_child``, run as ``python -I``) does, under hard limits set before it reads anything
(address space ``STAGER_MEMORY``, CPU time, file size), with a wall-clock deadline for the
whole staging and one for each file, zip member, notebook and code cell ("unit"). The child
reads only regular files inside the submission (``_files``), unpacks zips with streamed,
counted reads (``_zip``), parses and rewrites modules (``_modules``) and notebooks
(``_notebooks``), writes ``<temp>/stage`` and answers with a small JSON summary. A unit that is
too large, too deep or too slow is skipped with a note (in the child when it can catch the
error, else by running the child again without that unit), so it costs only its own points.
A problem with the whole submission (no such path, unreadable archive, nothing to grade) is a
:class:`SubmissionError` whose text is one line for the user.
"""
from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

from grader.submission._common import EXERCISE_MODULES, Caps, SubmissionError, shown

__all__ = ["EXERCISE_MODULES", "Staged", "SubmissionError", "staged"]

# Caps on what one submission may hold (see Caps); read when staging starts, so tests may patch.
MAX_MEMBERS = 5000  # entries in a zip
MAX_TOTAL_BYTES = 64 * 2**20  # bytes read or decompressed, all files together; archive size
MAX_FILE_BYTES = 16 * 2**20  # one notebook
MAX_MODULE_BYTES = 256 * 2**10  # one .py module: a module is never MBs
MAX_HELPERS = 20  # extra .py modules copied next to the exercise modules
MAX_NOTEBOOKS = 20
MAX_CODE_CELLS = 2000  # all notebooks together
MAX_CELL_BYTES = 256 * 2**10  # one code cell
MAX_CODE_BYTES = 2 * 2**20  # code parsed, modules and cells together
MAX_ENTRIES = 10_000  # entries looked at in one folder

# Limits of the stager child. Parsing 256 KiB of hostile Python takes well under 200 MiB;
# reading a 16 MiB notebook about as much.
STAGER_MEMORY = 768 * 2**20  # RLIMIT_AS
STAGE_TIMEOUT = 15.0  # wall seconds for the whole staging, retries included
UNIT_TIMEOUT = 4.0  # wall seconds for one unit (a file, a member, a cell)
MAX_ATTEMPTS = 4  # a child that dies or stalls in a unit is run again without it, this often
_MAX_REPLY = 1 << 20  # bytes of child output the host accepts


@dataclass
class Staged:
    root: Path  # a temp folder holding exercises/__init__.py and the student modules found
    modules: list[str]  # which of EXERCISE_MODULES were found
    source: str  # a short description, e.g. "folder sub/ (6 modules)"
    notes: list[str] = field(default_factory=list)  # what was ignored, skipped or dropped, and why


@contextlib.contextmanager
def staged(path: Path | str) -> Iterator[Staged]:
    """Stage the submission at ``path`` in a temporary folder; remove the folder on exit.

    Raises :class:`SubmissionError` (one-line message) when there is nothing to grade.
    """
    base = Path(tempfile.mkdtemp(prefix="bpcourse-submission-"))
    try:
        yield _stage(os.path.expanduser(os.fspath(path)), base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def caps() -> Caps:
    """The caps in force now (the module's ``MAX_*`` values)."""
    return Caps(members=MAX_MEMBERS, total_bytes=MAX_TOTAL_BYTES, file_bytes=MAX_FILE_BYTES,
                module_bytes=MAX_MODULE_BYTES, helpers=MAX_HELPERS, notebooks=MAX_NOTEBOOKS,
                code_cells=MAX_CODE_CELLS, cell_bytes=MAX_CELL_BYTES,
                code_bytes=MAX_CODE_BYTES, entries=MAX_ENTRIES)


# --------------------------------------------------------------------------------------------
# The host side: run the child, skip what kills it, check what it says


@dataclass
class _Outcome:
    kind: str  # "result" | "error" | "crash" | "limit" | "died" | "timeout"
    value: object = None
    unit: str | None = None  # the unit in progress when the child died or stalled


def _stage(path: str, base: Path) -> Staged:
    deadline = time.monotonic() + STAGE_TIMEOUT
    skip: dict[str, str] = {}
    name = shown(os.path.basename(os.path.normpath(path)) or path)
    for _ in range(MAX_ATTEMPTS):
        _clear(base)
        out = _attempt(path, base, skip, deadline)
        if out.kind == "result":
            return _staged_from(out.value, base)
        if out.kind == "error":
            raise SubmissionError(shown(str(out.value), 500))
        if out.kind == "crash":  # a bug of ours, not of the submission
            raise RuntimeError(f"the submission loader failed: {shown(str(out.value), 300)}")
        why = {"timeout": "it took too long",
               "limit": "it needed too much memory or time"}.get(out.kind, "it made the "
                                                                 f"loader fail ({out.value})")
        if out.unit is None or out.unit in skip or time.monotonic() >= deadline:
            raise SubmissionError(f"cannot load {name}: {why} (the loader's limits are "
                                  f"{STAGER_MEMORY >> 20} MiB and {STAGE_TIMEOUT:g} s)")
        skip[out.unit] = f"{why} to process (loader limits: {STAGER_MEMORY >> 20} MiB, " \
                         f"{UNIT_TIMEOUT:g} s)"
    raise SubmissionError(f"cannot load {name}: too many of its files exceed the loader's limits")


def _clear(base: Path) -> None:
    for child in ("stage", "unpacked"):
        shutil.rmtree(base / child, ignore_errors=True)


def _child_command() -> list[str]:
    top = str(Path(__file__).resolve().parents[2])  # the folder that holds the grader package
    boot = (f"import sys; sys.path.insert(0, {top!r}); "
            "from grader.submission._child import main; main()")
    return [sys.executable, "-I", "-c", boot]


def _attempt(path: str, base: Path, skip: dict[str, str], deadline: float) -> _Outcome:
    request = {  # the child runs in the temp folder: it gets the path from here
        "path": os.path.join(os.getcwd(), path), "display": path, "base": str(base),
        "skip": skip, "caps": asdict(caps()),
        "limits": {"memory": STAGER_MEMORY, "cpu_seconds": int(STAGE_TIMEOUT) + 1,
                   "file_size": max(MAX_FILE_BYTES, 4 * MAX_CODE_BYTES) + (1 << 20)},
    }
    proc = subprocess.Popen(_child_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, cwd=base, close_fds=True,
                            start_new_session=True)  # terminal signals reach only the host
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


def _follow(proc: subprocess.Popen, deadline: float) -> _Outcome:
    """Read the child's report lines until it answers, dies, or overstays a deadline."""
    fd = proc.stdout.fileno()
    buffer = b""
    received = 0
    unit: str | None = None
    unit_deadline = deadline
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while True:
            wait = min(deadline, unit_deadline) - time.monotonic()
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
                    unit_deadline = time.monotonic() + UNIT_TIMEOUT if unit else deadline
                elif kind in ("result", "error", "crash", "limit"):
                    return _Outcome(kind, value, unit=unit)
                else:
                    return _Outcome("crash", "the loader child's report is malformed")


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
        if not stat.S_ISDIR(os.lstat(root / "exercises").st_mode):
            raise OSError
    except OSError:
        raise RuntimeError("the submission loader failed: nothing staged") from None
    for child in os.listdir(base):  # only the package folder stays (the unpacked zip goes)
        if child != "stage":
            shutil.rmtree(base / child, ignore_errors=True)
    os.chmod(base, 0o755)  # the sandbox runs as an unprivileged user
    return Staged(root=root, modules=[m for m in EXERCISE_MODULES if m in modules],
                  source=shown(source, 300),
                  notes=[shown(str(n), 1000) for n in notes[:200]])
