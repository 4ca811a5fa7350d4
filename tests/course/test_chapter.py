"""The rendered chapter in docs/chapter/ is current and shows its figures (no kernel: ~0.1 s).

The pages are built by `python -m grader.course_chapter` (it runs every notebook, ~1-2 min);
each records the SHA-256 of its notebook's cell sources, so a notebook edited and rebuilt
without re-rendering the chapter fails here.
"""
import json
import re

import pytest

from grader import course_chapter

PAGES = course_chapter.notebooks()


def test_every_notebook_has_a_page():
    assert len(PAGES) == 9
    assert sorted(p.name for p in course_chapter.OUT.glob("*.html")) == \
        sorted(f"{p.stem}.html" for p in PAGES)


@pytest.mark.parametrize("notebook", PAGES, ids=lambda p: p.stem)
def test_page_is_current_and_holds_every_figure(notebook):
    page = (course_chapter.OUT / f"{notebook.stem}.html").read_text(encoding="utf-8")
    recorded = re.search(r'<meta name="source-sha256" content="([0-9a-f]{64})">', page)
    assert recorded and recorded.group(1) == course_chapter.source_hash(notebook), \
        f"docs/chapter/{notebook.stem}.html is stale: run python -m grader.course_chapter"
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    plotting = sum(1 for c in cells if c["cell_type"] == "code" and "plt." in "".join(c["source"]))
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', page)) == plotting, \
        "a figure is missing"
    assert "output_error" not in page, "a cell raised when the chapter was rendered"
    assert "HIDDEN TESTS" not in page and "BEGIN SOLUTION" not in page
    # the style sheet, one for the chapter, linked rather than copied into every page
    assert f'<link rel="stylesheet" href="{course_chapter.STYLESHEET}">' in page
    assert "<style>" not in page
    assert (course_chapter.OUT / course_chapter.STYLESHEET).read_text(encoding="utf-8").strip()


def test_the_hash_sees_an_edited_cell(tmp_path):
    notebook = PAGES[0]
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    nb["cells"][0]["source"] = "".join(nb["cells"][0]["source"]) + " "
    edited = tmp_path / notebook.name
    edited.write_text(json.dumps(nb), encoding="utf-8")
    assert course_chapter.source_hash(edited) != course_chapter.source_hash(notebook)
