"""Every grading setting, declared once with its type, default and meaning."""
from __future__ import annotations

from dataclasses import dataclass, field, fields


def _setting(default, help: str):
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    call_timeout: float = _setting(5.0, "wall-clock seconds one call of a student function may take")
    import_timeout: float = _setting(10.0, "seconds the first call into a module may take (import included)")
    budget: float = _setting(120.0, "wall-clock seconds for one whole submission; later calls are skipped")
    memory_mb: int = _setting(1024, "address-space limit of the student's process, MiB")
    output_kb: int = _setting(64, "what a student prints beyond this many KiB is discarded silently")
    rtol: float = _setting(1e-6, "relative tolerance when comparing with expected values")
    atol: float = _setting(1e-9, "absolute tolerance when comparing with expected values")
    seed: int = _setting(20261129, "seed of every randomised (but reproducible) input")
    search_examples: int = _setting(
        0, "extra hypothesis examples per property beyond the seeded screen; hypothesis always "
           "runs to shrink a failure to a small counterexample (`check` uses a thorough search)")
    shrink_examples: int = _setting(200, "hypothesis examples allowed when shrinking a failure")
    slow_ratio: float = _setting(50.0, "advise (never deduct) when a function is this many times "
                                       "slower than the reference")
    reveal_expected: bool = _setting(False, "show expected values of hidden checks to students")
    isolation: str = _setting("auto", "auto | bubblewrap | rlimits")

    @classmethod
    def describe(cls) -> list[tuple[str, object, str]]:
        return [(f.name, f.default, f.metadata["help"]) for f in fields(cls)]


GRADE = Settings()
CHECK = Settings(search_examples=60)  # students have time: a real hypothesis search
