"""Turn what a student hands in into a folder the sandbox can load as the package ``exercises``.

Accepted (shared/CONTRACT.md, "What a submission is"):

- a folder holding the six modules side by side, or under ``exercises/``, or inside a single
  top folder (what "Compress folder" produces) holding either;
- a ``.zip`` of any of those;
- notebooks: one ``.ipynb`` file, or a folder (or zip) of them.

``staged(path)`` copies what it finds into a fresh temporary folder, yields a :class:`Staged`,
and removes the folder afterwards whatever happens. The user's files are only ever read.

Archives are hostile input: member names are checked (no ``..``, no absolute names), symlinks
are ignored, only ``.py`` and ``.ipynb`` members are read, and the member count, the total
uncompressed size and each file's size are capped. A problem with the whole submission (no such
path, unreadable archive, nothing to grade) is a :class:`SubmissionError` whose text is one line
for the user; a problem with one file (not UTF-8, too big) skips that file with a note, so it
costs only its own points.

Notebooks become one module, ``exercises/_notebooks.py``, that runs the notebooks' definitions
(imports, ``def``, ``class``, assignments, ``if``/``try`` blocks) in order, each top-level
statement on its own: a statement that raises at import costs only the names it would have
defined (its error is kept in ``_CELL_ERRORS``). Bare expressions, loops, prints, asserts and
assignments that call the notebook's own functions (training runs, demos) are skipped: the
grader calls the functions itself. A statement that never finishes still stalls the whole
module, which then costs every notebook exercise. Each of the six exercise modules is an alias
of ``_notebooks``, so ``exercises.activations.sigmoid_prime`` is the notebook's definition and
a function the notebooks never define is missing (``getattr`` fails).
"""
from __future__ import annotations

import __future__ as _future
import ast
import contextlib
import importlib.util
import os
import re
import shutil
import stat
import sys
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from grader.contract import FUNCTIONS_BY_MODULE as CONTRACT_FUNCTIONS
from grader.contract import MODULES as EXERCISE_MODULES


# Limits on what one submission may hold. A course submission is a few dozen kB of code; notebooks
# with plots can reach a few MB. Archives beyond these are refused, files beyond them skipped.
MAX_MEMBERS = 5000  # entries in a zip (files and folders, read or not)
MAX_TOTAL_BYTES = 256 * 2**20  # declared uncompressed size of a zip, all members together
MAX_FILE_BYTES = 16 * 2**20  # one .py or .ipynb file
MAX_HELPERS = 20  # extra .py modules copied next to the exercise modules

# Folders that never hold a submission: macOS archive metadata, caches, notebook checkpoints
# (a checkpoint copy would define every function twice), version control.
IGNORED_DIRS = {"__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git", ".hg", ".svn",
                ".venv", "venv", "node_modules"}
# IPython cell magics whose body is still Python: the magic line is dropped, the body kept.
PYTHON_CELL_MAGICS = {"%%time", "%%timeit", "%%capture", "%%prun"}


class SubmissionError(Exception):
    """The submission cannot be graded at all; ``str(exc)`` is one line for the user."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


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
        result = _stage(Path(os.path.expanduser(str(path))), base)
        shutil.rmtree(base / "unpacked", ignore_errors=True)  # only ``root`` is needed now
        yield result
    finally:
        shutil.rmtree(base, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# Finding the submission


def _stage(path: Path, base: Path) -> Staged:
    notes: list[str] = []
    if not os.path.lexists(path):
        raise SubmissionError(f"no such file or folder: {path}")
    if not path.exists():
        raise SubmissionError(f"{path} is a broken symbolic link")
    if path.is_symlink():  # the user's own argument: follow it (links *inside* are never followed)
        path = path.resolve()
    if path.is_dir():
        label = f"folder {path.resolve().name or path}/"
        where = _locate(path, notes, label)
    elif path.is_file() and path.suffix.lower() == ".ipynb":
        return _stage_notebooks([path], base, "", notes)
    elif path.is_file() and (path.suffix.lower() == ".zip" or _looks_like_zip(path)):
        unpacked = base / "unpacked"
        unpacked.mkdir()
        _unzip(path, unpacked, notes)
        label = f"zip {path.name}"
        where = _locate(unpacked, notes, label)
    elif path.is_file() and path.suffix.lower() == ".py":
        raise SubmissionError(
            f"{path.name} is a single module; pass the folder that holds "
            f"{', '.join(m + '.py' for m in EXERCISE_MODULES)} (or a .zip of it)")
    else:
        raise SubmissionError(
            f"{path} is neither a folder, a .zip nor a notebook (.ipynb)")

    folder, layout, kind = where
    if kind == "modules":
        staged_ = _stage_modules(folder, base, notes)
        parts = [p for p in (layout, f"{len(staged_.modules)} modules") if p]
        staged_.source = f"{label} ({', '.join(parts)})"
        return staged_
    return _stage_notebooks(_notebook_files(folder), base, label, notes)


def _candidates(root: Path) -> list[tuple[Path, str]]:
    """Where the modules may sit, in order of preference when two places hold as many."""
    found = [(root / "exercises", "exercises/ inside"), (root, "")]
    subdirs = [d for d in _listdir(root)
               if d.is_dir() and not d.is_symlink() and not _ignored(d.name)]
    if len(subdirs) == 1 and subdirs[0].name != "exercises":
        top = subdirs[0]
        found += [(top / "exercises", f"{top.name}/exercises/ inside"),
                  (top, f"single top folder {top.name}/")]
    return found


def _locate(root: Path, notes: list[str], shown: str) -> tuple[Path, str, str]:
    """The folder holding the modules (or else the notebooks), its description, and which."""
    best: tuple[int, Path, str] | None = None
    holders = []
    for folder, layout in _candidates(root):
        if not folder.is_dir():
            continue
        if folder.is_symlink():
            notes.append(f"ignored {folder.name}/: a symbolic link")
            continue
        count = sum(_is_regular(folder / f"{m}.py") for m in EXERCISE_MODULES)
        if count:
            holders.append(folder)
        if count and (best is None or count > best[0]):
            best = (count, folder, layout)
    if best is not None:
        for other in holders:
            if other != best[1]:
                notes.append(f"also found exercise modules in {_rel(other, root)}; graded "
                             f"{_rel(best[1], root)}")
        if _notebook_files(best[1]):
            notes.append("ignored the notebooks: the .py modules were graded")
        return best[1], best[2], "modules"
    for folder, layout in _candidates_for_notebooks(root):
        if folder.is_dir() and not folder.is_symlink() and _notebook_files(folder):
            return folder, layout, "notebooks"
    zips = [p.name for p in _listdir(root) if p.suffix.lower() == ".zip"]
    hint = f"; pass the archive {zips[0]} itself" if len(zips) == 1 and shown.startswith("folder") \
        else ""
    raise SubmissionError(
        f"no exercise modules ({', '.join(m + '.py' for m in EXERCISE_MODULES)}) "
        f"and no notebooks found in {shown}{hint}")


def _candidates_for_notebooks(root: Path) -> list[tuple[Path, str]]:
    # Notebooks usually sit at the top; "exercises/" is for modules.
    c = _candidates(root)
    return [c[1], c[0], *reversed(c[2:])]


def _notebook_files(folder: Path) -> list[Path]:
    files = [p for p in _listdir(folder)
             if p.suffix.lower() == ".ipynb" and not p.name.startswith(".")
             and not p.stem.endswith("-checkpoint") and _is_regular(p)]
    return sorted(files, key=lambda p: _natural_key(p.name))


def _natural_key(name: str) -> list:
    """Sort "2-x" before "10-x": notebooks are numbered by people."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t.lower()) for t in re.split(r"(\d+)", name)]


def _listdir(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError:
        return []


def _ignored(name: str) -> bool:
    return name in IGNORED_DIRS or name.startswith(".")


def _is_regular(p: Path) -> bool:
    """A regular file, not a symlink, FIFO or device (reading a FIFO would block forever)."""
    try:
        return stat.S_ISREG(os.lstat(p).st_mode)
    except OSError:
        return False


def _rel(p: Path, root: Path) -> str:
    return (p.relative_to(root).as_posix() + "/") if p != root else "the top folder"


def _read_regular(p: Path, notes: list[str]) -> bytes | None:
    """The bytes of a regular file within the size cap, or None with a note."""
    try:
        st = os.lstat(p)
        if not stat.S_ISREG(st.st_mode):
            notes.append(f"skipped {p.name}: not a regular file")
            return None
        if st.st_size > MAX_FILE_BYTES:
            notes.append(f"skipped {p.name}: {_size(st.st_size)} (limit {_size(MAX_FILE_BYTES)})")
            return None
        with open(p, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        notes.append(f"skipped {p.name}: cannot read it ({exc.strerror or exc})")
        return None
    if len(data) > MAX_FILE_BYTES:
        notes.append(f"skipped {p.name}: larger than {_size(MAX_FILE_BYTES)}")
        return None
    return data


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"  # pragma: no cover


def _looks_like_zip(p: Path) -> bool:
    try:
        return zipfile.is_zipfile(p)
    except OSError:
        return False


# --------------------------------------------------------------------------------------------
# Zip archives: hostile input


def _unzip(archive: Path, dest: Path, notes: list[str]) -> None:
    """Write the archive's safe .py/.ipynb members under ``dest``; never anywhere else."""
    name = archive.name
    try:
        size = archive.stat().st_size
        if size > MAX_TOTAL_BYTES:
            raise SubmissionError(
                f"{name} is {_size(size)} (limit {_size(MAX_TOTAL_BYTES)}): refused")
        zf = zipfile.ZipFile(archive)
    except SubmissionError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
            NotImplementedError, RuntimeError) as exc:
        raise SubmissionError(f"{name} is not a readable zip archive ({_one_line(exc)})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise SubmissionError(
                f"{name} holds {len(infos)} entries (limit {MAX_MEMBERS}): refused")
        total = sum(max(i.file_size, 0) for i in infos)
        if total > MAX_TOTAL_BYTES:
            raise SubmissionError(
                f"{name} would unpack to {_size(total)} (limit {_size(MAX_TOTAL_BYTES)}): "
                "refused as a possible zip bomb")
        dest_real = dest.resolve()
        unsafe, links, other, skipped = [], [], [], []
        metadata = False
        written = 0
        for info in infos:
            raw = info.filename.replace("\\", "/")
            if raw.endswith("/"):
                continue
            parts = [p for p in raw.split("/") if p not in ("", ".")]
            if (raw.startswith("/") or re.match(r"^[A-Za-z]:", raw) or ".." in parts
                    or not parts or any("\0" in p for p in parts)):
                unsafe.append(raw)
                continue
            if any(_ignored(p) for p in parts[:-1]) or parts[-1].startswith("._"):
                metadata = True
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                links.append(raw)
                continue
            suffix = Path(parts[-1]).suffix.lower()
            if suffix not in (".py", ".ipynb") or parts[-1].startswith("."):
                other.append(raw)
                continue
            if len(parts) > 3:  # deeper than top/exercises/x.py: never part of a submission
                other.append(raw)
                continue
            if info.flag_bits & 0x1:
                skipped.append(f"{raw} (encrypted)")
                continue
            if info.file_size > MAX_FILE_BYTES:
                skipped.append(f"{raw} ({_size(info.file_size)}, limit {_size(MAX_FILE_BYTES)})")
                continue
            try:
                with zf.open(info) as f:
                    data = f.read(MAX_FILE_BYTES + 1)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError,
                    RuntimeError, Exception) as exc:  # zlib.error, CRC errors, bad headers...
                skipped.append(f"{raw} (unreadable: {_one_line(exc)})")
                continue
            if len(data) > MAX_FILE_BYTES:
                skipped.append(f"{raw} (larger than {_size(MAX_FILE_BYTES)})")
                continue
            written += len(data)
            if written > MAX_TOTAL_BYTES:  # cannot happen with honest headers; belt and braces
                raise SubmissionError(
                    f"{name} unpacks to more than {_size(MAX_TOTAL_BYTES)}: refused")
            target = dest.joinpath(*parts)
            try:
                # Defence in depth: the checks above already exclude every escape.
                if not target.resolve().is_relative_to(dest_real):
                    unsafe.append(raw)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "xb") as out:  # "x": a duplicate name never overwrites
                    out.write(data)
            except FileExistsError:
                skipped.append(f"{raw} (a second member with the same name)")
            except OSError as exc:
                skipped.append(f"{raw} ({exc.strerror or exc})")
    if metadata:
        notes.append("ignored __MACOSX/, hidden and cache folders (not part of a submission)")
    if unsafe:
        notes.append(f"refused {len(unsafe)} member(s) with unsafe names ({_some(unsafe)})")
    if links:
        notes.append(f"ignored {len(links)} symbolic link(s) ({_some(links)})")
    if other:
        notes.append(f"ignored {len(other)} other file(s) ({_some(other)}): only .py and .ipynb "
                     "files are graded")
    if skipped:
        notes.append(f"skipped {_some(skipped, 3)}")


def _some(items: list[str], k: int = 2) -> str:
    shown = ", ".join(items[:k])
    return shown + (f", … {len(items) - k} more" if len(items) > k else "")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


# --------------------------------------------------------------------------------------------
# Modules


def _new_package(base: Path) -> tuple[Path, Path]:
    root = base / "stage"
    pkg = root / "exercises"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    return root, pkg


def _decode(name: str, data: bytes, notes: list[str]) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        notes.append(f"skipped {name}: not UTF-8 (byte 0x{data[exc.start]:02x} at offset "
                     f"{exc.start}); save it as UTF-8")
        return None


def _stage_modules(folder: Path, base: Path, notes: list[str]) -> Staged:
    root, pkg = _new_package(base)
    found, sources = [], {}
    for m in EXERCISE_MODULES:
        p = folder / f"{m}.py"
        if not os.path.lexists(p):
            continue
        if p.is_symlink():
            notes.append(f"skipped {m}.py: a symbolic link")
            continue
        data = _read_regular(p, notes)
        text = None if data is None else _decode(p.name, data, notes)
        if text is None:
            continue
        found.append(m)
        sources[m] = text
    missing = [m + ".py" for m in EXERCISE_MODULES if m not in found]
    if missing:
        notes.append(f"missing: {', '.join(missing)} (only their exercises score 0)")

    # Helpers the student's modules may import (from .utils import ...).
    helpers = []
    for p in _listdir(folder):
        stem = p.stem
        if (p.suffix != ".py" or stem in EXERCISE_MODULES or not stem.isidentifier()
                or stem in ("__init__", "_notebooks", "conftest", "setup")
                or stem.startswith("test_") or stem.endswith("_test") or not _is_regular(p)):
            continue
        if len(helpers) >= MAX_HELPERS:
            notes.append(f"copied only {MAX_HELPERS} helper modules")
            break
        data = _read_regular(p, notes)
        text = None if data is None else _decode(p.name, data, notes)
        if text is not None:
            helpers.append(p.name)
            sources[stem] = text
    if helpers:
        notes.append(f"also copied helper module(s): {', '.join(helpers)}")

    init = folder / "__init__.py"
    if _is_regular(init):
        data = _read_regular(init, [])
        if data and _has_code(data):
            notes.append("your exercises/__init__.py was replaced by an empty one")

    # A helper named like a real module (numpy.py) is not a sibling to import relatively.
    siblings = set(found) | {h for h in sources
                             if h not in EXERCISE_MODULES and not _real_module(h)}
    rewritten = []
    for name, text in sources.items():
        text, changed = _package_imports(text, siblings)
        if changed:
            rewritten.append(f"{name}.py ({', '.join(changed)})")
        (pkg / f"{name}.py").write_text(text, encoding="utf-8")
    if rewritten:
        notes.append(f"sibling modules imported as top-level modules, graded as relative imports: "
                     f"{_some(rewritten, 3)}; write `from .activations import …`")
    _open_up(root)
    return Staged(root=root, modules=found, source="", notes=notes)


def _has_code(data: bytes) -> bool:
    try:
        tree = ast.parse(data.decode("utf-8-sig"))
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return True
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # a docstring only
    return bool(body)


def _real_module(name: str) -> bool:
    if name in sys.stdlib_module_names:
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return True


def _package_imports(text: str, siblings: set[str]) -> tuple[str, list[str]]:
    """``from activations import x`` → ``from .activations import x`` (and ``import activations``
    → ``from . import activations``), in the staged copy only.

    Such imports work when the student runs a script in their own folder, but the grader loads the
    files as the package ``exercises``, where only relative or ``exercises.``-qualified imports
    find a sibling. Rewriting (rather than adding top-level alias modules) behaves the same in every
    isolation mode. Anything not understood is left as it is.
    """
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return text, []
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, int, int, bytes]] = []  # (line index, byte start, byte end, new)
    changed: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in siblings:
            line = lines[node.lineno - 1].encode("utf-8")
            m = re.match(rb"from[ \t]+", line[node.col_offset:])
            if m and line[node.col_offset + m.end():].startswith(node.module.encode()):
                at = node.col_offset + m.end()
                edits.append((node.lineno - 1, at, at, b"."))
                changed.append(node.module)
        elif (isinstance(node, ast.Import) and node.lineno == node.end_lineno
              and all(a.name in siblings for a in node.names)):
            new = "from . import " + ", ".join(
                a.name + (f" as {a.asname}" if a.asname else "") for a in node.names)
            edits.append((node.lineno - 1, node.col_offset, node.end_col_offset, new.encode()))
            changed += [a.name for a in node.names]
    for i, start, end, new in sorted(edits, reverse=True):
        line = lines[i].encode("utf-8")
        lines[i] = (line[:start] + new + line[end:]).decode("utf-8")
    return "".join(lines), sorted(set(changed))


def _open_up(root: Path) -> None:
    """The sandbox runs as an unprivileged user: it must be able to read the staged files."""
    for dirpath, dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for f in filenames:
            os.chmod(os.path.join(dirpath, f), 0o644)
    os.chmod(root.parent, 0o755)


# --------------------------------------------------------------------------------------------
# Notebooks

_MAGIC_LINE = re.compile(r"^\s*(%|!(?!=)|[\w.,\s]+=\s*[%!](?!=)|[\w.]+\?\??\s*$|\?\??[\w.]+\s*$)")
_KEEP = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
         ast.Assign, ast.AnnAssign, ast.AugAssign, ast.If, ast.Try)
if hasattr(ast, "TryStar"):  # Python 3.11+
    _KEEP += (ast.TryStar,)
_CONTRACT_NAMES = {f for fs in CONTRACT_FUNCTIONS.values() for f in fs}


@dataclass
class _Chunk:
    line: int  # first line of the statement in its cell (1-based)
    source: str
    flags: int


@dataclass
class _Cell:
    label: str  # "hw.ipynb [code cell 3]"
    source: str  # the cell as compiled (magic lines blanked), for tracebacks
    chunks: list[_Chunk]


def _read_notebook(name: str, data: bytes, notes: list[str]):
    text = _decode(name, data, notes)
    if text is None:
        return None
    try:
        import nbformat
    except ImportError:  # pragma: no cover - nbformat is a dependency
        raise SubmissionError("reading notebooks needs nbformat: pip install nbformat") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises many kinds (JSON, validation, version)
        notes.append(f"skipped {name}: not a readable notebook ({_one_line(exc)})")
        return None


def _cell_source(cell) -> str:
    src = cell.get("source", "") if hasattr(cell, "get") else ""
    return "".join(src) if isinstance(src, list) else str(src or "")


def _stage_notebooks(paths: list[Path], base: Path, label: str, notes: list[str]) -> Staged:
    """``label``: where the notebooks came from ("folder nb/", "zip hw.zip"), "" for one file."""
    parsed = []  # (notebook name, [(code cell number, cell label, source, tree)])
    problems: list[str] = []
    for path in paths:
        name = path.name
        data = _read_regular(path, problems)
        nb = None if data is None else _read_notebook(name, data, problems)
        if nb is None:
            continue
        cells, tests, magics, bad = [], 0, [], []
        code_no = 0
        for cell in nb.get("cells", []):
            if cell.get("cell_type") != "code":
                continue
            code_no += 1
            meta = (cell.get("metadata") or {}).get("nbgrader") or {}
            if meta.get("grade") and not meta.get("solution"):
                tests += 1
                continue
            src, dropped = _strip_magics(_cell_source(cell))
            if src is None:
                bad.append(f"{code_no} (a non-Python cell magic)")
                continue
            if dropped:
                magics.append(code_no)
            try:
                tree = ast.parse(src)
            except (SyntaxError, ValueError) as exc:
                where = f", line {exc.lineno}" if getattr(exc, "lineno", None) else ""
                bad.append(f"{code_no} (SyntaxError{where}: {getattr(exc, 'msg', exc)})")
                continue
            cells.append((code_no, f"{name} [code cell {code_no}]", src, tree))
        if tests:
            notes.append(f"{name}: skipped {tests} nbgrader test cell(s)")
        if magics:
            notes.append(f"{name}: dropped IPython magic/shell lines in code cell(s) "
                         f"{', '.join(map(str, magics))}")
        if bad:
            notes.append(f"{name}: skipped code cell {'; '.join(bad)}")
        parsed.append((name, cells))
    notes += problems
    if not parsed:
        what = f"notebook {paths[0].name}" if len(paths) == 1 else f"any notebook in {label}"
        reason = problems[-1].removeprefix("skipped ") if problems else "no notebook"
        if len(paths) == 1:
            reason = reason.removeprefix(f"{paths[0].name}: ")
        raise SubmissionError(f"cannot read {what}: {reason}")
    n = len(parsed)
    if not label:
        source = f"notebook {paths[0].name}"
    elif label.startswith("zip"):
        source = f"{label} ({n} notebook{'s' if n != 1 else ''})"
    else:
        source = f"{n} notebook{'s' if n != 1 else ''} in {label}"

    own = {node.name for _, cells in parsed for *_, tree in cells for node in tree.body
           if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    out_cells: list[_Cell] = []
    bound: set[str] = set()
    star = False
    for name, cells in parsed:
        flags = 0
        dropped_in: list[int] = []
        for code_no, label, src, tree in cells:
            chunks = []
            for node in tree.body:
                if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                    for alias in node.names:
                        feature = getattr(_future, alias.name, None)
                        if feature is not None:
                            flags |= feature.compiler_flag
                if not _keep(node, own):
                    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
                        dropped_in.append(code_no)
                    continue
                names, has_star = _bound_names(node)
                bound |= names
                star |= has_star
                line, seg = _segment(src, node)
                chunks.append(_Chunk(line, seg, flags))
            if chunks:
                out_cells.append(_Cell(label, src, chunks))
        if dropped_in:
            cells_txt = ", ".join(map(str, sorted(set(dropped_in))))
            notes.append(f"{name}: skipped {len(dropped_in)} top-level statement(s) that only run "
                         f"code (code cell(s) {cells_txt}); the grader calls your functions itself")

    root, pkg = _new_package(base)
    (pkg / "_notebooks.py").write_text(_notebooks_module(out_cells), encoding="utf-8")
    for m in EXERCISE_MODULES:
        (pkg / f"{m}.py").write_text(
            f'"""{m}: the definitions from your notebooks (see _notebooks.py)."""\n'
            "# The same module object as _notebooks: the names the notebooks define, no others.\n"
            "import sys as _sys\n\nfrom . import _notebooks\n\n"
            "_sys.modules[__name__] = _notebooks\n",
            encoding="utf-8")
    found = [m for m in EXERCISE_MODULES if star or bound & set(CONTRACT_FUNCTIONS[m])]
    missing = [f for m in EXERCISE_MODULES for f in CONTRACT_FUNCTIONS[m] if f not in bound]
    if missing and not star:
        notes.append(f"not defined in the notebooks: {_some(missing, 4)} (only they score 0)")
    notes.append("notebook statements run one at a time at import: one that raises costs only "
                 "what it defines")
    _open_up(root)
    return Staged(root=root, modules=found, source=source, notes=notes)


def _strip_magics(src: str) -> tuple[str | None, bool]:
    """(Python source, whether lines were dropped); None when the cell is not Python at all.

    Magic lines are blanked rather than removed so that line numbers still match the cell.
    Valid Python is never touched: stripping is tried only when the cell does not parse.
    """
    lines = src.splitlines()
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    dropped = False
    if first is not None and lines[first].lstrip().startswith("%%"):
        if lines[first].split()[0] not in PYTHON_CELL_MAGICS:
            return None, True
        lines[first] = ""
        dropped = True
    joined = "\n".join(lines)
    try:
        ast.parse(joined)
        return joined, dropped
    except (SyntaxError, ValueError):
        pass
    out = []
    for ln in lines:
        if _MAGIC_LINE.match(ln) and not _parses(ln.strip()):
            out.append("")
            dropped = True
        else:
            out.append(ln)
    return "\n".join(out), dropped


def _parses(line: str) -> bool:
    try:
        ast.parse(line)
        return True
    except (SyntaxError, ValueError):
        return False


def _keep(node: ast.stmt, own: set[str]) -> bool:
    """Definitions are kept; statements that only run code are not (see the module docstring)."""
    if not isinstance(node, _KEEP):
        return False
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value is not None:
        calls_own = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                        and n.func.id in own for n in ast.walk(node.value))
        if calls_own and not (_bound_names(node)[0] & _CONTRACT_NAMES):
            return False  # e.g. `params, losses = train(...)`: a demo run, not a definition
    return True


def _bound_names(node: ast.stmt) -> tuple[set[str], bool]:
    """Names a top-level statement binds (if/try blocks included), and whether it star-imports."""
    names: set[str] = set()
    star = False
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        names.add(node.name)
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        for a in node.names:
            if a.name == "*":
                star = True
            else:
                names.add(a.asname or a.name.split(".")[0])
    elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for t in targets:
            names |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
    else:
        for attr in ("body", "orelse", "finalbody", "handlers"):
            for child in getattr(node, attr, []) or []:
                sub = child.body if isinstance(child, ast.ExceptHandler) else [child]
                for s in sub:
                    n, st = _bound_names(s)
                    names |= n
                    star |= st
    return names, star


def _segment(src: str, node: ast.stmt) -> tuple[int, str]:
    """(first line, source text) of a top-level statement, decorators included."""
    decorators = getattr(node, "decorator_list", None)
    if decorators:
        first = min([node.lineno] + [d.lineno for d in decorators])
        lines = src.splitlines()
        return first, "\n".join(lines[first - 1:node.end_lineno])
    seg = ast.get_source_segment(src, node)
    return node.lineno, seg if seg is not None else ast.unparse(node)


def _notebooks_module(cells: list[_Cell]) -> str:
    out = [
        '"""The code of your notebooks, written by bpcourse.',
        "",
        "Each top-level definition runs on its own, in notebook order: one that raises costs only",
        "the names it would have defined; its error is listed in _CELL_ERRORS.",
        '"""',
        "import linecache as _bpc_linecache",
        "import os as _bpc_os",
        "",
        "_CELL_ERRORS = []",
        "",
        "",
        "def _bpc_file(_bpc_label):",
        "    # A name inside the package folder: tracebacks count these frames as the student's.",
        "    return _bpc_os.path.join(_bpc_os.path.dirname(__file__), _bpc_label)",
        "",
        "",
        "def _bpc_cell(_bpc_label, _bpc_source):",
        "    # Register the cell's text so that tracebacks show its lines.",
        "    _bpc_linecache.cache[_bpc_file(_bpc_label)] = (",
        "        len(_bpc_source), None, _bpc_source.splitlines(True), _bpc_file(_bpc_label))",
        "",
        "",
        "def _bpc_run(_bpc_label, _bpc_line, _bpc_source, _bpc_flags):",
        "    try:",
        "        _bpc_code = compile('\\n' * (_bpc_line - 1) + _bpc_source, _bpc_file(_bpc_label),",
        "                            'exec', _bpc_flags, True)",
        "        exec(_bpc_code, globals())",
        "    except (Exception, SystemExit) as _bpc_exc:",
        "        _CELL_ERRORS.append(",
        "            f'{_bpc_label}, line {_bpc_line}: {type(_bpc_exc).__name__}: {_bpc_exc}')",
        "",
    ]
    for cell in cells:
        out.append("")
        out.append(f"_bpc_cell({cell.label!r}, {cell.source!r})")
        for ch in cell.chunks:
            out.append(f"_bpc_run({cell.label!r}, {ch.line}, {ch.source!r}, {ch.flags})")
    out += ["", "del _bpc_cell, _bpc_run", ""]  # _bpc_file stays: linecache names use it
    return "\n".join(out)
