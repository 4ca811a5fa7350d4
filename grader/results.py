"""The one results model every renderer reads (text, JSON, Gradescope, ...).

Scores, messages and visibility live here; renderers only format. A check that could not
run (the student's function crashed, hung, or was missing) is still a result with score 0.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Who may see a check's message. "public": the student, always (article numbers, properties,
# consistency of their own code). "hidden": the instructor; students see pass/fail and the
# mistake name, never the expected values, unless the instructor reveals them.
PUBLIC = "public"
HIDDEN = "hidden"


@dataclass
class CheckResult:
    name: str
    passed: bool
    score: float
    max_score: float
    message: str = ""
    kind: str = "reference"  # article | reference | property | consistency | hygiene
    visibility: str = PUBLIC
    mistake: str | None = None  # a key of grader.mistakes.MISTAKES when recognised
    # The message for students when the check is hidden (no expected values in it).
    student_message: str | None = None

    def message_for(self, audience: str) -> str:
        """The message this audience ("student" or "instructor") may read."""
        if audience == "student" and self.visibility == HIDDEN and self.student_message is not None:
            return self.student_message
        return self.message


@dataclass
class ExerciseResult:
    name: str
    module: str
    checks: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # advice (speed, style): never deducted

    @property
    def score(self) -> float:
        return round(sum(c.score for c in self.checks), 6)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_score for c in self.checks), 6)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def mistakes(self) -> list[str]:
        return sorted({c.mistake for c in self.checks if c.mistake})


@dataclass
class GradeReport:
    exercises: dict[str, ExerciseResult]
    mode: str = "grade"  # "grade" (all checks) or "check" (public checks only)
    isolation: str = ""
    seconds: float = 0.0
    submission: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return round(sum(e.score for e in self.exercises.values()), 6)

    @property
    def max_score(self) -> float:
        return round(sum(e.max_score for e in self.exercises.values()), 6)

    def to_dict(self, audience: str = "instructor") -> dict:
        """The contract's JSON shape (shared/CONTRACT.md), plus extra keys."""
        return {
            "score": self.score,
            "max_score": self.max_score,
            "mode": self.mode,
            "isolation": self.isolation,
            "seconds": round(self.seconds, 3),
            "notes": list(self.notes),
            "exercises": {
                name: {
                    "score": ex.score,
                    "max_score": ex.max_score,
                    "module": ex.module,
                    "mistakes": ex.mistakes,
                    "notes": list(ex.notes),
                    "checks": [
                        {
                            "name": c.name,
                            "passed": c.passed,
                            "score": c.score,
                            "max_score": c.max_score,
                            "message": c.message_for(audience),
                            "kind": c.kind,
                            "visibility": c.visibility,
                            "mistake": c.mistake,
                        }
                        for c in ex.checks
                    ],
                }
                for name, ex in self.exercises.items()
            },
        }
