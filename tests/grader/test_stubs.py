"""Are the student stubs generated from the solutions, and do they stay in sync?"""
import ast
import importlib
import inspect
import shutil
from pathlib import Path

import pytest

from grader import stubs
from grader.impl import FUNCTION_MODULE

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"


def test_committed_stubs_are_what_the_generator_writes():
    assert stubs.stale_stubs(SOLUTIONS, EXERCISES) == []


def test_a_changed_signature_makes_the_stubs_stale(tmp_path):
    """The sync check is red when a solution's signature changes."""
    sol, ex = tmp_path / "solutions", tmp_path / "exercises"
    shutil.copytree(SOLUTIONS, sol)
    shutil.copytree(EXERCISES, ex)
    assert stubs.stale_stubs(sol, ex) == []
    path = sol / "network.py"
    path.write_text(path.read_text().replace("def loss(Y_hat, Y):", "def loss(Y_hat, Y, mean=True):"))
    assert stubs.stale_stubs(sol, ex) == ["network.py"]
    assert stubs.write_stubs(sol, ex) == ["network.py"]
    assert "def loss(Y_hat, Y, mean=True):" in (ex / "network.py").read_text()
    assert stubs.stale_stubs(sol, ex) == []


@pytest.mark.parametrize("fn", sorted(FUNCTION_MODULE))
def test_every_contract_function_has_a_solution_and_a_stub_with_one_signature(fn):
    module = FUNCTION_MODULE[fn]
    solution = getattr(importlib.import_module(f"solutions.{module}"), fn)
    stub = getattr(importlib.import_module(f"exercises.{module}"), fn)
    assert inspect.signature(solution) == inspect.signature(stub)
    assert inspect.getdoc(solution) == inspect.getdoc(stub)
    assert "Shapes:" in inspect.getdoc(solution)


@pytest.mark.parametrize("fn", sorted(FUNCTION_MODULE))
def test_every_stub_raises_not_implemented_with_a_hint(fn):
    stub = getattr(importlib.import_module(f"exercises.{FUNCTION_MODULE[fn]}"), fn)
    n_args = len([p for p in inspect.signature(stub).parameters.values() if p.default is p.empty])
    with pytest.raises(NotImplementedError, match=rf"^{fn}: \S"):
        stub(*([None] * n_args))


def test_stubs_hold_no_solution_code():
    for path in EXERCISES.glob("*.py"):
        text = path.read_text()
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef) and node.name in FUNCTION_MODULE:
                body = [n for n in node.body if not isinstance(n, ast.Expr)]  # drop the docstring
                assert len(body) == 1 and isinstance(body[0], ast.Raise), (path.name, node.name)


@pytest.mark.parametrize("source, problem", [
    ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "no end solution"),
    ("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n",
     "nested"),
    ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "outside a function"),
])
def test_malformed_markup_fails_loudly_with_file_and_line(source, problem):
    with pytest.raises(stubs.StubError, match=problem) as info:
        stubs.make_stub(source, "bad.py")
    assert str(info.value).startswith("bad.py:")
