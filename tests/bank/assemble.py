"""Build a bank case into a complete six-module submission folder.

    python -m tests.bank.assemble buggy/sgd_ascent /tmp/sgd_ascent   # then: bpcourse grade /tmp/sgd_ascent
    python -m tests.bank.assemble --refresh-base    # after solutions/ changed: rewrite the base

The folder is ``submissions/base/`` with the case's own files laid over it. In hostile files
the placeholders ``@BANK_MARKER@`` and ``@BANK_PORT@`` are filled in (see ``cases.py``);
from the command line the marker is filled with a fresh one and the port left out, so a
hand-assembled hostile case is armed: grade it only inside the sandbox.
"""
from __future__ import annotations

import shutil
import sys
import uuid
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
    return dest


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
