"""Staging a folder of ``.py`` modules: the six exercise modules and the helpers they import.

Each module is read (within its cap), decoded as Python decodes it (BOM, ``coding:`` line),
and its top-level sibling imports are rewritten as relative ones. Every parse happens inside a
unit (see ``_child.Units``): a module too large, too deep or too slow to parse is written
unchanged or skipped with a note, never a crash.
"""
from __future__ import annotations

import ast
import codecs
import importlib.util
import io
import os
import sys
import tokenize

from grader.submission._common import EXERCISE_MODULES, Caps, UnitSkipped, shown, some
from grader.submission._files import Budget, Dir


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding) as Python would read the file; :class:`UnitSkipped` if it cannot."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except (SyntaxError, LookupError, ValueError):  # no valid cookie, bytes not UTF-8...
        encoding = "utf-8"  # ...which the decoding below says in the note
    if encoding != "utf-8-sig":
        probe = "from . import x\n"
        try:
            ascii_ok = probe.encode(encoding) == probe.encode() and \
                codecs.lookup(encoding).name != "utf-8-sig"
        except (LookupError, UnicodeError):
            ascii_ok = False
        if not ascii_ok:
            raise UnitSkipped(f"encoding {shown(encoding, 30)} is not supported; save it as UTF-8")
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as exc:
        what = "UTF-8" if encoding.startswith("utf-8") else shown(encoding, 30)
        raise UnitSkipped(f"not {what} (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                          "save it as UTF-8") from None


def lines_of(text: str) -> list[str]:
    """The lines as Python's tokenizer counts them: split at \\n, \\r\\n and \\r only (never at
    \\f, \\v, U+2028... which ``str.splitlines`` also splits at), ends kept."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    return [ln + "\n" for ln in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def stage_modules(folder: Dir, pkg: str, caps: Caps, budget: Budget, code: Budget,
                  notes: list[str], units) -> list[str]:
    """Write the modules found in ``folder`` into the package folder ``pkg``; which were found."""
    found: list[str] = []
    sources: dict[str, tuple[str, str, bytes]] = {}  # name → (text, encoding, original bytes)
    for m in EXERCISE_MODULES:
        if folder.kind(f"{m}.py") is None:
            continue
        got = _read(folder, f"{m}.py", caps, budget, code, notes)
        if got is not None:
            found.append(m)
            sources[m] = got
    missing = [m + ".py" for m in EXERCISE_MODULES if m not in found]
    if missing:
        notes.append(f"missing: {', '.join(missing)} (only their exercises score 0)")

    # Helpers the student's modules may import (from .utils import ...).
    helpers = []
    for fname in folder.names("file"):
        stem, suffix = os.path.splitext(fname)
        if (suffix != ".py" or stem in EXERCISE_MODULES or not stem.isidentifier()
                or stem in ("__init__", "_notebooks", "conftest", "setup")
                or stem.startswith("test_") or stem.endswith("_test")):
            continue
        if len(helpers) >= caps.helpers:
            notes.append(f"copied only {caps.helpers} helper modules")
            break
        got = _read(folder, fname, caps, budget, code, notes)
        if got is not None:
            helpers.append(fname)
            sources[stem] = got
    if helpers:
        notes.append(f"also copied helper module(s): {some(helpers, 5)}")

    if folder.kind("__init__.py") == "file":
        try:
            data = folder.read("__init__.py", caps.module_bytes)
            has_code = units.run(f"{folder.rel}__init__.py", _has_code, data)
        except UnitSkipped:
            has_code = True
        if has_code:
            notes.append("your exercises/__init__.py was replaced by an empty one")

    # A helper named like a real module (numpy.py) is not a sibling to import relatively.
    siblings = set(found) | {h for h in sources if h not in EXERCISE_MODULES and not _real(h)}
    rewritten, unparsed = [], []
    for name, (text, encoding, data) in sources.items():
        try:
            new, changed = units.run(f"module {name}.py", rewrite_imports, text, siblings)
        except UnitSkipped as exc:
            new, changed = None, []
            unparsed.append(f"{name}.py ({exc})")
        if changed:
            rewritten.append(f"{name}.py ({', '.join(changed)})")
        if new is None:  # unchanged: the student's own bytes (less a UTF-8 BOM)
            out = data[3:] if data.startswith(codecs.BOM_UTF8) else data
        else:
            out = new.encode("utf-8" if encoding.startswith("utf-8") else encoding)
        with open(os.path.join(pkg, f"{name}.py"), "xb") as f:
            f.write(out)
    if rewritten:
        notes.append(f"sibling modules imported as top-level modules, graded as relative imports: "
                     f"{some(rewritten, 3)}; write `from .activations import …`")
    if unparsed:
        notes.append(f"could not check the imports of {some(unparsed, 3)}: copied as they are")
    return found


def _read(folder: Dir, fname: str, caps: Caps, budget: Budget, code: Budget,
          notes: list[str]) -> tuple[str, str, bytes] | None:
    try:
        data = folder.read(fname, caps.module_bytes, budget)
        if not code.take(len(data)):
            raise UnitSkipped(f"the submission's code together exceeds {code.limit >> 20} MiB")
        text, encoding = decode(data)
    except UnitSkipped as exc:
        notes.append(f"skipped {shown(fname)}: {exc}")
        return None
    return text, encoding, data


def _has_code(data: bytes) -> bool:
    try:
        tree = ast.parse(decode(data)[0])
    except (SyntaxError, ValueError, UnitSkipped):
        return True
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # a docstring only
    return bool(body)


def _real(name: str) -> bool:
    if name in sys.stdlib_module_names:
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return True


def rewrite_imports(text: str, siblings: set[str]) -> tuple[str | None, list[str]]:
    """``from activations import x`` → ``from .activations import x`` (and ``import activations``
    → ``from . import activations``), in the staged copy only; (None, []) when nothing changes.

    Such imports work when the student runs a script in their own folder, but the grader loads the
    files as the package ``exercises``, where only relative or ``exercises.``-qualified imports
    find a sibling. Rewriting (rather than adding top-level alias modules) behaves the same in every
    isolation mode. Anything not understood is left as it is. Raises :class:`UnitSkipped` when
    the module does not parse (it then fails at import, costing its own exercises).
    """
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError) as exc:
        raise UnitSkipped(f"{type(exc).__name__}: {getattr(exc, 'msg', None) or exc}") from None
    lines = lines_of(text)
    edits: list[tuple[int, int, int, bytes]] = []  # (line index, byte start, byte end, new)
    changed: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in siblings:
            line = lines[node.lineno - 1].encode("utf-8")
            rest = line[node.col_offset:]
            if rest.startswith(b"from"):
                gap = len(rest[4:]) - len(rest[4:].lstrip(b" \t"))
                at = node.col_offset + 4 + gap
                if gap and line[at:].startswith(node.module.encode()):
                    edits.append((node.lineno - 1, at, at, b"."))
                    changed.append(node.module)
        elif (isinstance(node, ast.Import) and node.lineno == node.end_lineno
              and all(a.name in siblings for a in node.names)):
            new = "from . import " + ", ".join(
                a.name + (f" as {a.asname}" if a.asname else "") for a in node.names)
            edits.append((node.lineno - 1, node.col_offset, node.end_col_offset, new.encode()))
            changed += [a.name for a in node.names]
    if not edits:
        return None, []
    for i, start, end, new in sorted(edits, reverse=True):
        line = lines[i].encode("utf-8")
        lines[i] = (line[:start] + new + line[end:]).decode("utf-8")
    return "".join(lines), sorted(set(changed))
