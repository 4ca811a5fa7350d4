"""Every grading setting, declared once with its type, default and meaning.

Limits on the student's code (time, memory, output) live in one place, ``grader.limits``;
``Settings.limits`` holds them and ``Settings.replace`` routes a limit's name there.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields

from grader.limits import Limits


def _setting(default, help: str):
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    rtol: float = _setting(1e-6, "relative tolerance when comparing with expected values")
    atol: float = _setting(1e-9, "absolute tolerance when comparing with expected values")
    seed: int = _setting(20261129, "public seed: inputs of the public checks in `check` (the "
                                   "hidden inputs of `grade` come from the course secret)")
    secret: str | None = _setting(None, "course secret for hidden inputs; None: read (or make) "
                                        "it as grader.secret says")
    search_examples: int = _setting(
        0, "extra hypothesis examples per property beyond the seeded screen; hypothesis always "
           "runs to shrink a failure to a small counterexample (`check` uses a thorough search)")
    shrink_examples: int = _setting(200, "hypothesis examples allowed when shrinking a failure")
    slow_ratio: float = _setting(50.0, "advise (never deduct) when a function is this many times "
                                       "slower than the reference")
    reveal_expected: bool = _setting(False, "show expected values of hidden checks to students")
    isolation: str = _setting("auto", "auto | bubblewrap | rlimits | user")
    limits: Limits = field(default_factory=Limits,
                           metadata={"help": "time, memory and output limits (grader.limits)"})

    def replace(self, **changes) -> "Settings":
        """A copy with some settings (or limits, by their names) changed; None keeps a value."""
        changes = {k: v for k, v in changes.items() if v is not None}
        limit_names = {f.name for f in fields(Limits)}
        limits = {k: changes.pop(k) for k in list(changes) if k in limit_names}
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        if limits:
            changes["limits"] = dataclasses.replace(self.limits, **limits)
        return dataclasses.replace(self, **changes)

    @classmethod
    def describe(cls) -> list[tuple[str, object, str]]:
        return [(f.name, f.default, f.metadata["help"]) for f in fields(cls)
                if f.default is not dataclasses.MISSING]


GRADE = Settings()
# Students have time: a real hypothesis search, which makes several times the calls of
# grade's screens, so each exercise's budget grows with it (a correct `backward` must never
# run out of time in the grader's own search on a loaded laptop).
CHECK = Settings(search_examples=60,
                 limits=Limits(exercise_budget=15.0, budget=120.0))
