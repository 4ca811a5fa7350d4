"""The worker of ``bpcourse grade`` or ``bpcourse check``, launched before the command line
is parsed.

A grade waits for its worker's boot (the interpreter and numpy, in the sandbox: about 0.1 s),
and the grader's own start-up (click, the checks, numpy) takes about as long again. Launched
from the command's first lines, before click and the checks are imported, the boot overlaps
all of it. ``grader.api.grade`` adopts the worker (and the staging folder it binds) when the
command asks for the isolation and limits it was launched with; otherwise, and when nothing
adopts it (a usage error, ``--help``), it is stopped and its folder removed, at the latest
when the process exits.
"""
from __future__ import annotations

import atexit
import signal
import sys
import threading

_COMMANDS = ("grade", "check")
# Options that change the worker: the command then launches its own.
_CHANGES_THE_WORKER = ("--isolation", "--timeout", "-h", "--help", "--version")

_ahead = None  # (isolation, limits, staging area entered, its folder, Started or None)
_caught: list[int] = []  # SIGINT or SIGTERM, come before the command could unwind for them


def console() -> None:
    """The ``bpcourse`` command's entry point: launch ahead, then run the command."""
    launch(sys.argv[1:])
    from grader.cli import console as run

    run()


def launch(argv: list[str]) -> None:
    """Launch the worker for ``bpcourse`` ``argv`` now, when it is a grade or a check with the
    default isolation and limits. Anything that fails is left to the command, which launches
    its own worker and reports what fails then."""
    global _ahead
    if _ahead is not None or not argv or argv[0] not in _COMMANDS:
        return
    if any(arg.split("=", 1)[0] in _CHANGES_THE_WORKER for arg in argv[1:]):
        return
    if threading.current_thread() is not threading.main_thread():
        return
    # Until the command's own handlers are in place (``release_signals``), SIGINT and SIGTERM
    # are noted, not fatal: the folder made here is removed and the worker stopped whatever
    # comes (blocking them instead would block them in the worker too).
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _note)
    try:
        from grader.sandbox.launch import start_early
        from grader.settings import CHECK, GRADE
        from grader.submission import staging_area

        settings = CHECK if argv[0] == "check" else GRADE
        area = staging_area()
        base = area.__enter__()
        try:
            started = start_early(base / "stage", settings.limits, settings.isolation)
        except BaseException:
            area.__exit__(None, None, None)
            raise
    except Exception:  # noqa: BLE001 - see above
        return
    _ahead = (settings.isolation, settings.limits, area, base, started)
    atexit.register(_drop)


def _note(signum, frame) -> None:
    _caught.append(signum)


def release_signals() -> None:
    """The command's handlers are in place: a signal noted meanwhile is delivered again, to
    them (it stops the command as if it had come now)."""
    if _caught:
        signum = _caught[0]
        _caught.clear()
        signal.raise_signal(signum)


def take(isolation: str, limits):
    """``(staging area, Started or None)`` launched ahead for ``isolation`` and ``limits``,
    once; None when there is none (one launched for others is stopped now). The staging area
    is a context manager that gives its folder and removes it on exit, as
    ``grader.submission.staging_area``'s."""
    global _ahead
    ahead, _ahead = _ahead, None
    if ahead is None:
        return None
    if (ahead[0], ahead[1]) != (isolation, limits):
        _stop(ahead)
        return None
    return _Entered(ahead[2], ahead[3]), ahead[4]


def _drop() -> None:
    global _ahead
    ahead, _ahead = _ahead, None
    if ahead is not None:
        _stop(ahead)


def _stop(ahead) -> None:
    area, started = ahead[2], ahead[4]
    try:
        if started is not None:
            try:
                started.abandon()
            finally:
                started.launcher.close()
    finally:
        area.__exit__(None, None, None)


class _Entered:
    """A staging area entered already, for a ``with`` that leaves it."""

    def __init__(self, area, base):
        self._area = area
        self._base = base

    def __enter__(self):
        return self._base

    def __exit__(self, *exc):
        return self._area.__exit__(*exc)
