"""The ``bpcourse`` command: a thin click layer over the grader's Python API.

Exit codes: 0 success; 1 the command ran and found a problem (stale stubs);
2 usage error (bad option, missing path, unreadable archive).
"""
from __future__ import annotations

from pathlib import Path

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="backprop-course")
def main() -> None:
    """backprop-course: teach backpropagation and grade it.

    \b
    Exit codes: 0 success; 1 the command ran and found a problem;
    2 usage error (bad option, missing path, unreadable archive).
    """


@main.command()
@click.option("--solutions", "solutions_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("solutions"), show_default=True, help="Folder of the reference solutions.")
@click.option("--exercises", "exercises_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("exercises"), show_default=True, help="Folder the stubs are written to.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if any stub is out of date.")
def stubs(solutions_dir: Path, exercises_dir: Path, check: bool) -> None:
    """Generate the student stubs in exercises/ from solutions/ (needs nbgrader)."""
    try:
        from grader import stubs as stubs_mod
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise click.ClickException(f"{exc}; install the 'course' extra") from None
    if not solutions_dir.is_dir():
        raise click.UsageError(f"no solutions folder at {solutions_dir}")
    try:
        if check:
            stale = stubs_mod.stale_stubs(solutions_dir, exercises_dir)
            if stale:
                click.echo("out of date: " + ", ".join(stale) + " (run `bpcourse stubs`)", err=True)
                raise SystemExit(1)
            click.echo("stubs are up to date")
            return
        changed = stubs_mod.write_stubs(solutions_dir, exercises_dir)
    except ModuleNotFoundError as exc:
        raise click.ClickException(f"{exc.name} is missing; install the 'course' extra") from None
    except stubs_mod.StubError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {len(changed)} file(s)" + (": " + ", ".join(changed) if changed else ""))


@main.command()
def article() -> None:
    """Run the reference solutions on the article's problems and print the numbers."""
    from grader.article import render_article_report

    click.echo(render_article_report())


if __name__ == "__main__":  # pragma: no cover
    main()
