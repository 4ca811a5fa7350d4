"""Zip archives are hostile input: unpack only safe ``.py``/``.ipynb`` members, within caps.

Member names are checked (no ``..``, no absolute or drive names, no NUL, at most three levels),
links and encrypted members are skipped, only stored and deflated members are read, and every
read is streamed with a running total: what bounds decompression is the bytes it actually
produces, never the sizes the archive declares. Members are written under ``dest`` only, each
name at most once.
"""
from __future__ import annotations

import os
import stat
import zipfile

from grader.submission._common import Caps, SubmissionError, UnitSkipped, one_line, shown, size
from grader.submission._common import some
from grader.submission._files import Budget

_IGNORED_DIRS = {"__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git", ".hg", ".svn",
                 ".venv", "venv", "node_modules"}
_CHUNK = 1 << 16


def ignored(name: str) -> bool:
    """Folders that never hold a submission: archive metadata, caches, checkpoints, VCS."""
    return name in _IGNORED_DIRS or name.startswith(".")


def unzip(fd: int, name: str, dest: str, caps: Caps, notes: list[str], units) -> None:
    """Write the archive's safe members under ``dest``. ``fd``: the archive, open for reading."""
    with os.fdopen(fd, "rb") as f:
        archive_size = os.fstat(f.fileno()).st_size
        if archive_size > caps.total_bytes:
            raise SubmissionError(
                f"{name} is {size(archive_size)} (limit {size(caps.total_bytes)}): refused")
        _check_directory(f, name, caps)
        try:
            zf = units.run(f"zip {name}", zipfile.ZipFile, f)
        except UnitSkipped as exc:
            raise SubmissionError(f"{name} is not a readable zip archive ({exc})") from None
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
                NotImplementedError, RuntimeError, KeyError, IndexError, TypeError) as exc:
            raise SubmissionError(
                f"{name} is not a readable zip archive ({one_line(exc)})") from None
        with zf:
            _unpack(zf, name, dest, caps, notes, units)


def _check_directory(f, name: str, caps: Caps) -> None:
    """Refuse an archive whose central directory is too large before zipfile parses it all."""
    try:
        end = zipfile._EndRecData(f)  # the record zipfile itself reads first
    except Exception:  # noqa: BLE001 - zipfile will say what is wrong
        return
    if not end:
        return
    entries, directory = end[zipfile._ECD_ENTRIES_TOTAL], end[zipfile._ECD_SIZE]
    if entries > caps.members:
        raise SubmissionError(f"{name} holds {entries} entries (limit {caps.members}): refused")
    if directory > caps.members * 1024:  # a name of 1 kB for each entry allowed
        raise SubmissionError(f"{name} has a list of members of {size(directory)} "
                              f"(limit {size(caps.members * 1024)}): refused")


def _unpack(zf: zipfile.ZipFile, name: str, dest: str, caps: Caps, notes: list[str],
            units) -> None:
    infos = zf.infolist()
    if len(infos) > caps.members:
        raise SubmissionError(f"{name} holds {len(infos)} entries (limit {caps.members}): refused")
    budget = Budget(caps.total_bytes)
    unsafe, links, other, skipped = [], [], [], []
    metadata = False
    written: set[tuple[str, ...]] = set()
    for info in infos:
        raw = info.filename.replace("\\", "/")
        if raw.endswith("/"):
            continue
        parts = [p for p in raw.split("/") if p not in ("", ".")]
        if (raw.startswith("/") or (len(raw) > 1 and raw[1] == ":") or ".." in parts
                or not parts or any("\0" in p or len(p.encode("utf-8", "replace")) > 200
                                    for p in parts)):
            unsafe.append(shown(raw))
            continue
        if any(ignored(p) for p in parts[:-1]) or parts[-1].startswith("._"):
            metadata = True
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            links.append(shown(raw))
            continue
        suffix = os.path.splitext(parts[-1])[1].lower()
        if suffix not in (".py", ".ipynb") or parts[-1].startswith("."):
            other.append(shown(raw))
            continue
        if len(parts) > 3:  # deeper than top/exercises/x.py: never part of a submission
            other.append(shown(raw))
            continue
        if info.flag_bits & 0x1:
            skipped.append(f"{shown(raw)} (encrypted)")
            continue
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            skipped.append(f"{shown(raw)} (compressed with method {info.compress_type}; "
                           "only stored and deflated members are read)")
            continue
        if tuple(parts) in written:
            skipped.append(f"{shown(raw)} (a second member with the same name)")
            continue
        cap = caps.module_bytes if suffix == ".py" else caps.file_bytes
        try:
            data = units.run(f"member {raw}", _read_member, zf, info, cap, budget, name)
        except UnitSkipped as exc:
            skipped.append(f"{shown(raw)} ({exc})")
            continue
        try:
            _write(dest, parts, data)
        except (OSError, ValueError) as exc:  # a folder and a file of one name, a bad name...
            skipped.append(f"{shown(raw)} ({getattr(exc, 'strerror', None) or one_line(exc)})")
            continue
        written.add(tuple(parts))
    if metadata:
        notes.append("ignored __MACOSX/, hidden and cache folders (not part of a submission)")
    if unsafe:
        notes.append(f"refused {len(unsafe)} member(s) with unsafe names ({some(unsafe)})")
    if links:
        notes.append(f"ignored {len(links)} symbolic link(s) ({some(links)})")
    if other:
        notes.append(f"ignored {len(other)} other file(s) ({some(other)}): only .py and .ipynb "
                     "files are graded")
    if skipped:
        notes.append(f"skipped {some(skipped, 3)}")


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, budget: Budget,
                 name: str) -> bytes:
    chunks, n = [], 0
    try:
        with zf.open(info) as f:
            while True:
                chunk = f.read(_CHUNK)
                if not chunk:
                    break
                n += len(chunk)
                if not budget.take(len(chunk)):
                    raise SubmissionError(
                        f"{name} unpacks to more than {size(budget.limit)}: refused as a "
                        "possible zip bomb")
                if n > cap:
                    raise UnitSkipped(f"larger than {size(cap)}")
                chunks.append(chunk)
    except (SubmissionError, UnitSkipped):
        raise
    except Exception as exc:  # noqa: BLE001 - zlib.error, CRC errors, bad headers, ...
        raise UnitSkipped(f"unreadable: {one_line(exc)}") from None
    return b"".join(chunks)


def _write(dest: str, parts: list[str], data: bytes) -> None:
    """Write ``dest/parts...``; the folders are created by us, so none of them is a link."""
    folder = dest
    for p in parts[:-1]:
        folder = os.path.join(folder, p)
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            if not stat.S_ISDIR(os.lstat(folder).st_mode):
                raise OSError(0, "a file and a folder of the same name") from None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(os.path.join(folder, parts[-1]), flags, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
