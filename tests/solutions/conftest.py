"""Hypothesis profiles for the tests of the reference solutions.

The profiles are only registered here, never loaded globally, so they do not change the
settings of any other test directory. Each test module in this folder picks one with
``settings.get_profile(os.environ.get("BP_SOLUTIONS_PROFILE", "bp-solutions"))``:

* ``bp-solutions`` (default): derandomized, so every run tries the same examples; a
  moderate number of examples, so the folder runs in well under a minute.
* ``bp-solutions-thorough``: ten times the examples and random seeds, for a long run by
  hand: ``BP_SOLUTIONS_PROFILE=bp-solutions-thorough python -m pytest tests/solutions``.

Neither profile keeps an example database (``database=None``), so no examples are written
into the repository (hypothesis may still cache constants under the git-ignored
``.hypothesis/``).
"""
from hypothesis import HealthCheck, Phase, settings

_COMMON = dict(
    database=None,
    deadline=None,
    report_multiple_bugs=False,  # one clear counterexample, not an ExceptionGroup
    print_blob=False,
    # No "explain" phase: its list of numpy lines run only by failing cases is noise here.
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

settings.register_profile("bp-solutions", max_examples=100, derandomize=True, **_COMMON)
settings.register_profile("bp-solutions-thorough", max_examples=1000, derandomize=False, **_COMMON)
