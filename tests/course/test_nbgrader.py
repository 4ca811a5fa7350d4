"""Does the course release and grade through real nbgrader, and through our trusted grader?

One temporary course (root, gradebook, exchange) per module: `generate_assignment` once
(~6 s), then `autograde` of two submissions (~20 s each: nbgrader runs every notebook in its
own kernel): the reference notebooks, sent through release → fetch → submit → collect, and the
released stubs; and `bpcourse grade` of notebook folders (~2 s each).
"""
import json
import shutil
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.course_notebooks import ASSIGNMENT, COURSE, SOLUTIONS, text_sources
from grader.exercises import EXERCISES
from grader.stubs import BEGIN, END

EXERCISE_POINTS = [(e.name, e.points) for e in EXERCISES]

SOURCE = COURSE / "source" / ASSIGNMENT


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course root with the assignment generated: (root, NbGraderAPI)."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    root = tmp_path_factory.mktemp("course")
    shutil.copytree(SOURCE, root / "source" / ASSIGNMENT)
    shutil.copy(COURSE / "nbgrader_config.py", root)
    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.course_id = "backprop"
    config.Execute.timeout = 120  # a hang guard for a loaded machine, not a measurement
    config.Exchange.root = str(root.parent / "exchange")
    api = NbGraderAPI(config=config)
    result = api.generate_assignment(ASSIGNMENT, force=True)
    assert result["success"], result["error"] + result["log"]
    return root, api


def secret_lines():
    """Every line of a reference body (between the solution markers of solutions/) and of a
    hidden test block (in the text sources), stripped; only lines long enough to be telling."""
    found = set()
    blocks = [(p, BEGIN, END) for p in sorted(SOLUTIONS.glob("*.py"))]
    blocks += [(p, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS") for p in text_sources()]
    for path, begin, end in blocks:
        inside = False
        for line in path.read_text(encoding="utf-8").splitlines():
            if begin in line:
                inside = True
            elif end in line:
                inside = False
            elif inside and len(line.strip()) >= 12:
                found.add(line.strip())
    return found


def leaks(folder: Path) -> list[str]:
    """(file: line) for every secret line found in any file of ``folder``, notebooks read as
    notebooks (cell sources and outputs, unescaped)."""
    secret = secret_lines()
    assert len(secret) > 100  # the scan has something to look for
    out = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            text = "\n".join(json.dumps(c.get("outputs", [])) + "\n" + "".join(c["source"])
                             for c in json.loads(text)["cells"])
        lines = {ln.strip() for ln in text.splitlines()}
        out += [f"{path.name}: {ln}" for ln in sorted(secret & lines)]
        out += [f"{path.name}: marker {m}" for m in ("BEGIN SOLUTION", "HIDDEN TESTS") if m in text]
    return out


def test_released_notebooks_hold_no_reference_code_and_no_hidden_tests(course):
    root, _ = course
    released = root / "release" / ASSIGNMENT
    assert sorted(p.name for p in released.iterdir()) == sorted(
        p.name for p in SOURCE.iterdir() if p.name != "__pycache__")
    assert leaks(released) == []
    stubs = [c for p in released.glob("*.ipynb") for c in json.loads(p.read_text())["cells"]
             if c["metadata"].get("nbgrader", {}).get("solution")]
    assert len(stubs) == 15 and all("raise NotImplementedError()" in "".join(c["source"])
                                    for c in stubs)


def test_the_leak_scan_finds_the_solutions_in_the_source_notebooks():
    found = leaks(SOURCE)
    assert any("return np.tanh(np.asarray(z, dtype=float))" in f for f in found)
    assert any("_rng = np.random.default_rng(9)" in f for f in found)  # a hidden test of backward


def autograde(course, student, notebooks: Path | None = None):
    """Autograde ``student`` (after copying ``notebooks`` into submitted/, if given)."""
    from nbgrader.api import Gradebook

    root, api = course
    if notebooks is not None:
        shutil.copytree(notebooks, root / "submitted" / student / ASSIGNMENT)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy's noise about nbgrader's sessions
        result = api.autograde(ASSIGNMENT, student, force=True)
        assert result["success"], result["error"] + result["log"]
        with Gradebook(api.coursedir.db_url, "backprop") as gb:
            submission = gb.find_submission(ASSIGNMENT, student)
            return {g.name: (g.score, g.max_score) for nb in submission.notebooks
                    for g in nb.grades}


def student_side(course, home: Path):
    """A student's fetch_assignment and submit, through nbgrader's own exchange classes."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default import ExchangeFetchAssignment, ExchangeSubmit
    from traitlets.config import Config

    root, api = course
    config = Config()
    config.CourseDirectory.root = str(home)
    config.CourseDirectory.course_id = "backprop"
    config.CourseDirectory.assignment_id = ASSIGNMENT
    config.Exchange.root = api.config.Exchange.root
    config.Exchange.assignment_dir = str(home)
    parts = dict(coursedir=CourseDirectory(config=config),
                 authenticator=Authenticator(config=config), config=config)
    return (lambda: ExchangeFetchAssignment(**parts).start(),
            lambda: ExchangeSubmit(**parts).start())


def test_release_fetch_submit_collect_autograde_export_gives_the_solved_notebooks_full_marks(
        course, tmp_path):
    """The whole nbgrader round trip with the reference code filled in: 100 in the export."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    root, api = course
    assert api.release_assignment(ASSIGNMENT)["success"]
    fetch, submit = student_side(course, tmp_path)
    fetch()
    fetched = tmp_path / ASSIGNMENT
    assert sorted(p.name for p in fetched.glob("*.ipynb")) == sorted(p.name for p in SOURCE.glob("*.ipynb"))
    for notebook in SOURCE.glob("*.ipynb"):  # the student's answers: the reference solutions
        shutil.copy(notebook, fetched / notebook.name)
    submit()
    assert api.collect(ASSIGNMENT)["success"]
    (student,) = [p.name for p in (root / "submitted").iterdir()]
    grades = autograde(course, student)
    assert len(grades) == 18 and sum(m for _, m in grades.values()) == 100
    assert {name: s for name, (s, m) in grades.items() if s != m} == {}
    csv = tmp_path / "grades.csv"
    with warnings.catch_warnings(), Gradebook(api.coursedir.db_url, "backprop") as gb:
        warnings.simplefilter("ignore")
        CsvExportPlugin(to=str(csv)).export(gb)
    row = next(r for r in csv.read_text().splitlines()[1:] if f",{student}," in r)
    header = csv.read_text().splitlines()[0].split(",")
    values = dict(zip(header, row.split(",")))
    assert float(values["raw_score"]) == float(values["max_score"]) == 100


def test_autograde_gives_the_released_stubs_nothing(course):
    root, _ = course
    grades = autograde(course, "stubs", root / "release" / ASSIGNMENT)
    assert len(grades) == 18
    assert {name: s for name, (s, _) in grades.items() if s != 0} == {}


def test_autograde_takes_points_from_the_exercise_with_the_bug(course, tmp_path):
    """The article's transposed dW in backward: nbgrader's own autograde takes the points of
    backward only (three notebooks submitted; the missing ones score 0, as nbgrader does)."""
    buggy = tmp_path / "buggy"
    buggy.mkdir()
    for name in ("01_activations.ipynb", "06_minibatches.ipynb", "07_general_backprop.ipynb"):
        shutil.copy(SOURCE / name, buggy / name)
    set_cell(buggy / "07_general_backprop.ipynb", "backward_solution",
             lambda s: s.replace("(delta.T @ A_prev / B,", "(A_prev.T @ delta / B,"))
    grades = autograde(course, "buggy", buggy)
    wanted = {"test_" + name for name in ("sigmoid", "sigmoid_prime", "relu", "relu_prime",
                                          "tanh", "tanh_prime", "forward", "loss")}
    assert {name for name, (score, full) in grades.items() if score == full} == wanted


def trusted_grade(folder):
    result = CliRunner().invoke(main, ["grade", str(folder), "--format", "json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = trusted_grade.report = json.loads(result.stdout)
    trusted_grade.last = [f"{k}: {c['name']}: {c['message']}" for k, v in report["exercises"].items()
                          for c in v["checks"] if not c["passed"]][:5]  # for failure messages
    return report["score"], {k: (v["score"], v["max_score"]) for k, v in report["exercises"].items()}


def test_bpcourse_grade_takes_the_notebooks_solved_and_released(course):
    root, _ = course
    assert trusted_grade(SOURCE)[0] == 100, trusted_grade.last
    assert trusted_grade(root / "release" / ASSIGNMENT)[0] == 0


def set_cell(nb_path, grade_id, edit):
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)
    source = "".join(cell["source"])
    cell["source"] = edit(source)
    assert cell["source"] != source
    nb_path.write_text(json.dumps(nb), encoding="utf-8")


def test_bpcourse_grade_blames_the_right_exercise_and_ignores_in_kernel_tricks(tmp_path):
    sub = tmp_path / "submitted"
    shutil.copytree(SOURCE, sub, ignore=shutil.ignore_patterns("__pycache__"))
    # The article's transposed batch gradient in backward (notebook 7)...
    set_cell(sub / "07_general_backprop.ipynb", "backward_solution",
             lambda s: s.replace("(delta.T @ A_prev / B,", "(A_prev.T @ delta / B,"))
    # ...and a relative_error that always says "equal", with numpy's comparisons replaced at
    # import so that in-kernel asserts pass (notebook 8).
    set_cell(sub / "08_gradient_checking.ipynb", "relative_error_solution",
             lambda s: s.replace("return float(", "return 0.0 * float(")
             + "\nnp.isclose = np.allclose = lambda *a, **k: True\n")
    score, by_exercise = trusted_grade(sub)
    short = {name: got for name, (got, full) in by_exercise.items() if got < full}
    assert set(short) == {"backward", "relative_error"}, "only the two broken functions lose"
    assert short["backward"] <= 8 and short["relative_error"] <= 0.5
    assert score <= 100 - 8 - 2.5
    backward = trusted_grade.report["exercises"]["backward"]
    assert backward["where"] == "07_general_backprop.ipynb [code cell 3]"
    assert "06_minibatches.ipynb#The-batch-gradient-and-the-slip-in-the-article" in \
        [c["section"] for c in backward["checks"]]


def test_feedback_on_notebooks_names_the_notebook_cell_and_the_section_to_read(tmp_path):
    """What a student reads about their notebooks points into their notebooks: the cell that
    defines the function and the section that teaches the step, never a module file they never
    saw (the grader stages notebooks as modules)."""
    sub = tmp_path / "submitted"
    shutil.copytree(SOURCE, sub, ignore=shutil.ignore_patterns("__pycache__"))
    set_cell(sub / "07_general_backprop.ipynb", "backward_solution",
             lambda s: s.replace("(delta.T @ A_prev / B,", "(A_prev.T @ delta / B,"))
    result = CliRunner().invoke(main, ["grade", str(sub), "--audience", "student"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "Exercise backward (07_general_backprop.ipynb [code cell 3]): lost" in \
        "\n".join(lines)
    assert lines[6].split()[:2] == ["exercise", "notebook"]
    assert not [line for line in lines if ".py" in line.replace(".ipynb", "")]
    at = next(i for i, line in enumerate(lines) if "known mistake (transposed_dW)" in line)
    assert "read: 06_minibatches.ipynb § The batch gradient and the slip in the article" in \
        [line.strip() for line in lines[at:at + 4]]


def test_trusted_scores_go_into_nbgraders_gradebook_and_export(course, tmp_path):
    """bpcourse's scores, not in-kernel asserts, are what nbgrader export shows."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    from grader import nbgrader_scores

    root, api = course
    full = root / "submitted" / "trusted-full" / ASSIGNMENT
    shutil.copytree(SOURCE, full, ignore=shutil.ignore_patterns("__pycache__"))
    buggy = root / "submitted" / "trusted-buggy" / ASSIGNMENT
    shutil.copytree(SOURCE, buggy, ignore=shutil.ignore_patterns("__pycache__"))
    set_cell(buggy / "08_gradient_checking.ipynb", "relative_error_solution",
             lambda s: s.replace("return float(", "return 0.0 * float(")
             + "\nnp.isclose = np.allclose = lambda *a, **k: True\n")
    (root / "submitted" / "trusted-empty" / ASSIGNMENT).mkdir(parents=True)
    lines = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        totals = nbgrader_scores.grade_course(
            root, students=["trusted-full", "trusted-buggy", "trusted-empty"],
            db_url=api.coursedir.db_url, log=lines.append)
        assert totals["trusted-full"] == 100 and 97 <= totals["trusted-buggy"] < 100
        assert totals["trusted-empty"] is None and "trusted-empty: not graded" in lines[-1]
        with Gradebook(api.coursedir.db_url, "backprop") as gb:
            grades = {g.name: g.score for nb in gb.find_submission(ASSIGNMENT, "trusted-buggy").notebooks
                      for g in nb.grades}
            csv = tmp_path / "grades.csv"
            CsvExportPlugin(to=str(csv)).export(gb)
    assert {name for name, score in grades.items() if score < dict(EXERCISE_POINTS)[name[5:]]} \
        == {"test_relative_error"}
    rows = [dict(zip(csv.read_text().splitlines()[0].split(","), r.split(",")))
            for r in csv.read_text().splitlines()[1:]]
    assert {r["student_id"]: float(r["score"]) for r in rows if r["student_id"].startswith("trusted-f")} \
        == {"trusted-full": 100.0}


def test_scores_command_says_what_is_missing_in_one_line(tmp_path, capsys):
    from grader import nbgrader_scores

    assert nbgrader_scores.main([str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0


def test_release_notebooks_copies_out_what_generate_assignment_releases(course, tmp_path):
    from grader.course_notebooks import release_notebooks

    root, _ = course
    written = release_notebooks(tmp_path / "out")
    released = root / "release" / ASSIGNMENT
    assert sorted(p.name for p in written) == sorted(p.name for p in released.iterdir())
    for path in written:
        if path.suffix == ".ipynb":  # same cells (nbgrader's checksums and ids included)
            assert json.loads(path.read_text())["cells"] == \
                json.loads((released / path.name).read_text())["cells"]
    assert leaks(tmp_path / "out") == []


def test_release_notebooks_reports_nbgraders_failure_in_one_line(tmp_path):
    from grader.course_notebooks import BuildError, release_notebooks

    course = tmp_path / "course"
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    shutil.copy(COURSE / "nbgrader_config.py", course)
    (course / "source" / ASSIGNMENT / "broken.ipynb").write_text("{not json")
    with pytest.raises(BuildError, match="generate_assignment failed") as info:
        release_notebooks(tmp_path / "out", course=course)
    assert "\n" not in str(info.value)
