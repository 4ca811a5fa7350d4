"""Turn what a student hands in into a folder the sandbox can load as the package ``exercises``.

Accepted (shared/CONTRACT.md, "What a submission is"):

- a folder holding the six modules side by side, or under ``exercises/``, or inside a single
  top folder (what "Compress folder" produces) holding either;
- a ``.zip`` of any of those;
- notebooks: one ``.ipynb`` file, or a folder (or zip) of them.

``staged(path)`` stages what it finds in a fresh temporary folder, yields a :class:`Staged`, and
removes the folder afterwards whatever happens. The user's files are only ever read.

Everything in a submission is hostile input, so this process never reads it: a child process
(``_child``, run as ``python -I``, or forked from such a process started once: see
:func:`fork_stagers`) does, under hard limits set before it reads anything
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
import os
import shutil
import signal
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

# Only what the stager child needs too is imported here (it imports this package); the
# machinery that runs the child is in _host.
from grader.submission._common import EXERCISE_MODULES, Caps, SubmissionError

__all__ = ["EXERCISE_MODULES", "Staged", "SubmissionError", "fork_stagers", "staged"]

# Caps on what one submission may hold (see Caps); read when staging starts, so tests may patch.
MAX_MEMBERS = 5000  # entries in a zip
MAX_TOTAL_BYTES = 64 * 2**20  # bytes read or decompressed, all files together; archive size
MAX_FILE_BYTES = 16 * 2**20  # one notebook
MAX_MODULE_BYTES = 256 * 2**10  # one .py module: a module is never MBs
MAX_HELPERS = 20  # extra .py modules copied next to the exercise modules
MAX_NOTEBOOKS = 20
MAX_CODE_CELLS = 2000  # all notebooks together
MAX_CELL_BYTES = 256 * 2**10  # one code cell
MAX_CODE_BYTES = 2**20  # code parsed, modules and cells together (at worst ~2 s of parsing)
MAX_ENTRIES = 10_000  # entries looked at in one folder

# Limits of the stager child. Parsing 256 KiB of hostile Python takes well under 200 MiB;
# reading a 16 MiB notebook about as much.
STAGER_MEMORY = 768 * 2**20  # RLIMIT_AS
STAGE_TIMEOUT = 10.0  # wall seconds for the whole staging, retries included
UNIT_TIMEOUT = 4.0  # CPU seconds for one unit (a file, a member, a cell)
MAX_ATTEMPTS = 4  # a child that dies or stalls in a unit is run again without it, this often


@dataclass
class Staged:
    root: Path  # a temp folder holding exercises/__init__.py and the student modules found
    modules: list[str]  # which of EXERCISE_MODULES were found
    source: str  # a short description, e.g. "folder sub/ (6 modules)"
    notes: list[str] = field(default_factory=list)  # what was ignored, skipped or dropped, and why
    # notebooks only: contract function → the cell defining it ("hw.ipynb [code cell 3]");
    # None for a submission of modules
    where: dict[str, str] | None = None


@contextlib.contextmanager
def staging_area() -> Iterator[Path]:
    """A fresh temporary folder to stage one submission in (:func:`stage_into`), removed on
    exit whatever happens. Its ``stage/exercises/`` folder exists from the start and is never
    replaced, so a sandbox may bind it before the submission is staged into it (the worker
    boots meanwhile)."""
    # A Ctrl-C or SIGTERM between the folder's creation and the try below would leave it
    # behind: they wait (blocked) until the try has begun.
    stop = {signal.SIGINT, signal.SIGTERM}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    try:
        base = Path(tempfile.mkdtemp(prefix="bpcourse-submission-"))
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        raise
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        for folder in (base / "stage", base / "stage" / "exercises"):
            os.mkdir(folder, 0o700)
            os.chmod(folder, 0o755)  # the sandbox runs as an unprivileged user
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def stage_into(path: Path | str, base: Path) -> Staged:
    """Stage the submission at ``path`` into ``base/stage`` (``base`` from
    :func:`staging_area`). Raises :class:`SubmissionError` (one-line message) when there is
    nothing to grade."""
    from grader.submission._host import stage

    return stage(os.path.expanduser(os.fspath(path)), base)


def fork_stagers() -> None:
    """From now on, stage each submission in a child forked from a stager process started
    here once (a "zygote", ``_host._Zygote``) rather than in a fresh interpreter: ~20 ms of CPU
    less a submission, for a process that stages many (``bpcourse grade-all``'s workers)."""
    from grader.submission._host import fork_stagers

    fork_stagers()


@contextlib.contextmanager
def staged(path: Path | str) -> Iterator[Staged]:
    """Stage the submission at ``path`` in a temporary folder; remove the folder on exit.

    Raises :class:`SubmissionError` (one-line message) when there is nothing to grade.
    """
    with staging_area() as base:
        yield stage_into(path, base)


def caps() -> Caps:
    """The caps in force now (the module's ``MAX_*`` values)."""
    return Caps(members=MAX_MEMBERS, total_bytes=MAX_TOTAL_BYTES, file_bytes=MAX_FILE_BYTES,
                module_bytes=MAX_MODULE_BYTES, helpers=MAX_HELPERS, notebooks=MAX_NOTEBOOKS,
                code_cells=MAX_CODE_CELLS, cell_bytes=MAX_CELL_BYTES,
                code_bytes=MAX_CODE_BYTES, entries=MAX_ENTRIES)
