"""`bpcourse audit`: mutants of the reference, equivalence, and a small audit (bounded: a
few mutants of three functions, in process, a few seconds)."""
from __future__ import annotations

import grader.exercises  # noqa: F401 - before grader_hidden, which it imports

import pytest

audit = pytest.importorskip("grader_hidden.audit")


@pytest.fixture(scope="module")
def sources():
    return audit.solution_sources()


def test_mutants_cover_the_operator_families(sources):
    found = audit.mutants(sources)
    families = {m.operator.split(" ")[0] for m in found}
    assert {"operator", "operands", "sign", "comparison", "transpose", "axis", "constant",
            "index", "arguments", "right", "left", "expression"} <= families, families
    backward = [m for m in found if m.function == "backward"]
    assert any(m.operator == "transpose dropped" for m in backward)
    assert all(m.diff for m in found)


def test_equivalent_mutants_are_recognised(sources):
    from grader_hidden.reference import reference_functions

    ref = reference_functions()
    text = sources["network"]
    same = audit.Mutant("network", "loss", "by hand", 0, text.replace(
        "diff * diff", "diff ** 2"))
    wrong = audit.Mutant("network", "loss", "by hand", 0, text.replace(
        "(2 * diff.shape[0])", "(2 * diff.size)"))
    assert same.source != text and wrong.source != text
    assert audit.equivalent(same, sources, ref)
    assert not audit.equivalent(wrong, sources, ref)  # averages outputs too: not equivalent


def test_a_small_audit_kills_every_mutant_in_its_own_exercise():
    verdicts = audit.audit(("relu_prime", "loss", "two_layer_backward"), limit_per_function=3)
    rows = audit.summary(verdicts)
    assert set(rows) == {"relu_prime", "loss", "two_layer_backward"}
    for fn, row in rows.items():
        assert row["graded"] > 0
        assert row["kill_rate"] == 1.0, audit.render(rows)
        assert row["blame_radius"] == 0, audit.render(rows)
    text = audit.render(rows)
    assert text.splitlines()[0].split()[:3] == ["exercise", "mutants", "equiv"]


def test_a_survivor_is_reported_with_its_diff(sources):
    """A mutant that kept full marks counts against the kill rate and is printed with its
    diff (the report an instructor reads to see what the checks miss)."""
    m = audit.mutants(sources, ("relu",))[0]
    v = audit.Verdict(m, own_lost=False)
    text = audit.render(audit.summary([v]))
    assert "survivor in relu" in text and m.diff.splitlines()[0] in text
    assert audit.summary([v])["relu"]["kill_rate"] == 0.0
    assert audit.summary([v])["relu"]["kill_rate"] == 0.0
