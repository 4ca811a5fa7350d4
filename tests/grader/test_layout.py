"""The public/hidden boundary is a package boundary, and exercise knowledge has one home per
contract module."""
import ast
from pathlib import Path

import pytest

from grader.contract import FUNCTIONS_BY_MODULE, MODULES
from grader.exercises import BY_NAME, EXERCISES, build_exercises

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "grader").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_the_public_grader_never_imports_the_reference(path):
    """Only ``grader.exercises.hidden_part`` asks for the hidden part (by name, when it is
    importable); no public module imports it or the solutions."""
    assert not _imports(path) & {"solutions", "grader_hidden"}


def test_one_home_per_contract_module_declares_its_functions():
    import importlib

    for module in MODULES:
        home = importlib.import_module(f"grader.exercises.{module}")
        hidden = importlib.import_module(f"grader_hidden.{module}")
        assert home.FUNCTIONS == FUNCTIONS_BY_MODULE[module]
        assert [e.name for e in home.exercises(hidden)] == list(home.FUNCTIONS)
        assert set(hidden.CHECKS) <= set(home.FUNCTIONS)
        assert set(getattr(hidden, "VARIANTS", {})) <= set(home.FUNCTIONS)


def test_without_the_hidden_part_every_exercise_keeps_exactly_its_public_checks():
    public = {e.name: e for e in build_exercises(None)}
    assert list(public) == list(BY_NAME)
    for exercise in EXERCISES:
        kept = [c.name for c in exercise.checks if not c.needs_reference]
        assert [c.name for c in public[exercise.name].checks] == kept, exercise.name
        assert not any(c.needs_reference for c in public[exercise.name].checks)
    assert sum(e.points for e in EXERCISES) == pytest.approx(100.0)
