"""Find each student's submission in what an instructor downloaded.

Three layouts (see :func:`collect`):

- a folder with one entry per student: a subfolder, a ``.zip``, a notebook or a ``.py``
  file; the student is the entry's name (without its extension);
- an nbgrader ``submitted/`` tree: ``submitted/<student>/<assignment>/…`` (the folder given
  may be ``submitted`` itself or the course folder holding it);
- a learning-management system's bulk download: one ``.zip`` whose members carry the
  student's name in their file name (Canvas: ``name_123_456_file.py``, with ``_late``;
  Moodle: ``Full Name_123_assignsubmission_file_/file.zip``; otherwise the member's name).

Names are written by students (a file name is theirs), so each student gets a ``key`` made
only of ``[A-Za-z0-9._-]`` for paths (with a hash of the raw name when anything was
replaced, so two names never share a key) and a display ``name`` passed through
:func:`grader.sanitize.line`. Unpacking the bulk zip reads only regular members, streamed
and counted, under caps on members and bytes.
"""
from __future__ import annotations

import hashlib
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader import sanitize

SUBMISSION_SUFFIXES = (".zip", ".ipynb", ".py")
MAX_STUDENTS = 20_000
# A bulk download: caps on what is unpacked from it (each student's own zip is then capped
# again by the grader's loader).
MAX_BULK_MEMBERS = 200_000
MAX_BULK_MEMBER_BYTES = 64 * 2**20
MAX_BULK_BYTES = 8 * 2**30
KEY_CHARS = 80

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_CANVAS = re.compile(r"^(?P<name>[^_]+?)(?:_LATE|_late)?_(?P<uid>\d+)_(?P<sid>\d+)_(?P<file>.+)$")
_MOODLE = re.compile(r"^(?P<name>.+?)_(?P<uid>\d+)_assignsubmission_[A-Za-z]+_?$")


class CollectError(Exception):
    """Nothing can be collected from this path; the message is one line for the user."""


@dataclass(frozen=True)
class Student:
    key: str  # safe for file names, unique in a class
    name: str  # sanitised display name
    path: Path  # what to hand to the grader: a folder, a .zip, a notebook


def student_key(raw: str) -> str:
    """A file-name-safe key for the student called ``raw`` (stable: the same name, the same key)."""
    slug = _UNSAFE.sub("_", raw).strip("._-")[:KEY_CHARS] or "student"
    if slug != raw:
        slug += "-" + hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return slug


def display_name(raw: str) -> str:
    return sanitize.line(raw, sanitize.NAME_CHARS) or "(no name)"


def _student(raw: str, path: Path) -> Student:
    return Student(student_key(raw), display_name(raw), path)


def collect(source: Path, work: Path, *, assignment: str | None = None) -> list[Student]:
    """Every student's submission in ``source``, sorted by key; ``work`` is an empty folder
    where a bulk download is unpacked. Raises :class:`CollectError`."""
    source = Path(source)
    if source.is_file():
        if not zipfile.is_zipfile(source):
            raise CollectError(f"{sanitize.line(source.name)} is neither a folder nor a zip")
        students = _bulk_zip(source, work)
    elif source.is_dir():
        nbgrader = _nbgrader_root(source)
        students = (_nbgrader(nbgrader, assignment) if nbgrader is not None
                    else _folder(source))
    else:
        raise CollectError(f"no such file or folder: {sanitize.line(str(source))}")
    if not students:
        raise CollectError(f"no submissions found in {sanitize.line(str(source))}")
    keys = [s.key for s in students]
    if len(set(keys)) != len(keys):  # pragma: no cover - keys carry a hash of the raw name
        raise CollectError("two students have the same key")
    return sorted(students, key=lambda s: s.key)


def _entries(folder: Path) -> list[Path]:
    out = []
    for i, entry in enumerate(sorted(folder.iterdir())):
        if i >= MAX_STUDENTS:
            raise CollectError(f"more than {MAX_STUDENTS} entries in {sanitize.line(str(folder))}")
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        out.append(entry)
    return out


def _folder(folder: Path) -> list[Student]:
    students = []
    for entry in _entries(folder):
        if entry.is_dir():
            students.append(_student(entry.name, entry))
        elif entry.is_file() and entry.suffix.lower() in SUBMISSION_SUFFIXES:
            students.append(_student(entry.stem, entry))
    return students


def _nbgrader_root(folder: Path) -> Path | None:
    if folder.name == "submitted":
        return folder
    sub = folder / "submitted"
    return sub if sub.is_dir() and not sub.is_symlink() else None


def _nbgrader(submitted: Path, assignment: str | None) -> list[Student]:
    """``submitted/<student>/<assignment>/``: one assignment (``assignment``, or the only one)."""
    names = {a.name for s in _entries(submitted) if s.is_dir()
             for a in _entries(s) if a.is_dir()}
    if assignment is None:
        if len(names) > 1:
            shown = ", ".join(sorted(sanitize.line(n, 40) for n in names)[:5])
            raise CollectError(f"several assignments in {submitted} ({shown}); "
                               "choose one with --assignment")
        assignment = next(iter(names), None)
    students = []
    for s in _entries(submitted):
        if s.is_dir() and assignment is not None and (s / assignment).is_dir():
            students.append(_student(s.name, s / assignment))
    return students


def _bulk_owner(member: str) -> tuple[str, str] | None:
    """(student's raw name, file name) of one member of a bulk download, or None to skip."""
    parts = [p for p in PurePosixPath(member.replace("\\", "/")).parts if p not in ("", "/")]
    if not parts or any(p == ".." for p in parts) or parts[-1].startswith((".", "__MACOSX")):
        return None
    if parts[0] == "__MACOSX":
        return None
    if len(parts) > 1:  # Moodle: one folder per student
        m = _MOODLE.match(parts[0])
        return (m.group("name") if m else parts[0]), "/".join(parts[1:])
    m = _CANVAS.match(parts[0])
    if m:
        name = re.sub(r"-\d+(?=\.[^.]+$)", "", m.group("file"))  # Canvas renames resubmissions
        return m.group("name"), name
    stem = PurePosixPath(parts[0]).stem
    return stem, parts[0]


def _bulk_zip(archive: Path, work: Path) -> list[Student]:
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise CollectError(f"cannot read {sanitize.line(archive.name)}: "
                           f"{sanitize.line(str(exc))}") from None
    total = 0
    files: dict[str, list[tuple[zipfile.ZipInfo, str]]] = {}
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_BULK_MEMBERS:
            raise CollectError(f"more than {MAX_BULK_MEMBERS} members in "
                               f"{sanitize.line(archive.name)}")
        for info in infos:
            mode = info.external_attr >> 16
            if info.is_dir() or stat.S_IFMT(mode) not in (0, stat.S_IFREG):
                continue  # folders, symlinks, devices
            owner = _bulk_owner(info.filename)
            if owner is not None:
                files.setdefault(owner[0], []).append((info, owner[1]))
        if len(files) > MAX_STUDENTS:
            raise CollectError(f"more than {MAX_STUDENTS} students in {archive.name}")
        students = []
        for raw, members in files.items():
            key = student_key(raw)
            dest = work / key
            dest.mkdir(parents=True)
            for info, name in members:
                target = dest / "/".join(_safe_part(p) for p in name.split("/"))
                target.parent.mkdir(parents=True, exist_ok=True)
                total += _extract(zf, info, target, MAX_BULK_BYTES - total)
            entries = [p for p in dest.iterdir()]
            # One zip or notebook per student is handed over as it is; anything else as a folder.
            path = (entries[0] if len(entries) == 1 and entries[0].is_file()
                    and entries[0].suffix.lower() in (".zip", ".ipynb") else dest)
            students.append(Student(key, display_name(raw), path))
    return students


def _safe_part(part: str) -> str:
    return _UNSAFE.sub("_", part).lstrip(".")[:KEY_CHARS] or "file"


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, room: int) -> int:
    """Copy one member, counting the bytes actually produced (never trusting the header).

    A member that is too large or broken is left out (that student's folder lacks the file,
    which costs only them); when the whole download is too large, collecting stops."""
    limit = min(MAX_BULK_MEMBER_BYTES, room)
    written = 0
    try:
        with zf.open(info) as src, open(target, "xb") as dst:
            while True:
                chunk = src.read(1 << 16)
                if not chunk:
                    return written
                written += len(chunk)
                if written > limit:
                    break
                dst.write(chunk)
    except FileExistsError:
        return 0  # two members with the same safe name: the first one is kept
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError,
            ValueError):
        pass
    target.unlink(missing_ok=True)
    if written > limit and limit == room:
        raise CollectError(f"the bulk download unpacks to more than {MAX_BULK_BYTES} bytes")
    return 0


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
