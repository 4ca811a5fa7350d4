"""`bpcourse release`: the student bundle holds nothing of the reference, and its wheel,
installed into a fresh virtual environment, checks the stubs and a correct submission."""
import json
import os
import re
import shutil
import site
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main

ROOT = Path(__file__).resolve().parents[2]
PRIVATE = ("grader_hidden", "solutions", "exercises", "backprop_course", "__editable__",
           "grader")


def _norm(line: str) -> str:
    return re.sub(r"\s+", " ", line.strip())


def _public_lines() -> set[str]:
    lines = set()
    for path in [*(ROOT / "grader").rglob("*.py"), *(ROOT / "exercises").glob("*.py")]:
        lines |= {_norm(x) for x in path.read_text(encoding="utf-8").splitlines()}
    return lines


def hidden_lines() -> set[str]:
    """Every distinctive line of a reference function body (between the solution markers)
    or of the hidden part, that the public grader does not hold too."""
    found = set()
    for path in (ROOT / "solutions").glob("*.py"):
        inside = False
        for line in path.read_text(encoding="utf-8").splitlines():
            if "### BEGIN SOLUTION" in line:
                inside = True
            elif "### END SOLUTION" in line:
                inside = False
            elif inside:
                found.add(_norm(line))
    for path in (ROOT / "grader_hidden").glob("*.py"):
        found |= {_norm(x) for x in path.read_text(encoding="utf-8").splitlines()}
    public = _public_lines()
    return {x for x in found if len(x) >= 12 and x not in public and not x.startswith("#")}


def leaks(texts: dict[str, str], secret: set[str]) -> list[str]:
    return sorted(f"{name}: {line}" for name, text in texts.items()
                  for line in {_norm(x) for x in text.splitlines()} & secret)


def released_texts(out: Path) -> dict[str, str]:
    texts = {}
    for path in out.rglob("*"):
        if path.is_file() and path.suffix != ".whl":
            texts[str(path.relative_to(out))] = path.read_text(encoding="utf-8")
    for wheel in out.glob("*.whl"):
        with zipfile.ZipFile(wheel) as zf:
            for name in zf.namelist():
                texts[f"{wheel.name}:{name}"] = zf.read(name).decode("utf-8", "replace")
    return texts


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    out = tmp_path_factory.mktemp("rel") / "out"
    result = CliRunner().invoke(main, ["release", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_the_release_holds_stubs_a_readme_and_a_wheel_without_the_reference(release):
    assert sorted(p.name for p in release.iterdir()) == [
        "README.md", "backprop_course-0.1.0-py3-none-any.whl", "exercises", "notebooks"]
    assert len(list((release / "notebooks").glob("*.ipynb"))) == 9
    secret = hidden_lines()
    assert len(secret) > 100
    # The scan can fail: it finds the reference in the instructor's own files.
    assert leaks({"solutions/network.py": (ROOT / "solutions" / "network.py").read_text()}, secret)
    assert leaks({"grader_hidden": (ROOT / "grader_hidden" / "network.py").read_text()}, secret)
    texts = released_texts(release)
    assert leaks(texts, secret) == []
    members = [n for n in texts if ".whl:" in n]
    assert not [n for n in members if re.search(r"\.whl:(solutions|grader_hidden|exercises)/|"
                                                r"\.whl:grader/examples/", n)]
    assert any(n.endswith(".whl:grader/cli.py") for n in members)
    for stub in (release / "exercises").glob("*.py"):
        assert "solutions/" not in stub.read_text(encoding="utf-8")


def test_release_never_writes_into_a_folder_that_holds_something(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    result = CliRunner().invoke(main, ["release", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "not an empty folder" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def _deps_dir(tmp_path: Path) -> Path:
    """This interpreter's installed packages (numpy, click, …) without the course's own."""
    deps = tmp_path / "deps"
    deps.mkdir()
    dirs = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
            *site.getsitepackages()}
    for d in sorted(dirs):
        for entry in sorted(Path(d).iterdir()) if Path(d).is_dir() else ():
            if entry.name.startswith(PRIVATE) or entry.suffix == ".pth" \
                    or (deps / entry.name).exists():
                continue
            (deps / entry.name).symlink_to(entry)
    return deps


def test_the_wheel_installed_in_a_fresh_venv_checks_stubs_and_a_correct_submission(
        release, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                              "['purelib'])"], capture_output=True, text=True,
                             check=True).stdout.strip()
    Path(purelib, "_deps.pth").write_text(str(_deps_dir(tmp_path)) + "\n")
    wheel = next(release.glob("*.whl"))
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                           "-q", "--no-index", "--no-deps", str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    work = tmp_path / "student"
    shutil.copytree(release, work)

    def cli(*args):
        return subprocess.run([env_dir / "bin" / "bpcourse", *args], capture_output=True,
                              text=True, cwd=work, env=env, timeout=300)

    probe = subprocess.run(
        [python, "-c", "import importlib.util as u, grader; print(grader.__file__); "
         "print([m for m in ('grader_hidden', 'solutions') if u.find_spec(m)])"],
        capture_output=True, text=True, cwd=tmp_path, env=env)
    where, found = probe.stdout.splitlines()
    assert where.startswith(str(env_dir)) and found == "[]"

    stubs = cli("check", "--format", "json")
    assert stubs.returncode == 1, stubs.stderr
    assert json.loads(stubs.stdout)["score"] == 0
    shutil.copytree(ROOT / "solutions", work / "correct")
    correct = cli("check", "correct", "--format", "json")
    assert correct.returncode == 0, correct.stderr
    report = json.loads(correct.stdout)
    assert report["score"] == report["max_score"] > 0
    one = cli("run", "relu", "[-1, 0, 2]", "--path", "correct")
    assert one.returncode == 0 and "array([0., 0., 2.])" in one.stdout
    graded = cli("grade", "correct")
    assert graded.returncode == 2 and "instructor's install" in graded.stderr


def test_the_student_wheel_requires_what_pyproject_requires():
    from grader.release import REQUIRES

    text = (ROOT / "pyproject.toml").read_text()
    block = text.split("dependencies = [", 1)[1].split("]", 1)[0]
    assert tuple(re.findall(r'"([^"]+)"', block)) == REQUIRES


def test_release_without_notebooks_leaves_them_out(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["release", str(out), "--no-notebooks"])
    assert result.exit_code == 0, result.output
    assert not (out / "notebooks").exists() and (out / "exercises").is_dir()
