"""`bpcourse release OUT/`: the student bundle, built from the instructor's install.

OUT/ receives the stubs (``exercises/``), a student README, and a wheel of the public grader
(``grader`` without the example submission): ``bpcourse check`` and ``bpcourse run``, the
public checks, nothing of ``solutions/`` or the hidden part (``grader_hidden``). The wheel is
written here with ``zipfile`` (a wheel is a zip with a few metadata files): no build tool,
no network, the same bytes for the same sources.
"""
from __future__ import annotations

import base64
import hashlib
import importlib.util
import os
import zipfile
from pathlib import Path

NAME = "backprop-course"  # the same distribution name: `bpcourse --version` keeps working
# The runtime dependencies of pyproject.toml's [project] table (a test keeps them in step).
REQUIRES = ("numpy>=1.24", "click>=8.1", "hypothesis>=6.80", "nbformat>=5.9")
# Left out of the student wheel: the example submission is a near-complete solution.
EXCLUDED = ("grader/examples/",)
FIXED_TIME = (2020, 1, 1, 0, 0, 0)


class ReleaseError(Exception):
    """The release cannot be built here (one line for the user)."""


def _version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version(NAME)
    except PackageNotFoundError:
        return "0.1.0"


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ReleaseError(f"`release` needs the instructor's install (no package {name!r} here)")
    return Path(list(spec.submodule_search_locations)[0])


def _files(root: Path, package: str) -> list[tuple[str, Path]]:
    out = []
    for path in sorted((root).rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo"):
            continue
        arcname = f"{package}/{path.relative_to(root).as_posix()}"
        if not arcname.startswith(EXCLUDED):
            out.append((arcname, path))
    return out


def _record_line(arcname: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def wheel_name() -> str:
    """The file name of the student wheel (at the top of the release folder)."""
    return f"{NAME.replace('-', '_')}-{_version()}-py3-none-any.whl"


def build_wheel(out: Path) -> Path:
    """The student wheel of the public grader, in ``out``."""
    version = _version()
    dist = NAME.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    wheel = out / wheel_name()
    members: list[tuple[str, bytes]] = [
        (arcname, path.read_bytes()) for arcname, path in _files(_package_dir("grader"), "grader")]
    metadata = "\n".join([
        "Metadata-Version: 2.1", f"Name: {NAME}", f"Version: {version}",
        "Summary: The student's side of backprop-course: public checks and `bpcourse check`.",
        "Requires-Python: >=3.10", *(f"Requires-Dist: {r}" for r in REQUIRES), ""])
    members += [
        (f"{info}/METADATA", metadata.encode()),
        (f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: bpcourse release\n"
                          b"Root-Is-Purelib: true\nTag: py3-none-any\n"),
        (f"{info}/entry_points.txt", b"[console_scripts]\nbpcourse = grader.ahead:console\n"),
        (f"{info}/top_level.txt", b"grader\n"),
    ]
    record = [_record_line(a, d) for a, d in members] + [f"{info}/RECORD,,"]
    members.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode()))
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for arcname, data in members:
            item = zipfile.ZipInfo(arcname, FIXED_TIME)
            item.compress_type = zipfile.ZIP_DEFLATED
            item.external_attr = 0o644 << 16
            zf.writestr(item, data)
    return wheel


def build_release(out: Path, notebooks: bool = True) -> list[Path]:
    """Write the student bundle into ``out`` (absent or empty); the paths written. With
    ``notebooks``, the course's student notebooks too (``notebooks/``, made by nbgrader's
    ``generate_assignment``: needs the instructor's install with the 'course' extra)."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ReleaseError(f"{out} exists and is not an empty folder; give a new one "
                           "(nothing is ever overwritten)")
    stubs = _package_dir("exercises")
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "exercises").mkdir()
    except OSError as exc:
        raise ReleaseError(f"cannot write {out}: {exc.strerror}") from None
    written = []
    for path in sorted(stubs.glob("*.py")):
        target = out / "exercises" / path.name
        target.write_bytes(path.read_bytes())
        written.append(target)
    readme = out / "README.md"
    readme.write_text(STUDENT_README.format(wheel=wheel_name()), encoding="utf-8")
    if notebooks:
        written += _notebooks(out / "notebooks")
    written += [readme, build_wheel(out)]
    for path in written:
        os.chmod(path, 0o644)
    return written


def _notebooks(dest: Path) -> list[Path]:
    from grader import course_notebooks

    if not course_notebooks.COURSE.is_dir():
        raise ReleaseError("the course notebooks (course/) are not in this install; "
                           "release from the repository, or pass --no-notebooks")
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        raise ReleaseError("the notebooks are released with nbgrader: pip install "
                           "'backprop-course[course]', or pass --no-notebooks") from None
    try:
        return course_notebooks.release_notebooks(dest)
    except course_notebooks.BuildError as exc:
        raise ReleaseError(str(exc)) from None


STUDENT_README = """\
# Backpropagation, by hand: your exercises

You write eighteen small numpy functions, from `sigmoid` to `train`, in the six files of
`exercises/`. Each one says `# YOUR CODE HERE` where your code goes; replace the
`raise NotImplementedError(...)` line below it with your answer. The docstring above says
what the function takes and returns (shapes included).

## Install the course tool (once)

```sh
python3 -m venv .venv && . .venv/bin/activate
pip install {wheel}
```

This gives you `bpcourse`. Your code runs with the standard library and numpy only: the
grader runs it in a sandbox that has nothing else (no `click`, `scipy`, `torch`, …).

## Run one of your functions

From this folder (the one holding `exercises/`):

```sh
bpcourse run sigmoid 0.5
bpcourse run relu "[-1.0, 0.0, 2.0]"
bpcourse run mse_loss 1.0 0.25
```

Arguments are Python literals (numbers, lists, strings); lists become float arrays.
`bpcourse run` prints what your function returned, or where it failed. To try things out
in Python itself, import your files as the package `exercises` (from this folder, so that
their `from .activations import …` lines work):

```sh
python -c "from exercises.neuron import mse_loss; print(mse_loss(1.0, 0.25))"
```

## Check your work

```sh
bpcourse check --only sigmoid          # one exercise (repeat --only for more)
bpcourse check --only activations      # every function of one file
bpcourse check                         # everything
```

`check` runs the public checks: the article's problems, properties of each function
(σ(−z) = 1 − σ(z), the loss is a mean, …), your gradients against finite differences of
your own forward pass, and hygiene (shapes, arguments left untouched). Your instructor's
grading adds hidden cases on inputs you have not seen.

## Read the feedback

The first lines give your score on the public checks and a table, one row per exercise:
*passed*, *partial*, *failed*, *not started* (the stub still raises
`NotImplementedError`; it costs nothing to leave one for later), or *waiting* (its file
imports a file that does not import, or its checks use another function of yours that fails
its own checks: a note says which one to fix first). Below the table, each
exercise that lost points says which check failed, on which input, what your function
returned and what was expected; when the answer matches a classic slip (a transposed `dW`,
a missing `1/B`, …) it says so and how to fix it. Advice marked "no points deducted" is
only advice. Exit code 0 means every public check passed, 1 that something needs work.
"""
