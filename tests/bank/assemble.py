"""Build a bank case into a complete six-module submission folder.

    python -m tests.bank.assemble buggy/sgd_ascent /tmp/sgd_ascent   # then: bpcourse grade /tmp/sgd_ascent
    python -m tests.bank.assemble --refresh-base    # after solutions/ changed: rewrite the base

The folder is ``submissions/base/`` with the case's own files laid over it. In hostile files
the placeholders ``@BANK_MARKER@`` and ``@BANK_PORT@`` are filled in (see ``cases.py``);
from the command line the marker is filled with a fresh one and the port left out, so a
hand-assembled hostile case is armed: grade it only inside the sandbox.

A few hostile cases are too big, or not in module form, to be kept as files: a line
``# bank-generate: KIND ARGS...`` in one of their modules asks for it here (see ``_generate``):
a long expression written in place, a large helper module beside the six, or the whole
submission handed in as a notebook or a zip of notebooks (then the returned path is that file's
folder or the zip itself). Everything generated is deterministic.
"""
from __future__ import annotations

import json
import re
import shutil
import sys
import uuid
import zipfile
from pathlib import Path

from .cases import BASE, BY_ID, MODULES, REPO, Case

MARKER = "@BANK_MARKER@"
PORT = "@BANK_PORT@"


def new_marker(case: Case) -> str:
    """A string unique to one run of one case, to recognise its processes afterwards."""
    return f"bpcourse-bank-{case.name}-{uuid.uuid4().hex[:12]}"


def assemble(case: Case, dest: Path, *, marker: str | None = None, port: int | None = None) -> Path:
    """Write the complete submission of ``case`` into ``dest`` (created) and return it."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for source in sorted(BASE.glob("*.py")):
        shutil.copyfile(source, dest / source.name)
    if case.folder.is_dir():
        for source in sorted(case.folder.iterdir()):
            if source.is_file() and source.suffix == ".py":
                text = source.read_text(encoding="utf-8")
                if marker is not None:
                    text = text.replace(MARKER, marker)
                if port is not None:
                    text = text.replace(PORT, str(port))
                (dest / source.name).write_text(text, encoding="utf-8")
    return _generate(dest)


# ------------------------------------------------------------------ generated content

GENERATE = re.compile(r"^# bank-generate: (\w+)((?: \S+)*)[ \t]*$", re.M)


def _notebook(cells: list[str]) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}",
                                  "metadata": {}, "outputs": [], "source": src}
                                 for i, src in enumerate(cells)],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def _module_cells(dest: Path) -> list[str]:
    """The six modules as notebook cells (one namespace: relative sibling imports dropped)."""
    cells = []
    for module in MODULES:
        path = dest / f"{module}.py"
        text = path.read_text(encoding="utf-8")
        cells.append("".join(line for line in text.splitlines(keepends=True)
                             if not line.startswith("from .")))
        path.unlink()
    return cells


def _generate(dest: Path) -> Path:
    """Carry out the ``# bank-generate:`` lines of the assembled modules; return the submission."""
    form = None
    for path in sorted(dest.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        if not GENERATE.search(text):
            continue

        def expand(match: re.Match) -> str:
            nonlocal form
            kind, args = match.group(1), match.group(2).split()
            if kind == "sum_of_ones":  # legal, but too long for a recursive parser
                return "_BANK_SUM = " + " + ".join(["1"] * int(args[0]))
            if kind == "unary_minus":  # nested too deep for the parser's stack: MemoryError
                return "_BANK_DEEP = " + "-" * int(args[0]) + "1"
            if kind == "helper":  # NAME BYTES: an unused helper module, few bytes, a huge AST
                (dest / f"{args[0]}.py").write_text(
                    '"""Unused."""\na = 0\nJUNK = [' + "a," * (int(args[1]) // 2) + "]\n",
                    encoding="utf-8")
            elif kind == "notebook":  # the submission as one notebook, a cell per module
                form = ("notebook",)
            elif kind == "zip_of_notebooks":  # COUNT BYTES: zipped, with COUNT junk notebooks
                form = ("zip", int(args[0]), int(args[1]))
            else:
                raise ValueError(f"{path.name}: unknown bank-generate kind {kind!r}")
            return "# bank-generated: " + match.group(0)[len("# bank-generate: "):]

        path.write_text(GENERATE.sub(expand, text), encoding="utf-8")
    if form is None:
        return dest
    cells = _module_cells(dest)
    if form[0] == "notebook":
        (dest / "submission.ipynb").write_text(_notebook(cells), encoding="utf-8")
        return dest
    _, count, size = form
    archive = dest / "submission.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("submission.ipynb", _notebook(cells))
        for i in range(count):  # a bare expression: parsed by the loader, never run
            zf.writestr(f"zz_scratch_{i:02d}.ipynb", _notebook(["[" + "a," * (size // 2) + "]\n"]))
    return archive


def strip_markers(text: str) -> str:
    """A reference module as a student would hand it in: the nbgrader marker lines removed."""
    return "".join(line for line in text.splitlines(keepends=True)
                   if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def refresh_base() -> list[str]:
    """Rewrite submissions/base/ from solutions/; return the modules that changed."""
    changed = []
    for module in MODULES:
        text = strip_markers((REPO / "solutions" / f"{module}.py").read_text(encoding="utf-8"))
        target = BASE / f"{module}.py"
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            changed.append(module)
    return changed


def main(argv: list[str]) -> int:
    if argv == ["--refresh-base"]:
        changed = refresh_base()
        print("rewrote " + ", ".join(changed) if changed else "the base is up to date")
        return 0
    if len(argv) != 2 or argv[0] not in BY_ID:
        print("usage: python -m tests.bank.assemble CATEGORY/NAME DEST | --refresh-base\ncases: "
              + " ".join(sorted(BY_ID)), file=sys.stderr)
        return 2
    case = BY_ID[argv[0]]
    print(assemble(case, Path(argv[1]), marker=new_marker(case)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
