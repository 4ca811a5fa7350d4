"""The contract's JSON (shared/CONTRACT.md, "What the grader prints"), for machines.

``score``, ``max_score`` and ``exercises.<function>.{score, max_score, checks[...]}`` come from
``GradeReport.to_dict``; ``submission`` and ``audience`` are added. Always strict JSON: no
NaN or Infinity (the results model counts a non-finite score as 0 with a note), UTF-8 text,
every string sanitised by the results model.
"""
from __future__ import annotations

from grader.render import dumps
from grader.results import GradeReport


def render(report: GradeReport, *, audience: str = "instructor") -> str:
    data = report.to_dict(audience)
    data["submission"] = report.submission
    data["audience"] = audience
    return dumps(data)

