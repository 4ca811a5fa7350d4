"""The course notebooks as a rendered chapter: ``docs/chapter/NN_*.html``, executed, plots in.

    python -m grader.course_chapter [--out docs/chapter]

runs each built notebook of ``course/source/backprop/`` top to bottom (nbclient, in a
temporary copy of the folder, so ``earlier.py`` imports) with the reference code filled in,
leaves out the hidden test blocks (nbgrader's ``ClearHiddenTests``) and the solution
markers, and writes one small page per notebook: nbconvert's ``basic`` body (no 300 KB theme),
a short style sheet shared by all pages (``chapter.css``), links to the previous and next notebook, MathJax for the LaTeX (from its
CDN: offline the formulas stay readable as LaTeX source), figures inline as PNG.

Each page records the SHA-256 of its notebook's cell sources (``<meta name="source-sha256">``)
so a test can tell, without running anything, that a page is stale: rebuild after editing
``course/notebooks/*.py`` and running ``python -m grader.course_notebooks``.
"""
from __future__ import annotations

import argparse
import hashlib
import html
import json
import shutil
import sys
import tempfile
from pathlib import Path

from grader.course_notebooks import ASSIGNMENT, COURSE, ROOT

SOURCE = COURSE / "source" / ASSIGNMENT
OUT = ROOT / "docs" / "chapter"
STYLESHEET = "chapter.css"  # next to the pages, linked from each
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")

STYLE = """
body { max-width: 52em; margin: 2em auto; padding: 0 1em; font: 16px/1.55 Georgia, serif;
       color: #222; }
h1, h2, h3 { font-family: Helvetica, Arial, sans-serif; line-height: 1.2; }
pre, code { font: 13.5px/1.4 Menlo, Consolas, monospace; }
.input_area pre { background: #f6f7f9; border-left: 3px solid #4a7bd0; padding: .6em .8em;
                   overflow-x: auto; }
.output_area pre { padding: .2em .8em; overflow-x: auto; color: #333; }
.prompt { display: none; }
img { max-width: 100%; height: auto; display: block; margin: .5em auto; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ccc; padding: .2em .6em; }
nav { font-family: Helvetica, Arial, sans-serif; font-size: 14px; display: flex;
      justify-content: space-between; border-top: 1px solid #ddd; border-bottom: 1px solid #ddd;
      padding: .4em 0; margin: 1em 0; }
nav a { color: #2a5db0; text-decoration: none; }
"""
MATHJAX = """<script>window.MathJax = {tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']]}};</script>
<script async src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>"""


def source_hash(notebook: Path) -> str:
    """SHA-256 of a notebook's cell types and sources (not its outputs or metadata)."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    text = json.dumps([(c["cell_type"], "".join(c["source"])) for c in nb["cells"]])
    return hashlib.sha256(text.encode()).hexdigest()


def notebooks(source: Path = SOURCE) -> list[Path]:
    return sorted(source.glob("[0-9][0-9]_*.ipynb"))


def _title(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "Backpropagation"


def _nav(pages: list[Path], i: int) -> str:
    prev = (f'<a href="{pages[i - 1].stem}.html">← {html.escape(pages[i - 1].stem)}</a>'
            if i > 0 else "<span></span>")
    nxt = (f'<a href="{pages[i + 1].stem}.html">{html.escape(pages[i + 1].stem)} →</a>'
           if i + 1 < len(pages) else "<span></span>")
    return f"<nav>{prev}<span>{i + 1} of {len(pages)}</span>{nxt}</nav>"


def render_chapter(out: Path = OUT, source: Path = SOURCE, timeout: int = 120) -> list[Path]:
    """Execute and render every notebook of ``source`` into ``out``; the pages written."""
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter
    from nbgrader.preprocessors import ClearHiddenTests
    from pygments.formatters import HtmlFormatter

    out.mkdir(parents=True, exist_ok=True)
    pages = notebooks(source)
    exporter = HTMLExporter(template_name="basic")
    highlight = HtmlFormatter(style="default").get_style_defs(".highlight")
    # One style sheet for every page (it was copied into each).
    sheet = out / STYLESHEET
    sheet.write_text(STYLE + highlight + "\n", encoding="utf-8")
    written = [sheet]
    with tempfile.TemporaryDirectory(prefix="bpcourse-chapter-") as tmp:
        work = Path(tmp) / ASSIGNMENT
        shutil.copytree(source, work, ignore=shutil.ignore_patterns("__pycache__"))
        for i, page in enumerate(pages):
            nb = nbformat.read(work / page.name, as_version=4)
            NotebookClient(nb, timeout=timeout, kernel_name="python3",
                           resources={"metadata": {"path": str(work)}}).execute()
            nb, _ = ClearHiddenTests().preprocess(nb, {})
            for cell in nb.cells:
                if cell.cell_type == "code":
                    cell.source = "\n".join(line for line in cell.source.splitlines()
                                            if line.strip() not in MARKERS)
            body, _ = exporter.from_notebook_node(nb)
            title = _title(nb)
            nav = _nav(pages, i)
            text = (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                    f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                    f'<meta name="source-sha256" content="{source_hash(page)}">\n'
                    f"<title>{html.escape(title)}</title>\n"
                    f'<link rel="stylesheet" href="{STYLESHEET}">\n{MATHJAX}\n</head>\n<body>\n'
                    f"{nav}\n{body}\n{nav}\n</body>\n</html>\n")
            target = out / f"{page.stem}.html"
            target.write_text(text, encoding="utf-8")
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.course_chapter",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where the pages go")
    args = parser.parse_args(argv)
    try:
        pages = render_chapter(args.out)
    except ImportError as exc:
        print(f"error: rendering the chapter needs the 'course' extra ({exc.name} is missing): "
              "pip install -e '.[course]'", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - a notebook that fails to run: say which, briefly
        print(f"error: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}", file=sys.stderr)
        return 1
    for p in pages:
        print(f"{p} ({p.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
