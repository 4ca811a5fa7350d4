"""The ``bpcourse`` command: a thin click layer over the grader's Python API.

Exit codes (the same for every command):
  0  done (for `grade`: the submission was graded, whatever its score)
  1  done, and something needs attention (`check`: a public check failed;
     `stubs --check`: stubs out of date)
  2  usage error: bad option, missing path, unreadable archive, nothing to grade
  3  the grader itself failed (a bug: please report it); `--format gradescope` still
     writes a results.json that says so
  130, 143  interrupted by SIGINT or SIGTERM (temporary folders are removed first)
"""
from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
from pathlib import Path

if __name__ == "__main__":  # python -m grader.cli: the worker boots while the rest loads
    from grader import ahead as _ahead

    _ahead.launch(sys.argv[1:])

import click  # noqa: E402

EXIT_CODES = """\b
Exit codes:
  0  done (grade: graded, whatever the score)
  1  done, with problems (check: a public check failed;
     stubs --check: stubs out of date)
  2  usage error (missing path, unreadable archive, nothing to grade)
  3  the grader itself failed (a bug: please report it)
  130, 143  interrupted (SIGINT, SIGTERM)"""

EXAMPLE = Path(__file__).parent / "examples" / "student_submission"


class _Signalled(BaseException):
    """SIGTERM or SIGINT arrived. A BaseException, so that no ``except Exception`` swallows it:
    it unwinds the whole command, every ``finally`` runs (temporary folders are removed, child
    processes stopped), and the command exits 128 + the signal's number with one line."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _signals_unwind():
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    caught = (signal.SIGTERM, signal.SIGINT)

    def handler(signum, frame):
        for s in caught:  # once: a second signal must not cut the cleanup short
            signal.signal(s, signal.SIG_IGN)
        raise _Signalled(signum)

    old = {s: signal.signal(s, handler) for s in caught}
    try:
        from grader import ahead

        ahead.release_signals()  # one that came before these handlers, if any
        yield
    except _Signalled as exc:
        name = signal.Signals(exc.signum).name
        click.echo(f"Error: interrupted by {name}; nothing was graded", err=True)
        sys.exit(128 + exc.signum)
    finally:
        for s, previous in old.items():
            signal.signal(s, previous)


class _Main(click.Group):
    """The command group, run so that SIGTERM and SIGINT unwind it (see ``_Signalled``)."""

    def main(self, *args, **kwargs):
        with _signals_unwind():
            return super().main(*args, **kwargs)


class UserError(click.ClickException):
    """A one-line message on stderr and exit code 2, never a traceback."""

    exit_code = 2


class GraderFailed(click.ClickException):
    """The grader's own bug: still one line and no traceback, exit code 3."""

    exit_code = 3


def _submission_path(ctx, param, value: str) -> Path:
    path = Path(value).expanduser()
    if not path.exists():
        raise UserError(f"no such file or folder: {value}")
    return path


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=EXIT_CODES)
@click.version_option(package_name="backprop-course")
def main() -> None:
    """backprop-course: teach backpropagation and grade it."""


def _grade(path: Path, public_only: bool, only: tuple[str, ...] = (), **overrides):
    from grader.api import HiddenPartMissing, grade
    from grader.sandbox.launch import SandboxUnavailable
    from grader.sanitize import line
    from grader.secret import SecretError
    from grader.settings import CHECK, GRADE
    from grader.submission import SubmissionError

    settings = (CHECK if public_only else GRADE).replace(**overrides)
    try:
        return grade(path, public_only=public_only, settings=settings, only=only)
    except (SubmissionError, SecretError, HiddenPartMissing) as exc:  # names from the submission: sanitised
        raise UserError(line(str(exc))) from None
    except SandboxUnavailable as exc:
        raise UserError(f"the sandbox is not available: {line(str(exc))}") from None
    except Exception as exc:  # a bug of ours: one line, never a traceback
        raise GraderFailed(line(f"the grader failed ({type(exc).__name__}: {exc}); please "
                                "report it")) from None


def _emit(text: str, output: Path | None, overwrite: bool) -> None:
    if output is None:
        click.echo(text)
        return
    if output.exists() and not overwrite:
        raise UserError(f"{output} exists; pass --overwrite to replace it")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {output}: {exc.strerror}") from None


@main.command(epilog=EXIT_CODES)
@click.argument("path", callback=_submission_path)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "gradescope"]),
              default="text", show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to this file instead of standard output.")
@click.option("--overwrite", is_flag=True, help="Allow --output to replace an existing file.")
@click.option("--audience", type=click.Choice(["instructor", "student"]), default="instructor",
              show_default=True, help="Who reads it: students never see hidden expected values.")
@click.option("--reveal", is_flag=True, default=None,
              help="Show hidden checks' expected values to students too.")
@click.option("--isolation", type=click.Choice(["auto", "bubblewrap", "rlimits", "user"]),
              default=None,
              help="Sandbox: bubblewrap when available (auto), or insist on one (user: an "
                   "unprivileged uid, for containers without namespaces).")
@click.option("--timeout", type=click.FloatRange(0.1, 600), default=None,
              help="Seconds one call of a student function may take [default: 3]; each "
                   "exercise has a budget of 4 s in all (grader/limits.py).")
def grade(path: Path, fmt: str, output: Path | None, overwrite: bool, audience: str,
          reveal: bool | None, isolation: str | None, timeout: float | None) -> None:
    """Grade a submission: a folder, a .zip, or notebooks (see CONTRACT.md).

    \b
    Scoring: each exercise's points are split among its checks. A hidden case or an
    article problem of a function with several outputs (dicts, (dW, db) pairs, tuples)
    gives each named output an equal share, so a wrong db costs only the db share.
    Article and supporting points (properties a wrong answer can also have, untouched
    arguments) are multiplied by the share of evidence points earned (hidden cases,
    finite differences, formulas on random inputs): a constant earns nothing."""
    from grader.render import render

    try:
        report = _grade(path, False, reveal_expected=reveal, isolation=isolation,
                        call_timeout=timeout)
    except GraderFailed as exc:
        if fmt == "gradescope":  # Gradescope needs a results.json even when we fail
            _emit(json.dumps({"score": 0.0, "output": f"{exc.message}; your instructor will "
                              "regrade this submission", "tests": []}, allow_nan=False,
                             ensure_ascii=False), output, overwrite)
        raise
    _emit(render(report, fmt, audience=audience), output, overwrite)


def _only(ctx, param, values: tuple[str, ...]) -> tuple[str, ...]:
    """Exercise names (a module's name stands for all its functions), in contract order."""
    from grader.contract import FUNCTION_MODULE, MODULES

    wanted = set()
    for value in values:
        if value in FUNCTION_MODULE:
            wanted.add(value)
        elif value.removesuffix(".py") in MODULES:
            wanted |= {f for f, m in FUNCTION_MODULE.items() if m == value.removesuffix(".py")}
        else:
            raise UserError(f"--only {value}: no such exercise or module; the exercises are "
                            + ", ".join(FUNCTION_MODULE))
    return tuple(f for f in FUNCTION_MODULE if f in wanted)


@main.command(epilog=EXIT_CODES)
@click.argument("path", default=".", callback=_submission_path)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--only", multiple=True, callback=_only, metavar="NAME",
              help="Check only this exercise, or every exercise of this module "
                   "(repeat for more).")
def check(path: Path, fmt: str, only: tuple[str, ...]) -> None:
    """Check your own work: the public checks only (the article's numbers, properties,
    finite differences of your own code). Needs no reference solutions."""
    from grader.render import render

    report = _grade(path, True, only=only)
    click.echo(render(report, fmt, audience="student"))
    if report.score < report.max_score:
        sys.exit(1)


@main.command(epilog=EXIT_CODES)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "gradescope"]),
              default="text", show_default=True, help="Output format.")
def demo(fmt: str) -> None:
    """Grade the bundled example submission (a student's attempt with classic slips)."""
    from grader.render import render

    click.echo(render(_grade(EXAMPLE, False), fmt))


@main.command(epilog=EXIT_CODES)
@click.option("--solutions", "solutions_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("solutions"), show_default=True, help="Folder of the reference solutions.")
@click.option("--exercises", "exercises_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("exercises"), show_default=True, help="Folder the stubs are written to.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if any stub is out of date.")
def stubs(solutions_dir: Path, exercises_dir: Path, check: bool) -> None:
    """Generate the student stubs in exercises/ from solutions/ (needs the 'course' extra)."""
    from grader import stubs as stubs_mod

    if not solutions_dir.is_dir():
        raise UserError(f"no solutions folder at {solutions_dir}")
    try:
        if check:
            stale = stubs_mod.stale_stubs(solutions_dir, exercises_dir)
            if stale:
                click.echo("out of date: " + ", ".join(stale) + " (run `bpcourse stubs`)", err=True)
                sys.exit(1)
            click.echo("stubs are up to date")
            return
        changed = stubs_mod.write_stubs(solutions_dir, exercises_dir)
    except ModuleNotFoundError as exc:
        raise UserError(f"{exc.name} is missing; install the 'course' extra") from None
    except stubs_mod.StubError as exc:
        raise UserError(str(exc)) from None
    click.echo(f"wrote {len(changed)} file(s)" + (": " + ", ".join(changed) if changed else ""))


@main.command(epilog=EXIT_CODES)
@click.argument("out", type=click.Path(file_okay=True, path_type=Path))
@click.option("--no-notebooks", is_flag=True,
              help="Leave out the course notebooks (made with nbgrader generate_assignment).")
def release(out: Path, no_notebooks: bool) -> None:
    """Write the student bundle into OUT (a new or empty folder): the stubs, the student
    notebooks, a student README and a wheel of the public grader, without the solutions or
    the hidden checks."""
    from grader.release import ReleaseError, build_release

    try:
        written = build_release(out, notebooks=not no_notebooks)
    except ReleaseError as exc:
        raise UserError(str(exc)) from None
    parts = "exercises/, " + ("" if no_notebooks else "notebooks/, ")
    click.echo(f"wrote {len(written)} files into {out}: {parts}README.md, {written[-1].name}")


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("function")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.option("--path", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Your folder (holding the exercise files, or exercises/).")
def run(function: str, args: tuple[str, ...], path: Path) -> None:
    """Call one of your functions and print what it returns, e.g. `bpcourse run sigmoid 0.5`
    or `bpcourse run relu "[-1, 0, 2]"`. Arguments are Python literals; lists become arrays.
    Exit 0 when it returned, 1 when it raised."""
    from grader.run import RunError
    from grader.run import run as run_one

    try:
        text, code = run_one(function, list(args), path)
    except RunError as exc:
        raise UserError(str(exc)) from None
    click.echo(text)
    sys.exit(code)


@main.command()
def article() -> None:
    """Print the reference solutions' answers to the article's problems."""
    from grader.exercises import HIDDEN

    if HIDDEN is None:
        raise UserError("`article` needs the instructor's install (the reference solutions)")
    click.echo(HIDDEN.render_article_report())


@main.command(epilog=EXIT_CODES)
@click.option("--functions", default="", metavar="F1,F2",
              help="Only these contract functions' mutants [default: all].")
@click.option("--limit", type=click.IntRange(1, None), default=None,
              help="At most this many mutants per function (spread over its body).")
@click.option("--diffs/--no-diffs", default=True, show_default=True,
              help="Print every survivor and every mutant blamed elsewhere with its diff.")
def audit(functions: str, limit: int | None, diffs: bool) -> None:
    """Measure the grader on mutants of the reference solutions.

    \b
    Each mutant changes one thing in one contract function (an operator or comparison,
    a sign, a transpose, an axis, a dropped term or factor, an index off by one, swapped
    arguments, a constant for an expression). Mutants that give the reference's outputs
    on many random inputs are equivalent and left out; the rest are graded with the
    grade's checks, in process (they are our own code, so no sandbox). Per exercise:
    mutants, equivalent, graded, killed (lost points in their own exercise), kill rate,
    the share of killed ones with a mistake named, and the blame radius (mutants that
    also cost another exercise points). The whole course takes minutes."""
    from grader.contract import FUNCTION_MODULE
    from grader.exercises import HIDDEN

    if HIDDEN is None:
        raise UserError("`audit` needs the instructor's install (the reference solutions)")
    chosen = tuple(f for f in functions.split(",") if f)
    unknown = [f for f in chosen if f not in FUNCTION_MODULE]
    if unknown:
        raise UserError(f"not a contract function: {', '.join(unknown)}")
    import importlib

    auditor = importlib.import_module(f"{HIDDEN.__name__}.audit")  # the hidden part's

    def progress(k, n, _):
        click.echo(f"\r{k}/{n} mutants", nl=False, err=True)

    verdicts = auditor.audit(chosen or None, limit_per_function=limit, progress=progress)
    click.echo("", err=True)
    click.echo(auditor.render(auditor.summary(verdicts), show_diffs=diffs))


def _register_class_commands() -> None:
    from grader.classgrade import commands  # imports this module: register from grader.cli only

    for name in commands.__all__:
        main.add_command(getattr(commands, name))


if __name__ == "grader.cli":
    _register_class_commands()

def console() -> None:
    """The ``bpcourse`` command (``python -m grader.cli`` too): ``main``, then a quick exit.

    Once the command has ended, its output is flushed and its exit handlers have run, the
    interpreter's own teardown (freeing numpy and every module: 5 ms of a 0.4 s grade) serves
    nothing, and the process ends at once with the command's exit code. Anything unusual (a
    thread still running, an exit code that is not a number, output that cannot be flushed)
    takes the ordinary way out."""
    import atexit
    import os

    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
        if code is None:
            code = 0
        if type(code) is not int or threading.active_count() > 1:
            raise
    if threading.active_count() > 1:
        sys.exit(code)
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except Exception:  # noqa: BLE001 - e.g. a closed pipe: the ordinary exit reports it
        sys.exit(code)
    atexit._run_exitfuncs()
    os._exit(code & 0xFF)


if __name__ == "__main__":  # pragma: no cover
    from grader.cli import console as _console  # the module with every command registered

    _console()
