"""The class report: one self-contained HTML page from the result files of ``grade-all``.

Score histogram, pass rate per exercise and per check, the most common named mistakes and the
students' totals. Charts are inline SVG drawn here (no plotting library, no script, no
external resource: the page opens anywhere, offline). Every string from a result file is
student-controlled somewhere along the way (names, messages), so every one goes through
:func:`html.escape` (and the sanitiser, again) before it reaches the page.
"""
from __future__ import annotations

import html
import statistics
from collections import Counter
from pathlib import Path

from grader import sanitize
from grader.classgrade import gradebook

BINS = 10
BAR = "#3b6ea5"
FAIL = "#c0504d"


def esc(value, limit: int = sanitize.MESSAGE_CHARS) -> str:
    return html.escape(sanitize.line(value, limit), quote=True)


def _num(x) -> float:
    value = sanitize.number(x)
    return 0.0 if value is None else value


def histogram(scores: list[float], max_score: float = 100.0) -> list[int]:
    counts = [0] * BINS
    for s in scores:
        i = int(min(max(s / max_score, 0.0), 1.0) * BINS)
        counts[min(i, BINS - 1)] += 1
    return counts


def _histogram_svg(counts: list[int], max_score: float) -> str:
    w, h, pad = 560, 220, 30
    top = max(counts) or 1
    bw = (w - 2 * pad) / len(counts)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h + 40}" '
             f'role="img" aria-label="score histogram">']
    for i, c in enumerate(counts):
        bh = (h - pad) * c / top
        x = pad + i * bw
        lo = max_score * i / len(counts)
        parts.append(f'<rect x="{x + 2:.1f}" y="{h - bh:.1f}" width="{bw - 4:.1f}" '
                     f'height="{bh:.1f}" fill="{BAR}"><title>{lo:g}–{lo + max_score / BINS:g}: '
                     f'{c}</title></rect>')
        parts.append(f'<text x="{x + bw / 2:.1f}" y="{h - bh - 4:.1f}" font-size="12" '
                     f'text-anchor="middle">{c}</text>')
        parts.append(f'<text x="{x + bw / 2:.1f}" y="{h + 16}" font-size="11" '
                     f'text-anchor="middle">{lo:g}</text>')
    parts.append(f'<line x1="{pad}" y1="{h}" x2="{w - pad}" y2="{h}" stroke="#333"/>')
    parts.append(f'<text x="{w / 2}" y="{h + 34}" font-size="12" text-anchor="middle">'
                 f'score (bins of {max_score / BINS:g} points)</text></svg>')
    return "".join(parts)


def _rate_bars(rows: list[tuple[str, float, str]]) -> str:
    """Horizontal bars: (label, rate in [0, 1], detail), labels already escaped."""
    w, lh, label_w = 760, 22, 300
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{lh * len(rows) + 10}"'
             ' role="img" aria-label="pass rates">']
    for i, (label, rate, detail) in enumerate(rows):
        y = i * lh + 4
        bw = (w - label_w - 120) * rate
        parts.append(f'<text x="{label_w - 8}" y="{y + 14}" font-size="12" '
                     f'text-anchor="end">{label}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w - label_w - 120}" height="16" '
                     f'fill="#eee"/>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{bw:.1f}" height="16" '
                     f'fill="{BAR if rate >= 0.5 else FAIL}"/>')
        parts.append(f'<text x="{w - 112}" y="{y + 14}" font-size="12">{rate:.0%} {detail}'
                     '</text>')
    return "".join(parts) + "</svg>"


def summarise(results: list[dict]) -> dict:
    graded = [r for r in results if r.get("status") == "graded"]
    scores = [_num(r.get("score")) for r in results]
    exercises: dict[str, list[int]] = {}  # name -> [passed, graded]
    checks: dict[tuple[str, str], list[int]] = {}
    mistakes: Counter = Counter()
    for r in graded:
        for name, ex in (r.get("exercises") or {}).items():
            entry = exercises.setdefault(name, [0, 0])
            entry[1] += 1
            ok = _num(ex.get("score")) >= _num(ex.get("max_score")) > 0
            entry[0] += ok
            for c in ex.get("checks") or []:
                e = checks.setdefault((name, str(c.get("name", ""))), [0, 0])
                e[1] += 1
                e[0] += c.get("passed") is True
            for m in ex.get("mistakes") or []:
                mistakes[(name, str(m))] += 1
    order = gradebook.exercise_names(graded)
    return {
        "students": len(results), "graded": len(graded),
        "ungradable": sum(r.get("status") == "ungradable" for r in results),
        "failed": sum(r.get("status") not in ("graded", "ungradable") for r in results),
        "scores": scores, "max_score": max([_num(r.get("max_score")) for r in graded] or [100.0]),
        "exercises": [(n, *exercises[n]) for n in order if n in exercises],
        "checks": sorted(((k[0], k[1], *v) for k, v in checks.items()),
                         key=lambda t: (t[2] / t[3], order.index(t[0]) if t[0] in order else 0)),
        "mistakes": mistakes.most_common(),
        "isolation": sorted({str(r.get("isolation", "")) for r in graded}),
    }


def render(results: list[dict], title: str = "Class report") -> str:
    from grader.exercises import MISTAKES

    s = summarise(results)
    scores = s["scores"]
    mean = statistics.fmean(scores) if scores else 0.0
    median = statistics.median(scores) if scores else 0.0
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           # No script, no external resource: nothing on the page can run or call out.
           '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
           'style-src \'unsafe-inline\'; img-src data:">',
           f"<title>{esc(title)}</title><style>body{{font-family:sans-serif;margin:2em;"
           "max-width:60em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
           "padding:2px 8px;text-align:left}td.n{text-align:right}</style></head><body>",
           f"<h1>{esc(title)}</h1>",
           f"<p>{s['students']} students: {s['graded']} graded, {s['ungradable']} with nothing "
           f"to grade, {s['failed']} not graded (grader trouble; rerun grade-all). Mean "
           f"{mean:.1f}, median {median:.1f} of {s['max_score']:g}.</p>",
           "<p>Isolation: " + "; ".join(esc(i) for i in s["isolation"] or ["none"]) + "</p>",
           "<h2>Scores</h2>", _histogram_svg(histogram(scores, s["max_score"] or 100.0),
                                             s["max_score"] or 100.0),
           "<h2>Pass rate per exercise</h2><p>Share of graded students with full marks.</p>",
           _rate_bars([(esc(n, 60), p / t, f"({p}/{t})") for n, p, t in s["exercises"]])
           if s["exercises"] else "<p>No graded submission.</p>",
           "<h2>Most common named mistakes</h2>"]
    if s["mistakes"]:
        out.append("<table><tr><th>students</th><th>exercise</th><th>mistake</th>"
                   "<th>what it is</th></tr>")
        for (ex, m), n in s["mistakes"][:20]:
            out.append(f'<tr><td class="n">{n}</td><td>{esc(ex, 60)}</td><td>{esc(m, 80)}</td>'
                       f"<td>{esc(MISTAKES.get(m, ''))}</td></tr>")
        out.append("</table>")
    else:
        out.append("<p>No known mistake recognised.</p>")
    out.append("<h2>Pass rate per check</h2><p>Hardest first.</p><table><tr><th>exercise</th>"
               "<th>check</th><th>passed</th><th>rate</th></tr>")
    for ex, name, p, t in s["checks"]:
        out.append(f"<tr><td>{esc(ex, 60)}</td><td>{esc(name, 120)}</td>"
                   f'<td class="n">{p}/{t}</td><td class="n">{p / t:.0%}</td></tr>')
    out.append("</table><h2>Students</h2><table><tr><th>student</th><th>total</th>"
               "<th>status</th></tr>")
    for r in sorted(results, key=lambda r: str(r.get("key", ""))):
        out.append(f"<tr><td>{esc(r.get('student', ''), 120)}</td>"
                   f'<td class="n">{_num(r.get("score")):g}</td>'
                   f"<td>{esc(r.get('status', ''), 40)}</td></tr>")
    out.append("</table></body></html>")
    return "\n".join(out) + "\n"


def write(grades: Path, target: Path) -> int:
    """Write the report of the results in ``grades`` to ``target``; the number of students."""
    results = gradebook.load_results(grades)
    if results:
        gradebook.atomic_write(target, render(results))
    return len(results)
