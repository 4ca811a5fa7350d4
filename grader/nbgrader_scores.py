"""Trusted scores into nbgrader's own gradebook.

``bpcourse grade`` reads a student's submitted notebooks (their solution cells) and grades them
in the sandbox; this module writes those scores into the course's ``gradebook.db`` through
``nbgrader.api.Gradebook``, one autograded test cell per exercise (``test_<exercise>``, worth
the grader's points for it), so that ``nbgrader export``, formgrader and
``generate_feedback`` show trusted scores instead of what in-kernel asserts made of them.

    python -m grader.nbgrader_scores COURSE_ROOT [--assignment backprop] [--student ID ...]

grades every ``COURSE_ROOT/submitted/<student>/<assignment>/`` (or only the named students) one
after the other and writes their scores. Run it instead of ``nbgrader autograde``, or after it:
it overwrites the autograded cells' scores. The assignment must be in the gradebook
(``nbgrader generate_assignment`` puts it there).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ASSIGNMENT = "backprop"
PREFIX = "test_"


class ScoresError(Exception):
    """Something to tell the instructor in one line."""


def exercise_scores(folder: Path) -> dict[str, float]:
    """Exercise name → points ``bpcourse grade`` gives the submission in ``folder``."""
    from grader.api import grade

    report = grade(folder)
    return {name: result.score for name, result in report.exercises.items()}


def write_scores(db_url: str, course_id: str, assignment: str, student: str,
                 scores: dict[str, float]) -> float:
    """Set the score of every autograded cell ``test_<exercise>`` of ``student``'s submission
    (created if missing) from ``scores``; cells of exercises not in ``scores`` get 0.
    Returns the submission's total as the gradebook computes it."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url, course_id) as gb:
        try:
            spec = gb.find_assignment(assignment)
        except MissingEntry:
            raise ScoresError(f"no assignment {assignment!r} in the gradebook: run "
                              "`nbgrader generate_assignment` first") from None
        gb.update_or_create_student(student)
        gb.update_or_create_submission(assignment, student)
        for notebook in spec.notebooks:
            for cell in notebook.grade_cells:
                if not cell.name.startswith(PREFIX):
                    continue  # a cell this grader does not know keeps its own score
                grade = gb.find_grade(cell.name, notebook.name, assignment, student)
                points = scores.get(cell.name[len(PREFIX):], 0.0)
                grade.auto_score = max(0.0, min(float(points), float(cell.max_score)))
                grade.manual_score = None  # the trusted score is the score
                grade.needs_manual_grade = False
        gb.db.commit()
        return float(gb.find_submission(assignment, student).score)


def grade_course(root: Path, assignment: str = ASSIGNMENT, students: list[str] | None = None,
                 *, db_url: str | None = None, course_id: str = "backprop",
                 log=print) -> dict[str, float | None]:
    """Grade the submitted folders of ``root`` and write their scores; student → total
    (None for a submission that could not be graded at all)."""
    root = Path(root)
    submitted = root / "submitted"
    if students is None:
        students = sorted(p.parent.name for p in submitted.glob(f"*/{assignment}") if p.is_dir())
    if not students:
        raise ScoresError(f"no submissions in {submitted}/*/{assignment}/")
    db_url = db_url or f"sqlite:///{root / 'gradebook.db'}"
    from grader.submission import SubmissionError

    totals: dict[str, float | None] = {}
    for student in students:
        folder = submitted / student / assignment
        try:
            if not folder.is_dir():
                raise SubmissionError(f"no folder {folder}")
            scores = exercise_scores(folder)
        except SubmissionError as exc:  # nothing gradable: the gradebook is left as it was
            totals[student] = None
            log(f"{student}: not graded ({exc})")
            continue
        totals[student] = write_scores(db_url, course_id, assignment, student, scores)
        log(f"{student}: {totals[student]:g}")
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.nbgrader_scores",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, help="the nbgrader course folder")
    parser.add_argument("--assignment", default=ASSIGNMENT)
    parser.add_argument("--course-id", default="backprop")
    parser.add_argument("--student", action="append", help="only these students (repeatable)")
    args = parser.parse_args(argv)
    try:
        totals = grade_course(args.root, args.assignment, args.student, course_id=args.course_id)
    except ScoresError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 1 if None in totals.values() else 0


if __name__ == "__main__":
    sys.exit(main())
