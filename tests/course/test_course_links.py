"""Does every named mistake point to a section of the notebooks that exists?"""
import re
from pathlib import Path

import pytest

from grader import course_links
from grader.exercises import MISTAKES

FOLDER = Path(__file__).resolve().parents[2] / "course" / "source" / "backprop"


def test_every_section_belongs_to_a_named_mistake():
    """A renamed or removed mistake leaves no stale link behind."""
    assert set(course_links.SECTIONS) <= set(MISTAKES)


def test_the_mistakes_known_when_the_map_was_written_all_have_a_section():
    assert len(course_links.SECTIONS) >= 39
    assert {m: course_links.section_link(m) for m in MISTAKES if course_links.section_link(m)}


def html_ids(notebook):
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_filename(str(FOLDER / notebook))
    return set(re.findall(r'<h[1-6][^>]*\bid="([^"]*)"', body))


@pytest.mark.parametrize("notebook", sorted({nb for nb, _ in course_links.SECTIONS.values()}))
def test_every_anchor_is_a_heading_of_the_rendered_notebook(notebook):
    ids = html_ids(notebook)
    for mistake, (nb, heading) in course_links.SECTIONS.items():
        if nb == notebook:
            link = course_links.section_link(mistake)
            assert link.split("#", 1)[1] in ids, f"{mistake}: no heading {heading!r} in {nb}"


def test_a_renamed_heading_is_caught():
    assert "The-batch-loss" in html_ids("06_minibatches.ipynb")
    assert "The-batch-losses" not in html_ids("06_minibatches.ipynb")


def test_links_and_titles():
    assert course_links.section_link("transposed_dW") == \
        "06_minibatches.ipynb#The-batch-gradient-and-the-slip-in-the-article"
    assert course_links.section_title("relu_prime_at_zero") == \
        "01_activations.ipynb § ReLU"
    assert course_links.section_link("no_such_mistake") is None
