"""Are the course notebooks built from their text sources and solutions/, and only from them?"""
import ast
import json
import shutil
from pathlib import Path

import pytest

from grader import course_notebooks as cn
from grader.exercises import EXERCISES
from grader.impl import FUNCTION_MODULE

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "course" / "source" / "backprop").glob("*.ipynb"))


def cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def test_committed_notebooks_are_what_the_build_writes():
    assert cn.stale_notebooks() == []
    assert [p.stem for p in NOTEBOOKS] == [t.stem for t in cn.text_sources()]


@pytest.fixture
def course_copy(tmp_path):
    course, solutions = tmp_path / "course", tmp_path / "solutions"
    shutil.copytree(cn.COURSE, course)
    shutil.copytree(cn.SOLUTIONS, solutions)
    return course, solutions


def test_a_changed_solution_makes_its_notebook_stale(course_copy):
    course, solutions = course_copy
    path = solutions / "network.py"
    path.write_text(path.read_text().replace("(B, n_in).", "(B, n_in), like W."))
    assert cn.stale_notebooks(course, solutions) == ["07_general_backprop.ipynb"]
    assert cn.write_notebooks(course, solutions) == ["07_general_backprop.ipynb"]
    assert "(B, n_in), like W." in (course / "source" / "backprop" / "07_general_backprop.ipynb").read_text()
    assert cn.stale_notebooks(course, solutions) == []


def test_an_edited_notebook_or_text_source_is_stale(course_copy):
    course, solutions = course_copy
    nb = course / "source" / "backprop" / "01_activations.ipynb"
    nb.write_text(nb.read_text().replace("return np.tanh", "return 0 * np.tanh"))
    text = course / "notebooks" / "02_linear_neuron.py"
    text.write_text(text.read_text().replace("One linear neuron", "A linear neuron"))
    assert cn.stale_notebooks(course, solutions) == ["01_activations.ipynb", "02_linear_neuron.ipynb"]


def test_solution_cells_hold_exactly_the_functions_of_solutions():
    """Every contract function is the whole source of one solution cell's definition."""
    seen = {}
    for path in NOTEBOOKS:
        for cell in cells(path):
            if nbgrader_meta(cell).get("solution"):
                source = "".join(cell["source"])
                for node in ast.parse(source).body:
                    assert isinstance(node, ast.FunctionDef), f"{path.name}: only functions"
                    seen[node.name] = path.name
                    module = FUNCTION_MODULE[node.name]
                    assert cn.pull(cn.SOLUTIONS / f"{module}.py", [node.name]) in source
    assert sorted(seen) == sorted(FUNCTION_MODULE)


def test_test_cells_give_each_exercise_the_graders_points():
    points = {}
    for path in NOTEBOOKS:
        for cell in cells(path):
            meta = nbgrader_meta(cell)
            if meta.get("grade"):
                assert meta["locked"] and not meta["solution"]
                points[meta["grade_id"].removeprefix("test_")] = meta["points"]
    assert points == {e.name: e.points for e in EXERCISES}
    assert sum(points.values()) == 100


def test_every_test_cell_has_hidden_tests():
    for path in NOTEBOOKS:
        for cell in cells(path):
            if nbgrader_meta(cell).get("grade"):
                assert "### BEGIN HIDDEN TESTS" in "".join(cell["source"]), path.name


def test_notebooks_are_nbgrader_ready():
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        assert nb["metadata"]["kernelspec"]["name"] == "python3"
        ids = [nbgrader_meta(c)["grade_id"] for c in nb["cells"] if nbgrader_meta(c)]
        assert len(ids) == len(set(ids)), path.name
        for cell in nb["cells"]:
            assert cell.get("outputs", []) == [], f"{path.name}: outputs are not committed"


@pytest.mark.parametrize("bad, message", [
    ('# %% from="activations:softmax"\n', "has no top-level definition 'softmax'"),
    ("# %%\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "belong in solutions/"),
    ('# %% test="sigmoid"\nassert True\n', "needs points=N"),
    ('# %% from="activations:sigmoid"\n\n# %% from="activations:sigmoid"\n', "used twice"),
])
def test_malformed_sources_fail_with_file_and_cell(tmp_path, bad, message):
    text = tmp_path / "01_bad.py"
    text.write_text("# %% [markdown]\n# # Title\n\n" + bad)
    with pytest.raises(cn.BuildError, match=r"01_bad.py, cell \d: "):
        cn.build_notebook(text)
    with pytest.raises(cn.BuildError, match=message):
        cn.build_notebook(text)


def test_the_check_command_exits_1_on_stale_and_0_when_fresh(capsys, monkeypatch):
    assert cn.main(["--check"]) == 0
    monkeypatch.setattr(cn, "stale_notebooks", lambda: ["03_sigmoid_neuron.ipynb"])
    assert cn.main(["--check"]) == 1
    assert "stale: course/source/backprop/03_sigmoid_neuron.ipynb" in capsys.readouterr().out
    assert cn.main(["--bogus"]) == 2
