"""Does every course notebook, solutions filled in, run top to bottom in a fresh kernel?

About 15 s for the nine notebooks on two cores (one kernel each). The timeout is a guard
against a hang, not a measurement: a cell takes well under a second.
"""
import shutil
from pathlib import Path

import nbformat
import pytest

FOLDER = Path(__file__).resolve().parents[2] / "course" / "source" / "backprop"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A copy of the notebooks, so that running them leaves nothing in the repository."""
    copy = tmp_path_factory.mktemp("nb") / "backprop"
    shutil.copytree(FOLDER, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.mark.parametrize("name", sorted(p.name for p in FOLDER.glob("*.ipynb")))
def test_notebook_runs_top_to_bottom_without_errors(name, folder):
    from nbclient import NotebookClient

    nb = nbformat.read(folder / name, as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    plots = {"01": 1, "02": 1, "04": 1, "08": 1, "09": 2}.get(name[:2], 0)
    assert len(images) == plots, "every figure the text promises is drawn"
