"""Notebooks become one module, ``exercises/_notebooks.py``, that runs their definitions.

The module runs the notebooks' definitions (imports, ``def``, ``class``, assignments,
``if``/``try`` blocks) in order, each top-level statement on its own: a statement that raises at
import costs only the names it would have defined (its error is kept in ``_CELL_ERRORS``). Bare
expressions, loops, prints, asserts and assignments that call the notebook's own functions
(training runs, demos) are skipped: the grader calls the functions itself. A statement that
never finishes still stalls the whole module, which then costs every notebook exercise. Each of
the six exercise modules is an alias of ``_notebooks``, so ``exercises.activations.sigmoid_prime``
is the notebook's definition and a function the notebooks never define is missing.

Notebooks are plain JSON, read with ``json`` (nbformat only converts the old formats 1-3);
nothing is validated beyond what is used. Each notebook and each code cell is a unit: one that
is too large, too deep or too slow to read or parse is skipped with a note.
"""
from __future__ import annotations

import __future__ as _future
import ast
import json
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

from grader.submission._common import CONTRACT_FUNCTIONS, EXERCISE_MODULES, Caps, SubmissionError
from grader.submission._common import UnitSkipped, one_line, shown, some
from grader.submission._files import Budget

# IPython cell magics whose body is still Python: the magic line is dropped, the body kept.
PYTHON_CELL_MAGICS = {"%%time", "%%timeit", "%%capture", "%%prun"}
_KEEP = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
         ast.Assign, ast.AnnAssign, ast.AugAssign, ast.If, ast.Try)
if hasattr(ast, "TryStar"):  # Python 3.11+
    _KEEP += (ast.TryStar,)
_CONTRACT_NAMES = {f for fs in CONTRACT_FUNCTIONS.values() for f in fs}


@dataclass
class _Stmt:
    """What the later passes need of one top-level statement (its tree is not kept)."""

    line: int  # first line in its cell (1-based), decorators included
    start: int  # its text is the cell's source[start:end] (character offsets)
    end: int
    keep: bool  # a kind of statement that may define something (see _KEEP)
    defines: str | None  # the name a def/class binds
    bound: set[str]
    star: bool
    calls: set[str]  # names called in an assignment's value
    docstring: bool  # a bare string: dropping it is not worth a note
    flags: int  # __future__ flags it turns on


@dataclass
class _Cell:
    label: str  # "hw.ipynb [code cell 3]"
    number: int
    source: str  # the cell as compiled (magic lines blanked), for tracebacks
    stmts: list[_Stmt] = field(default_factory=list)


def stage_notebooks(files: list[tuple[str, Callable[[], bytes]]], pkg: str, label: str,
                    caps: Caps, code: Budget, notes: list[str], units,
                    where: dict[str, str] | None = None) -> tuple[list[str], str]:
    """Write ``_notebooks.py`` and the six alias modules into ``pkg``; (modules found, source).
    ``where`` (filled in when given): contract function → the cell that defines it, the last
    such cell when several do (the module runs them in order), e.g. "hw.ipynb [code cell 3]".

    ``files``: (notebook name, a function that returns its bytes or raises UnitSkipped).
    ``label``: where the notebooks came from ("folder nb/", "zip hw.zip"), "" for one file.
    """
    problems: list[str] = []
    if len(files) > caps.notebooks:
        problems.append(f"read only the first {caps.notebooks} of {len(files)} notebooks")
        files = files[: caps.notebooks]
    parsed: list[tuple[str, list[_Cell]]] = []
    cells_left = caps.code_cells
    for name, read in files:
        try:
            raw_cells = units.run(f"notebook {name}", _read_notebook, read)
        except UnitSkipped as exc:
            problems.append(f"skipped {shown(name)}: {exc}")
            continue
        cells: list[_Cell] = []
        tests, magics, bad, over = 0, [], [], 0
        for code_no, src, meta in raw_cells:
            if _is_test_cell(meta):
                tests += 1
                continue
            if cells_left <= 0:
                over += 1
                continue
            cells_left -= 1
            size_ = len(src.encode("utf-8", "surrogatepass"))
            if size_ > caps.cell_bytes:
                bad.append(f"{code_no} (longer than {caps.cell_bytes >> 10} KiB)")
                continue
            if not code.take(size_):
                bad.append(f"{code_no} (the submission's code together exceeds "
                           f"{code.limit >> 20} MiB)")
                continue
            cell_label = f"{name} [code cell {code_no}]"
            try:
                cell, dropped = units.run(cell_label, _read_cell, cell_label, code_no, src)
            except UnitSkipped as exc:
                bad.append(f"{code_no} ({exc})")
                continue
            if dropped:
                magics.append(code_no)
            cells.append(cell)
        shown_name = shown(name)
        if tests:
            notes.append(f"{shown_name}: skipped {tests} nbgrader test cell(s)")
        if magics:
            notes.append(f"{shown_name}: dropped IPython magic/shell lines in code cell(s) "
                         f"{some([str(m) for m in magics], 10)}")
        if bad:
            notes.append(f"{shown_name}: skipped code cell {some(bad, 5)}")
        if over:
            notes.append(f"{shown_name}: skipped {over} code cell(s): the notebooks hold more than "
                         f"{caps.code_cells} code cells")
        parsed.append((name, cells))
    notes += problems
    if not parsed:
        what = f"notebook {shown(files[0][0])}" if len(files) == 1 else f"any notebook in {label}"
        reason = problems[-1].removeprefix("skipped ") if problems else "no notebook"
        if len(files) == 1:
            reason = reason.removeprefix(f"{shown(files[0][0])}: ")
        raise SubmissionError(f"cannot read {what}: {reason}")
    n = len(parsed)
    if not label:
        source = f"notebook {shown(files[0][0])}"
    elif label.startswith("zip"):
        source = f"{label} ({n} notebook{'s' if n != 1 else ''})"
    else:
        source = f"{n} notebook{'s' if n != 1 else ''} in {label}"

    own = {s.defines for _, cells in parsed for c in cells for s in c.stmts if s.defines}
    out_cells: list[tuple[_Cell, list[_Stmt]]] = []
    bound: set[str] = set()
    star = False
    for name, cells in parsed:
        flags = 0
        dropped_in: list[int] = []
        for cell in cells:
            kept = []
            for s in cell.stmts:
                flags |= s.flags
                if not _keep(s, own):
                    if not s.docstring:
                        dropped_in.append(cell.number)
                    continue
                bound |= s.bound
                star |= s.star
                s.flags = flags
                kept.append(s)
                if where is not None and s.defines in _CONTRACT_NAMES:
                    where[s.defines] = cell.label
            if kept:
                out_cells.append((cell, kept))
        if dropped_in:
            cells_txt = some([str(c) for c in sorted(set(dropped_in))], 10)
            notes.append(f"{shown(name)}: skipped {len(dropped_in)} top-level statement(s) that "
                         f"only run code (code cell(s) {cells_txt}); the grader calls your "
                         "functions itself")

    with open(os.path.join(pkg, "_notebooks.py"), "x", encoding="utf-8") as f:
        f.write(_notebooks_module(out_cells))
    for m in EXERCISE_MODULES:
        with open(os.path.join(pkg, f"{m}.py"), "x", encoding="utf-8") as f:
            f.write(f'"""{m}: the definitions from your notebooks (see _notebooks.py)."""\n'
                    "# The same module object as _notebooks: the names the notebooks define, no "
                    "others.\nimport sys as _sys\n\nfrom . import _notebooks\n\n"
                    "_sys.modules[__name__] = _notebooks\n")
    found = [m for m in EXERCISE_MODULES if star or bound & set(CONTRACT_FUNCTIONS[m])]
    missing = [f for m in EXERCISE_MODULES for f in CONTRACT_FUNCTIONS[m] if f not in bound]
    if missing and not star:
        notes.append(f"not defined in the notebooks: {some(missing, 4)} (only they score 0)")
    notes.append("notebook statements run one at a time at import: one that raises costs only "
                 "what it defines")
    return found, source


# --------------------------------------------------------------------------------------------
# Reading


def _read_notebook(read: Callable[[], bytes]) -> list[tuple[int, str, dict]]:
    """(code cell number, source, metadata) of each code cell; UnitSkipped if unreadable."""
    data = read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnitSkipped(f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                          "save it as UTF-8") from None
    del data
    try:
        nb = json.loads(text)
    except RecursionError:
        raise UnitSkipped("not a readable notebook (nested too deeply)") from None
    except ValueError as exc:
        raise UnitSkipped(f"not a readable notebook ({one_line(exc)})") from None
    del text
    if not isinstance(nb, dict):
        raise UnitSkipped("not a readable notebook (not a JSON object)")
    version = nb.get("nbformat")
    if isinstance(version, int) and not isinstance(version, bool) and version < 4:
        nb = _convert_old(nb)
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise UnitSkipped("not a readable notebook (no list of cells)")
    out, code_no = [], 0
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        code_no += 1
        src = cell.get("source", "")
        if isinstance(src, list):
            src = "".join(s for s in src if isinstance(s, str))
        elif not isinstance(src, str):
            src = ""
        meta = cell.get("metadata")
        out.append((code_no, src, meta if isinstance(meta, dict) else {}))
    return out


def _convert_old(nb: dict) -> dict:
    """Notebook formats 1-3, converted by nbformat (imported only for them)."""
    try:
        import nbformat
    except ImportError:  # pragma: no cover - nbformat is a dependency
        raise UnitSkipped("an old notebook format: reading it needs nbformat") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return nbformat.convert(nbformat.from_dict(nb), 4)
    except (RecursionError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds
        raise UnitSkipped(f"not a readable notebook ({one_line(exc)})") from None


def _is_test_cell(meta: dict) -> bool:
    nbgrader = meta.get("nbgrader")
    return isinstance(nbgrader, dict) and bool(nbgrader.get("grade")) \
        and not nbgrader.get("solution")


def _read_cell(label: str, number: int, src: str) -> tuple[_Cell, bool]:
    if "\r" in src:  # Python reads \r\n and \r as \n; so do the line numbers below
        src = src.replace("\r\n", "\n").replace("\r", "\n")
    src, dropped, tree = strip_magics(src)
    if src is None:
        raise UnitSkipped("a non-Python cell magic")
    if tree is None:
        try:
            tree = ast.parse(src)
        except (SyntaxError, ValueError) as exc:
            where = f", line {exc.lineno}" if getattr(exc, "lineno", None) else ""
            msg = shown(str(getattr(exc, "msg", None) or exc), 100)
            raise UnitSkipped(f"{type(exc).__name__}{where}: {msg}") from None
    cell = _Cell(label, number, src)
    offset = _Offsets(src)
    for node in tree.body:
        cell.stmts.append(_describe(node, offset))
    return cell, dropped


class _Offsets:
    """(line, UTF-8 byte column) as the AST gives them → character offsets into the source,
    without re-splitting the source for every statement (``ast.get_source_segment`` does)."""

    def __init__(self, src: str):
        self.lines = src.split("\n")  # Python's lines (the source has no \r left)
        self.starts = [0]
        for ln in self.lines:
            self.starts.append(self.starts[-1] + len(ln) + 1)

    def __call__(self, line: int, col: int | None = None) -> int:
        """Offset of ``col`` in ``line`` (1-based); of the line's end when ``col`` is None."""
        text = self.lines[line - 1]
        if col is None:
            return self.starts[line - 1] + len(text)
        return self.starts[line - 1] + len(text.encode("utf-8")[:col].decode("utf-8"))


def _describe(node: ast.stmt, offset: _Offsets) -> _Stmt:
    flags = 0
    if isinstance(node, ast.ImportFrom) and node.module == "__future__":
        for alias in node.names:
            feature = getattr(_future, alias.name, None)
            if isinstance(feature, _future._Feature):
                flags |= feature.compiler_flag
    decorators = getattr(node, "decorator_list", None)
    if decorators:  # whole lines from the first decorator to the end
        line = min([node.lineno] + [d.lineno for d in decorators])
        start, end = offset(line, 0), offset(node.end_lineno)
    else:
        line = node.lineno
        start, end = offset(line, node.col_offset), offset(node.end_lineno, node.end_col_offset)
    bound, star = _bound_names(node)
    calls: set[str] = set()
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value is not None:
        calls = {n.func.id for n in ast.walk(node.value)
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    return _Stmt(
        line=line, start=start, end=end, keep=isinstance(node, _KEEP),
        defines=node.name if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                               ast.ClassDef)) else None,
        bound=bound, star=star, calls=calls,
        docstring=isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant),
        flags=flags)


def strip_magics(src: str) -> tuple[str | None, bool, ast.Module | None]:
    """(Python source, whether lines were dropped, its tree if parsed); None when the cell is not
    Python at all.

    Magic lines are blanked rather than removed so that line numbers still match the cell.
    Valid Python is never touched: stripping is tried only when the cell does not parse. Lines
    are split at "\\n" only (``str.splitlines`` would also split inside strings, at U+2028...).
    """
    lines = src.split("\n")
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    dropped = False
    if first is not None and lines[first].lstrip().startswith("%%"):
        if lines[first].split()[0] not in PYTHON_CELL_MAGICS:
            return None, True, None
        lines[first] = ""
        dropped = True
    joined = "\n".join(lines)
    try:
        return joined, dropped, ast.parse(joined)
    except (SyntaxError, ValueError):
        pass
    out = []
    for ln in lines:
        if _looks_like_magic(ln) and not _parses(ln.strip()):
            out.append("")
            dropped = True
        else:
            out.append(ln)
    return "\n".join(out), dropped, None


def _looks_like_magic(line: str) -> bool:
    """``%magic``, ``!shell``, ``x = %magic``, ``x = !shell``, ``name?``, ``?name``: linear time
    string tests (a regular expression here backtracked quadratically on long lines)."""
    s = line.lstrip()
    if s.startswith("%") or (s.startswith("!") and not s.startswith("!=")):
        return True
    head, eq, rest = s.partition("=")
    if eq and head and all(c.isalnum() or c in "_.," or c.isspace() for c in head):
        r = rest.lstrip()
        if r[:1] in ("%", "!") and r[1:2] != "=":
            return True
    t = s.rstrip()
    for core in (t.rstrip("?"), t.lstrip("?")):
        if 1 <= len(t) - len(core) <= 2 and core and all(c.isalnum() or c in "_." for c in core):
            return True
    return False


def _parses(line: str) -> bool:
    try:
        ast.parse(line)
        return True
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False


def _keep(s: _Stmt, own: set[str]) -> bool:
    """Definitions are kept; statements that only run code are not (see the module docstring)."""
    if not s.keep:
        return False
    if s.calls & own and not (s.bound & _CONTRACT_NAMES):
        return False  # e.g. `params, losses = train(...)`: a demo run, not a definition
    return True


def _bound_names(node: ast.stmt) -> tuple[set[str], bool]:
    """Names a top-level statement binds (if/try blocks included), and whether it star-imports."""
    names: set[str] = set()
    star = False
    todo = [node]
    while todo:  # a stack, not recursion: blocks nest as deep as the parser allows
        node = todo.pop()
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
                    todo += child.body if isinstance(child, ast.ExceptHandler) else [child]
    return names, star


# --------------------------------------------------------------------------------------------
# Writing


def _notebooks_module(cells: list[tuple[_Cell, list[_Stmt]]]) -> str:
    out = [
        '"""The code of your notebooks, written by bpcourse.',
        "",
        "Each top-level definition runs on its own, in notebook order: one that raises costs only",
        "the names it would have defined; its error is listed in _CELL_ERRORS.",
        '"""',
        "import ast as _bpc_ast",
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
        "    # Register the cell's text so that tracebacks show its lines (split as Python does);",
        "    # the statements that follow run slices of it.",
        "    global _bpc_now",
        "    _bpc_now = (_bpc_label, _bpc_source)",
        "    _bpc_lines = [_bpc_l + '\\n' for _bpc_l in _bpc_source.split('\\n')]",
        "    _bpc_linecache.cache[_bpc_file(_bpc_label)] = (",
        "        len(_bpc_source), None, _bpc_lines, _bpc_file(_bpc_label))",
        "",
        "",
        "def _bpc_run(_bpc_line, _bpc_start, _bpc_end, _bpc_flags):",
        "    _bpc_label, _bpc_source = _bpc_now",
        "    try:",
        "        # Parsed, moved to its line, compiled: linear time (a prefix of newlines to set",
        "        # the line was quadratic in a cell of many statements).",
        "        _bpc_tree = compile(_bpc_source[_bpc_start:_bpc_end], _bpc_file(_bpc_label),",
        "                            'exec', _bpc_flags | _bpc_ast.PyCF_ONLY_AST, True)",
        "        _bpc_ast.increment_lineno(_bpc_tree, _bpc_line - 1)",
        "        exec(compile(_bpc_tree, _bpc_file(_bpc_label), 'exec', _bpc_flags, True),",
        "             globals())",
        "    except (Exception, SystemExit) as _bpc_exc:",
        "        _CELL_ERRORS.append(",
        "            f'{_bpc_label}, line {_bpc_line}: {type(_bpc_exc).__name__}: {_bpc_exc}')",
        "",
    ]
    for cell, stmts in cells:
        out.append("")
        out.append(f"_bpc_cell({cell.label!r}, {cell.source!r})")
        for s in stmts:
            out.append(f"_bpc_run({s.line}, {s.start}, {s.end}, {s.flags})")
    out += ["", "del _bpc_ast, _bpc_cell, _bpc_run, _bpc_now", ""]  # _bpc_file: linecache
    return "\n".join(out)
