"""The class-scale ``bpcourse`` commands (registered in :mod:`grader.cli`)."""
from __future__ import annotations

import os
import signal
import sys
import tempfile
from pathlib import Path

import click

from grader.cli import EXIT_CODES, UserError, _Signalled

__all__ = ["grade_all", "report", "runtime", "gradescope", "classroom"]


@click.command("grade-all", epilog=EXIT_CODES)
@click.argument("submissions", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("grades"), show_default=True,
              help="Output folder: results/, feedback/, gradebook.csv.")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Students graded at once [default: the number of cores, fewer if memory "
                   "is short].")
@click.option("--assignment", default=None,
              help="nbgrader tree: which assignment (needed when there are several).")
@click.option("--isolation", type=click.Choice(["auto", "bubblewrap", "rlimits", "user"]),
              default=None, help="Sandbox of each student (see `bpcourse grade`).")
@click.option("--timeout", type=click.FloatRange(0.1, 600), default=None,
              help="Seconds one call of a student function may take [default: 3].")
def grade_all(submissions: Path, out: Path, workers: int | None, assignment: str | None,
              isolation: str | None, timeout: float | None) -> None:
    """Grade a whole class: a folder with one subfolder, zip or notebook per student, an
    nbgrader submitted/ tree, or an LMS bulk-download zip. Resumable: a rerun grades only
    the students without a finished result in --out."""
    from grader.classgrade import batch, gradebook
    from grader.classgrade.collect import CollectError, collect, remove
    from grader.sanitize import line
    from grader.secret import SecretError, load_secret

    if not submissions.exists():
        raise UserError(f"no such file or folder: {line(str(submissions))}")
    try:
        secret = load_secret()  # once, here: a missing secret is a usage error, not N failures
    except SecretError as exc:
        raise UserError(line(str(exc))) from None
    if isolation in ("bubblewrap", "user"):  # fail once here, not once per student
        from grader.limits import Limits
        from grader.sandbox.launch import SandboxUnavailable, launcher

        try:
            launcher(isolation, Path("."), Limits()).close()
        except SandboxUnavailable as exc:
            raise UserError(f"the sandbox is not available: {line(str(exc))}") from None
    settings = {"secret": secret, "isolation": isolation, "call_timeout": timeout}
    settings = {k: v for k, v in settings.items() if v is not None}
    try:
        _lock, work = gradebook.claim(out)  # held until this process ends
    except gradebook.Busy as exc:
        raise UserError(line(str(exc))) from None
    except OSError as exc:
        raise UserError(line(f"cannot write to {out}: {exc.strerror}")) from None
    # Every temporary folder of the run (here and in the workers) in out/.work/, which the
    # next run empties: a SIGKILLed run leaves nothing behind in /tmp.
    os.environ["TMPDIR"] = str(work.resolve())
    tempfile.tempdir = None
    unpacked = Path(tempfile.mkdtemp(prefix="bpcourse-class-", dir=work))
    try:
        try:
            students = collect(submissions, unpacked, assignment=assignment)
        except CollectError as exc:
            raise UserError(line(str(exc))) from None
        except OSError as exc:
            raise UserError(line(f"cannot read {submissions}: {exc.strerror}")) from None
        n = workers or batch.default_workers()
        todo = sum(not gradebook.finished(out, s.key) for s in students)
        if todo < len(students):
            click.echo(f"{len(students) - todo} of {len(students)} students already graded "
                       f"in {out}; grading the other {todo}", err=True)
        finished = [0]

        def progress(k: int) -> None:
            finished[0] += k
            bar.update(k)

        try:
            with click.progressbar(length=todo, label=f"grading ({n} workers)", file=sys.stderr,
                                   show_pos=True) as bar:
                summary = batch.grade_all(students, out, workers=n, settings=settings,
                                          progress=progress)
            if not sys.stderr.isatty():
                click.echo("", err=True)  # the bar printed only its label
        except OSError as exc:
            raise UserError(line(f"cannot write to {out}: {exc.strerror}")) from None
        except _Signalled as exc:  # every result written so far is whole and kept
            name = signal.Signals(exc.signum).name
            click.echo(f"\nError: interrupted by {name} after {finished[0]} of {todo} "
                       f"students; their results are kept in {out}: rerun to resume", err=True)
            sys.exit(128 + exc.signum)
    finally:
        remove(unpacked)
    done = summary.total - summary.skipped
    rate = done / summary.seconds if summary.seconds > 0 and done else 0.0
    click.echo(f"graded {summary.graded}, ungradable {summary.ungradable}, failed "
               f"{summary.failed} (of {summary.total}; {summary.skipped} from an earlier run) "
               f"in {summary.seconds:.1f} s, {rate:.2f} students/s, {n} workers; grader peak "
               f"RSS {summary.peak_rss_kb / 1024:.0f} MB", err=True)
    click.echo(f"gradebook: {out / gradebook.GRADEBOOK}")
    if summary.failed:
        click.echo(f"{summary.failed} student(s) failed to grade; rerun to retry them", err=True)
        sys.exit(1)


@click.command("report", epilog=EXIT_CODES)
@click.argument("grades", type=click.Path(path_type=Path))
@click.option("--html", "target", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("report.html"), show_default=True, help="The page to write.")
def report(grades: Path, target: Path) -> None:
    """The class report of a grade-all folder: score histogram, pass rate per exercise and
    per check, most common named mistakes, as one self-contained HTML page."""
    from grader.classgrade import gradebook, report_html
    from grader.sanitize import line

    if not (grades / gradebook.RESULTS).is_dir():
        raise UserError(f"no grade-all results in {line(str(grades))} (no results/ folder)")
    try:
        n = report_html.write(grades, target)
    except OSError as exc:
        raise UserError(line(f"cannot write {target}: {exc.strerror}")) from None
    if not n:
        raise UserError(f"no readable results in {line(str(grades / gradebook.RESULTS))}")
    click.echo(f"wrote {target} ({n} students)")


@click.command("runtime", epilog=EXIT_CODES)
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
def runtime(dest: Path) -> None:
    """Copy this interpreter, its standard library and numpy to DEST, readable by every user,
    for `--isolation user` (whose unprivileged worker cannot run a Python under /root). Point
    $BPCOURSE_WORKER_RUNTIME at DEST unless it is /opt/bpcourse/runtime."""
    import subprocess

    from grader.sandbox.runtime import make_runtime
    from grader.sanitize import line

    try:
        made = make_runtime(dest)
    except (OSError, subprocess.SubprocessError) as exc:
        raise UserError(line(f"cannot make the runtime in {dest}: {exc}")) from None
    click.echo(f"runtime ready: {made.python}")


@click.command("gradescope", epilog=EXIT_CODES)
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace OUT if it exists.")
def gradescope(out: Path, overwrite: bool) -> None:
    """Write a Gradescope autograder bundle (setup.sh, run_autograder, the grader, the hidden
    reference and the course secret: keep it private) to OUT.zip."""
    from grader.classgrade import gradescope_bundle
    from grader.sanitize import line
    from grader.secret import SecretError, load_secret

    if out.exists() and not overwrite:
        raise UserError(f"{line(str(out))} exists; pass --overwrite to replace it")
    try:
        names = gradescope_bundle.build(out, load_secret())
    except SecretError as exc:
        raise UserError(line(str(exc))) from None
    except OSError as exc:
        raise UserError(line(f"cannot write {out}: {exc}")) from None
    click.echo(f"wrote {out} ({len(names)} files); upload it as the assignment's autograder. "
               "It holds the course secret and the reference: keep it private.")


@click.command("classroom", epilog=EXIT_CODES)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              default=Path(".github/workflows/classroom.yml"), show_default=True,
              help="Where to write the workflow (in the student template repository).")
@click.option("--overwrite", is_flag=True, help="Replace the file if it exists.")
def classroom(output: Path, overwrite: bool) -> None:
    """Write the GitHub Classroom workflow: one autograding step per exercise, worth its
    points, running the PUBLIC checks only (a student can read everything in their
    repository); the grade comes from `bpcourse grade-all` over the cloned repositories."""
    from grader.classgrade.classroom import workflow
    from grader.sanitize import line

    if output.exists() and not overwrite:
        raise UserError(f"{line(str(output))} exists; pass --overwrite to replace it")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(workflow(), encoding="utf-8")
    except OSError as exc:
        raise UserError(line(f"cannot write {output}: {exc.strerror}")) from None
    click.echo(f"wrote {output}: public checks only; grade with `bpcourse grade-all`")
