"""The one results model every renderer reads (text, JSON, Gradescope, ...).

Scores, messages and visibility live here; renderers only format. A check that could not
run (the student's function crashed, hung, or was missing) is still a result with score 0.

This model is also the boundary where reports stop being forgeable: every string stored in
it (messages, notes, names, the submission's description; a student controls many of them)
goes through :func:`grader.sanitize.line` when it is set, on construction and on any later
assignment or ``notes.append``, so whatever renders a report reads only clean, bounded,
single-line text. Every number is a finite float: a non-finite or non-numeric score is a
grader bug, counted as 0 with a note in the check's message rather than a crash or a NaN in
the JSON. Lists of notes keep at most :data:`MAX_NOTES` entries.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from grader import sanitize
from grader.course_links import section_link

# Who may see a check's message. "public": the student, always (article numbers, properties,
# consistency of their own code). "hidden": the instructor; students see pass/fail and the
# mistake name, never the expected values, unless the instructor reveals them.
PUBLIC = "public"
HIDDEN = "hidden"

MAX_NOTES = 100  # per list of notes; the last one then says how many more there were
MAX_POINTS = 1e9  # no score is larger: sums of scores stay finite


class NoteList(list):
    """A list of notes that sanitises what is put in it and keeps at most ``MAX_NOTES``."""

    def __init__(self, items=()):
        super().__init__()
        self.dropped = 0
        self.extend(items)

    def append(self, note) -> None:
        note = sanitize.line(note)
        if len(self) < MAX_NOTES:
            super().append(note)
            return
        if not self.dropped:
            self.dropped = 1  # the last real note makes room for the count
        self.dropped += 1
        super().__setitem__(-1, f"… and {self.dropped} more notes not shown")

    def extend(self, items) -> None:
        for note in items:
            self.append(note)

    def insert(self, index, note) -> None:
        super().insert(index, sanitize.line(note))
        while len(self) > MAX_NOTES:
            super().pop(MAX_NOTES - 1)

    def __iadd__(self, items):
        self.extend(items)
        return self

    def __setitem__(self, index, value) -> None:
        if isinstance(index, slice):
            super().__setitem__(index, [sanitize.line(v) for v in value])
            del self[MAX_NOTES:]
        else:
            super().__setitem__(index, sanitize.line(value))


class ExerciseDict(dict):
    """Exercises by name; names sanitised however they are set."""

    def __init__(self, items=()):
        super().__init__()
        self.update(items)

    def __setitem__(self, key, value) -> None:
        super().__setitem__(sanitize.line(key, sanitize.NAME_CHARS), value)

    def update(self, items=(), **more) -> None:
        pairs = items.items() if hasattr(items, "items") else items
        for key, value in [*pairs, *more.items()]:
            self[key] = value

    def setdefault(self, key, default=None):
        key = sanitize.line(key, sanitize.NAME_CHARS)
        if key not in self:
            self[key] = default
        return self[key]


def _points(value, fallback: float = 0.0) -> tuple[float, str | None]:
    """(a finite score within ±MAX_POINTS, a note when ``value`` had to be replaced)."""
    x = sanitize.number(value)
    if x is None:
        return fallback, f"grader bug: a score of {sanitize.line(repr(value), 40)} counted as 0"
    return min(max(x, -MAX_POINTS), MAX_POINTS), None


def _total(values) -> float:
    total = sanitize.number(round(sum(values), 6))
    return 0.0 if total is None else total


class _Sanitised:
    """Sanitises fields as they are set: ``_LINES`` (name → limit) are single-line text,
    ``_OPTIONAL`` of them may be None, ``_NOTES`` are lists of notes."""

    _LINES: dict[str, int] = {}
    _OPTIONAL: frozenset[str] = frozenset()
    _NOTES: frozenset[str] = frozenset()

    def __setattr__(self, name: str, value) -> None:
        if name in self._LINES:
            if not (value is None and name in self._OPTIONAL):
                value = sanitize.line(value, self._LINES[name])
        elif name in self._NOTES:
            value = NoteList(value or ())
        object.__setattr__(self, name, value)


@dataclass
class CheckResult(_Sanitised):
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

    _LINES = {"name": sanitize.NAME_CHARS, "message": sanitize.MESSAGE_CHARS,
              "kind": sanitize.NAME_CHARS, "visibility": sanitize.NAME_CHARS,
              "mistake": sanitize.NAME_CHARS, "student_message": sanitize.MESSAGE_CHARS}
    _OPTIONAL = frozenset({"mistake", "student_message"})

    def __setattr__(self, name: str, value) -> None:
        if name in ("score", "max_score"):
            value, problem = _points(value)
            repairs = self.__dict__.setdefault("_repairs", {})
            if problem:
                repairs[name] = problem
                object.__setattr__(self, "passed", False)  # a broken score is no pass
            else:
                repairs.pop(name, None)
        elif name == "passed":
            value = value is True or (value is not False and _truthy(value))
            value = value and not self.__dict__.get("_repairs")
        super().__setattr__(name, value)

    def message_for(self, audience: str) -> str:
        """The message this audience ("student" or "instructor") may read."""
        if audience == "student" and self.visibility == HIDDEN and self.student_message is not None:
            message = self.student_message
        else:
            message = self.message
        repairs = self.__dict__.get("_repairs")
        if repairs:
            message = sanitize.line(f"{message} [{'; '.join(repairs.values())}]",
                                    sanitize.MESSAGE_CHARS + 100)
        return message


def _truthy(value) -> bool:
    try:
        return bool(value)
    except Exception:  # noqa: BLE001 - an array's ambiguous truth: not a pass
        return False


@dataclass
class ExerciseResult(_Sanitised):
    name: str
    module: str
    checks: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # advice (speed, style): never deducted
    # where the student wrote it when that is not ``<module>.py``: the notebook cell
    # ("hw.ipynb [code cell 3]") of a notebook submission
    where: str | None = None

    _LINES = {"name": sanitize.NAME_CHARS, "module": sanitize.NAME_CHARS,
              "where": sanitize.MESSAGE_CHARS}
    _OPTIONAL = frozenset({"where"})
    _NOTES = frozenset({"notes"})

    @property
    def score(self) -> float:
        return _total(c.score for c in self.checks)

    @property
    def max_score(self) -> float:
        return _total(c.max_score for c in self.checks)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def mistakes(self) -> list[str]:
        return sorted({c.mistake for c in self.checks if c.mistake})


@dataclass
class GradeReport(_Sanitised):
    exercises: dict[str, ExerciseResult]
    mode: str = "grade"  # "grade" (all checks) or "check" (public checks only)
    isolation: str = ""
    seconds: float = 0.0
    submission: str = ""
    notes: list[str] = field(default_factory=list)

    _LINES = {"mode": sanitize.NAME_CHARS, "isolation": sanitize.MESSAGE_CHARS,
              "submission": sanitize.MESSAGE_CHARS}
    _NOTES = frozenset({"notes"})

    def __setattr__(self, name: str, value) -> None:
        if name == "exercises":
            value = ExerciseDict(value or {})
        elif name == "seconds":
            value = min(max(sanitize.number(value) or 0.0, 0.0), 1e9)
        super().__setattr__(name, value)

    @property
    def score(self) -> float:
        return _total(e.score for e in self.exercises.values())

    @property
    def max_score(self) -> float:
        return _total(e.max_score for e in self.exercises.values())

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
                    "where": ex.where,
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
                            "section": section_link(c.mistake) if c.mistake else None,
                        }
                        for c in ex.checks
                    ],
                }
                for name, ex in self.exercises.items()
            },
        }
