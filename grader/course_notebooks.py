"""Build the course notebooks from their text sources and from ``solutions/``.

One source of truth for every notebook cell:

- prose, plots and tests live in ``course/notebooks/NN_name.py``, jupytext "percent" text
  files (diff-friendly, reviewable);
- the code of every exercise lives in ``solutions/``: a text cell that says
  ``# %% from="activations:sigmoid,sigmoid_prime"`` is filled, at build time, with exactly
  those top-level definitions of ``solutions/activations.py`` (docstring, ``### BEGIN
  SOLUTION`` markers and all). A cell whose code holds solution markers becomes an nbgrader
  solution cell; one without (code given to the student) becomes a read-only cell.
- ``# %% test="sigmoid" points=4`` makes an nbgrader autograded test cell worth 4 points.

The built ``.ipynb`` files are committed in ``course/source/backprop/`` (nbgrader reads them
there); ``stale_notebooks`` tells which differ from a fresh build, and a test fails when any
does. Run ``python -m grader.course_notebooks`` to rebuild them, ``--check`` to only compare.

Every code cell that defines something later notebooks use carries the tag ``definitions``:
``course/source/backprop/earlier.py`` runs those cells of earlier notebooks in a later one.
"""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.stubs import BEGIN, END, _trailing_comments

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
SOLUTIONS = ROOT / "solutions"
ASSIGNMENT = "backprop"
DEFINITIONS_TAG = "definitions"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


class BuildError(Exception):
    """A text source asks for something the solutions do not have, or is malformed."""


def text_sources(course: Path = COURSE) -> list[Path]:
    """The notebooks' text sources, in course order."""
    return sorted((course / "notebooks").glob("[0-9][0-9]_*.py"))


def pull(module: Path, names: list[str]) -> str:
    """The source of the top-level definitions ``names`` of ``module``, in that order.

    A definition is a function (decorators and the trailing ``### END SOLUTION`` included)
    or an assignment, each with the comment lines right above it.
    """
    source = module.read_text(encoding="utf-8")
    lines = source.split("\n")
    found: dict[str, tuple[int, int]] = {}
    for node in ast.parse(source, str(module)).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
            last = _trailing_comments(lines, node.end_lineno - 1, node.col_offset)
            found[node.name] = (first, last)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = (node.lineno - 1, node.end_lineno - 1)
    pieces = []
    for name in names:
        if name not in found:
            raise BuildError(f"{module.name} has no top-level definition {name!r}")
        first, last = found[name]
        while first > 0 and lines[first - 1].startswith("#"):
            first -= 1
        pieces.append("\n".join(lines[first:last + 1]))
    return "\n\n\n".join(pieces)


def _nbgrader(grade_id: str, *, solution=False, grade=False, locked=False, points=None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def build_notebook(text: Path, solutions: Path = SOLUTIONS):
    """The nbformat notebook built from one text source."""
    import jupytext
    import nbformat

    nb = jupytext.read(text, fmt="py:percent")
    grade_ids: set[str] = set()
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata
        where = f"{text.name}, cell {index + 1}"
        if "from" in meta:
            spec = meta.pop("from")
            module, _, names = str(spec).partition(":")
            if not names or cell.source.strip():
                raise BuildError(f"{where}: a from= cell is empty and names module:f1,f2")
            names_list = [n.strip() for n in names.split(",")]
            try:
                cell.source = pull(solutions / f"{module}.py", names_list)
            except (BuildError, OSError, SyntaxError) as exc:
                raise BuildError(f"{where}: {exc}") from None
            is_solution = BEGIN in cell.source
            grade_id = f"{names_list[0]}_{'solution' if is_solution else 'given'}"
            meta["nbgrader"] = _nbgrader(grade_id, solution=is_solution, locked=not is_solution)
            meta["tags"] = [DEFINITIONS_TAG]
        elif "test" in meta:
            name = meta.pop("test")
            points = meta.pop("points", None)
            if not isinstance(points, (int, float)) or points <= 0:
                raise BuildError(f"{where}: a test cell needs points=N")
            grade_id = f"test_{name}"
            meta["nbgrader"] = _nbgrader(grade_id, grade=True, locked=True, points=points)
        elif BEGIN in cell.source or END in cell.source:
            raise BuildError(f"{where}: solution markers belong in solutions/, not in the text")
        if "nbgrader" in meta:
            grade_id = meta["nbgrader"]["grade_id"]
            if grade_id in grade_ids:
                raise BuildError(f"{where}: grade id {grade_id!r} used twice")
            grade_ids.add(grade_id)
        cell.id = f"{text.stem[:2]}-{index:02d}"
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata = {"kernelspec": dict(KERNELSPEC),
                   "language_info": {"name": "python", "pygments_lexer": "ipython3"}}
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    return nb


def render(text: Path, solutions: Path = SOLUTIONS) -> str:
    import nbformat

    return nbformat.writes(build_notebook(text, solutions)) + "\n"


def target(text: Path, course: Path = COURSE) -> Path:
    return course / "source" / ASSIGNMENT / (text.stem + ".ipynb")


def stale_notebooks(course: Path = COURSE, solutions: Path = SOLUTIONS) -> list[str]:
    """Names of the committed notebooks that differ from a fresh build (or have no source)."""
    wanted = {target(t, course).name: render(t, solutions) for t in text_sources(course)}
    folder = course / "source" / ASSIGNMENT
    stale = [name for name, text in wanted.items()
             if not (folder / name).is_file() or (folder / name).read_text("utf-8") != text]
    extra = [p.name for p in folder.glob("*.ipynb") if p.name not in wanted]
    return sorted(stale + extra)


def write_notebooks(course: Path = COURSE, solutions: Path = SOLUTIONS) -> list[str]:
    """Build every notebook; returns the names of those that changed."""
    changed = []
    for text in text_sources(course):
        out, body = target(text, course), render(text, solutions)
        if not out.is_file() or out.read_text("utf-8") != body:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(body, encoding="utf-8")
            changed.append(out.name)
    return changed


def release_notebooks(out_dir: Path, course: Path = COURSE) -> list[Path]:
    """The student notebooks: ``nbgrader generate_assignment`` in a temporary copy of the
    course, its ``release/backprop/`` copied into ``out_dir``; returns the files written.

    Solution code is replaced by stubs and hidden tests are dropped by nbgrader itself.
    """
    out_dir = Path(out_dir)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "course"
        shutil.copytree(course / "source", root / "source")
        shutil.copy(course / "nbgrader_config.py", root / "nbgrader_config.py")
        proc = subprocess.run(
            [sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force",
             "--CourseDirectory.db_url=sqlite:///" + str(Path(tmp) / "gradebook.db")],
            cwd=root, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise BuildError(f"nbgrader generate_assignment failed: {tail[0]}")
        released = root / "release" / ASSIGNMENT
        written = []
        for path in sorted(released.rglob("*")):
            if path.is_file():
                dest = out_dir / path.relative_to(released)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, dest)
                written.append(dest)
    return written


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv == ["--check"]:
            stale = stale_notebooks()
            for name in stale:
                print(f"stale: course/source/{ASSIGNMENT}/{name}")
            return 1 if stale else 0
        if argv:
            print("usage: python -m grader.course_notebooks [--check]", file=sys.stderr)
            return 2
        for name in write_notebooks():
            print(f"wrote course/source/{ASSIGNMENT}/{name}")
        return 0
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
