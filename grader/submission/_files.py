"""Reading a submission folder safely: regular files inside it, nothing else, never blocking.

Every access goes through a directory file descriptor (``dir_fd=``), one name at a time, with
``O_NOFOLLOW``: a symbolic link (to a file or to a folder) is never followed, whatever it was
when the folder was listed. Files are opened ``O_NONBLOCK`` and checked with ``fstat`` *after*
opening, so a FIFO or device swapped in between the listing and the open is refused without
blocking, and a file that grows while it is read is read only up to its cap.
"""
from __future__ import annotations

import os
import stat

from grader.submission._common import UnitSkipped, size

_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_FILE_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
               | getattr(os, "O_NOCTTY", 0))
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CHUNK = 1 << 16


class Budget:
    """A running total of the bytes read or decompressed for one submission."""

    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0

    def take(self, n: int) -> bool:
        """Count ``n`` more bytes; False once the total is over the limit."""
        self.used += n
        return self.used <= self.limit


def read_fd(fd: int, name: str, cap: int, budget: Budget | None = None) -> bytes:
    """At most ``cap`` bytes of the regular file open at ``fd`` (closed afterwards).

    Raises :class:`UnitSkipped` when it is not a regular file or is larger than ``cap``.
    """
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnitSkipped("not a regular file")
        if st.st_size > cap:
            raise UnitSkipped(f"{size(st.st_size)} (limit {size(cap)})")
        chunks, n = [], 0
        while True:
            chunk = os.read(fd, min(_CHUNK, cap + 1 - n))
            if not chunk:
                break
            n += len(chunk)
            if n > cap:  # it grew while we read it
                raise UnitSkipped(f"larger than {size(cap)}")
            if budget is not None and not budget.take(len(chunk)):
                raise UnitSkipped(f"the submission's files together exceed "
                                  f"{size(budget.limit)}")
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise UnitSkipped(f"cannot read it ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


class Dir:
    """A folder of the submission, open by descriptor; ``rel`` is how notes name it."""

    def __init__(self, fd: int, rel: str, max_entries: int, notes: list[str]):
        self.fd = fd
        self.rel = rel  # "" for the top folder, else "hw/" or "hw/exercises/"
        self._kinds: dict[str, str] | None = None
        self._truncated = False
        self._max_entries = max_entries
        self._notes = notes

    @classmethod
    def open(cls, path: str, rel: str, max_entries: int, notes: list[str]) -> "Dir":
        """The user's own argument: a link given on the command line is followed."""
        return cls(os.open(path, _DIR_FLAGS), rel, max_entries, notes)

    def kinds(self) -> dict[str, str]:
        """name → "dir", "file", "link" or "other", as listed (checked again when opened)."""
        if self._kinds is None:
            kinds: dict[str, str] = {}
            try:
                with os.scandir(self.fd) as it:
                    for entry in it:
                        if len(kinds) >= self._max_entries:
                            self._truncated = True
                            self._notes.append(f"looked at only the first {self._max_entries} "
                                               f"entries of {self.rel or 'the top folder'}")
                            break
                        try:
                            if entry.is_symlink():
                                kind = "link"
                            elif entry.is_dir(follow_symlinks=False):
                                kind = "dir"
                            elif entry.is_file(follow_symlinks=False):
                                kind = "file"
                            else:
                                kind = "other"
                        except OSError:
                            kind = "other"
                        kinds[entry.name] = kind
            except OSError:
                pass
            self._kinds = dict(sorted(kinds.items()))
        return self._kinds

    def kind(self, name: str) -> str | None:
        """The kind of ``name`` (None: no such entry), looked up when the listing was cut."""
        kinds = self.kinds()
        if name in kinds or not self._truncated:
            return kinds.get(name)
        try:
            mode = os.lstat(name, dir_fd=self.fd).st_mode
        except (OSError, ValueError):
            return None
        return ("link" if stat.S_ISLNK(mode) else "dir" if stat.S_ISDIR(mode)
                else "file" if stat.S_ISREG(mode) else "other")

    def names(self, kind: str) -> list[str]:
        return [n for n, k in self.kinds().items() if k == kind]

    def subdir(self, name: str) -> "Dir | None":
        """The sub-folder ``name``, or None when it is not a real folder (a link, gone...)."""
        if not _plain(name):
            return None
        try:
            fd = os.open(name, _DIR_FLAGS | _NOFOLLOW, dir_fd=self.fd)
        except (OSError, ValueError):
            return None
        return Dir(fd, f"{self.rel}{name}/", self._max_entries, self._notes)

    def read(self, name: str, cap: int, budget: Budget | None = None) -> bytes:
        """The bytes of the regular file ``name`` in this folder; :class:`UnitSkipped` if not."""
        if not _plain(name):
            raise UnitSkipped("not a name inside the folder")
        try:
            fd = os.open(name, _FILE_FLAGS | _NOFOLLOW, dir_fd=self.fd)
        except OSError as exc:
            if self.kinds().get(name) == "link" or exc.errno == getattr(os, "ELOOP", None):
                raise UnitSkipped("a symbolic link") from None
            raise UnitSkipped(f"cannot read it ({exc.strerror or exc})") from None
        except ValueError as exc:  # a NUL in the name
            raise UnitSkipped(f"cannot read it ({exc})") from None
        return read_fd(fd, name, cap, budget)

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


def _plain(name: str) -> bool:
    """One entry of this folder: no separator, not "." or ".." (which would leave it)."""
    return bool(name) and "/" not in name and "\0" not in name and name not in (".", "..")


def open_file(path: str) -> int:
    """The user's own argument, a file: opened without blocking (a link given is followed)."""
    return os.open(path, _FILE_FLAGS)
