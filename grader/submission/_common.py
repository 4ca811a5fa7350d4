"""What the host side and the stager child share: the error type, the caps, small text helpers.

Cheap to import (the stager child starts for every submission): no dataclasses, no pathlib.
"""
from __future__ import annotations

from collections import namedtuple

from grader.contract import FUNCTIONS_BY_MODULE as CONTRACT_FUNCTIONS  # noqa: F401 (re-export)
from grader.contract import MODULES as EXERCISE_MODULES  # noqa: F401 (re-export)


class SubmissionError(Exception):
    """The submission cannot be graded at all; ``str(exc)`` is one line for the user."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


Caps = namedtuple("Caps", [
    "members",  # entries in a zip (files and folders, read or not)
    "total_bytes",  # bytes actually read or decompressed, all files together; archive size
    "file_bytes",  # one notebook (or any other file read)
    "module_bytes",  # one .py module
    "helpers",  # extra .py modules copied next to the exercise modules
    "notebooks",  # notebooks read
    "code_cells",  # code cells read, all notebooks together
    "cell_bytes",  # one code cell
    "code_bytes",  # code parsed, modules and cells together
    "entries",  # entries listed in one folder
])
Caps.__doc__ = """Limits on what one submission may hold (defaults: ``grader.submission.MAX_*``).

A course submission is a few dozen kB of code; notebooks with plots reach a few MB. Beyond these
caps archives are refused and files, cells or notebooks skipped with a note."""


class UnitSkipped(Exception):
    """One file, member or cell could not be processed; ``str(exc)`` says why (one line)."""


def size(n: int) -> str:
    """``1536`` → ``"1.5 KiB"``."""
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"  # pragma: no cover


def shown(name: str, limit: int = 80) -> str:
    """A student-controlled name as it may appear in a note: printable, one line, bounded."""
    text = "".join(c if c.isprintable() else "?" for c in name[: limit + 1])
    return text if len(text) <= limit else text[: limit - 1] + "…"


def some(items: list[str], k: int = 2) -> str:
    """The first ``k`` items, and how many more."""
    out = ", ".join(items[:k])
    return out + (f", … {len(items) - k} more" if len(items) > k else "")


def one_line(exc: BaseException) -> str:
    return shown(" ".join(str(exc).split()) or type(exc).__name__, 200)
