"""The contract's JSON (shared/CONTRACT.md, "What the grader prints"), for machines.

``score``, ``max_score`` and ``exercises.<function>.{score, max_score, checks[...]}`` come from
``GradeReport.to_dict``; ``submission`` and ``audience`` are added. Always valid JSON: a
non-finite number (which a score should never be) is written as null, not NaN.
"""
from __future__ import annotations

import json

from grader.render import finite
from grader.results import GradeReport


def render(report: GradeReport, *, audience: str = "instructor") -> str:
    data = report.to_dict(audience)
    data["submission"] = report.submission
    data["audience"] = audience
    return json.dumps(finite(data), indent=2, allow_nan=False)

