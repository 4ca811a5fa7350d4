"""Staging a submission: which layouts load, what hostile zips cannot do, what notebooks become."""
from __future__ import annotations

import hashlib
import io
import os
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader import submission
from grader.submission import EXERCISE_MODULES, Staged, SubmissionError, staged

# ---------------------------------------------------------------------------- helpers


def module_source(name: str) -> str:
    """A tiny module that says which module it is, and uses a sibling the way students do."""
    extra = "from .activations import which as _sibling\n" if name == "network" else ""
    return f'{extra}def which():\n    return "{name}"\n'


def write_modules(folder: Path, names=EXERCISE_MODULES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for m in names:
        (folder / f"{m}.py").write_text(module_source(m), encoding="utf-8")
    return folder


def make_zip(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def modules_members(prefix: str = "") -> dict[str, str]:
    return {f"{prefix}{m}.py": module_source(m) for m in EXERCISE_MODULES}


def run_in(root: Path, code: str) -> str:
    """Run ``code`` in a fresh interpreter that sees the staged package first; return stdout."""
    prog = f"import sys; sys.path.insert(0, {str(root)!r})\n{code}"
    proc = subprocess.run([sys.executable, "-I", "-c", prog], capture_output=True, text=True,
                          timeout=60, cwd=root)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def tree_digest(folder: Path) -> dict[str, tuple]:
    """Every path under ``folder`` with its content hash, mode and mtime."""
    out = {}
    for p in sorted(folder.rglob("*")):
        st = os.lstat(p)
        digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() and not p.is_symlink() \
            else None
        out[p.relative_to(folder).as_posix()] = (digest, st.st_mode, st.st_mtime_ns)
    return out


def assert_one_line(exc: pytest.ExceptionInfo) -> None:
    text = str(exc.value)
    assert text and "\n" not in text and "Traceback" not in text


def notebook(*cells, path: Path) -> Path:
    kernel = {"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    nbformat.write(new_notebook(cells=list(cells), metadata=kernel), str(path))
    return path


TEST_CELL = {"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 1,
                          "locked": True, "schema_version": 3, "task": False}}
SOLUTION_CELL = {"nbgrader": {"grade": False, "solution": True, "grade_id": "s", "locked": False,
                              "schema_version": 3, "task": False}}


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """Make the stager's temp folders live under tmp_path/t so tests can see all it writes."""
    t = tmp_path / "t"
    t.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(t))
    return t


# ---------------------------------------------------------------------------- layouts


def check_all_six(s: Staged) -> None:
    assert s.modules == list(EXERCISE_MODULES)
    pkg = s.root / "exercises"
    assert sorted(os.listdir(s.root)) == ["exercises"]  # the sandbox binds only this folder
    assert list(s.root.parent.iterdir()) == [s.root]  # an archive's unpacked copy is gone
    assert (pkg / "__init__.py").read_text() == ""
    for m in EXERCISE_MODULES:
        assert (pkg / f"{m}.py").read_text() == module_source(m)


def test_folder_with_modules_side_by_side(tmp_path):
    sub = write_modules(tmp_path / "sub")
    with staged(sub) as s:
        check_all_six(s)
        assert s.source == "folder sub/ (6 modules)"
        assert run_in(s.root, "import exercises.network as n; print(n.which(), n._sibling())") \
            == "network activations\n"


def test_a_relative_path_is_taken_from_the_working_folder(tmp_path, monkeypatch):
    write_modules(tmp_path / "sub")
    monkeypatch.chdir(tmp_path)
    with staged("sub") as s:
        check_all_six(s)
    with pytest.raises(SubmissionError, match="no such file or folder: nope"):
        with staged("nope"):
            pass


def test_folder_with_exercises_inside(tmp_path):
    write_modules(tmp_path / "repo" / "exercises")
    (tmp_path / "repo" / "README.md").write_text("hi")
    with staged(str(tmp_path / "repo")) as s:
        check_all_six(s)
        assert "exercises/ inside" in s.source


@pytest.mark.parametrize("inner", ["hw", "hw/exercises"])
def test_folder_with_a_single_top_folder(tmp_path, inner):
    write_modules(tmp_path / "outer" / inner)
    with staged(tmp_path / "outer") as s:
        check_all_six(s)
        assert "hw/" in s.source


def test_missing_modules_cost_only_themselves(tmp_path):
    sub = write_modules(tmp_path / "sub", ["activations", "network"])
    with staged(sub) as s:
        assert s.modules == ["activations", "network"]
        assert not (s.root / "exercises" / "train.py").exists()
        assert any("missing" in n and "train.py" in n for n in s.notes)


def test_helper_modules_are_copied_and_test_files_are_not(tmp_path):
    sub = write_modules(tmp_path / "sub")
    (sub / "utils.py").write_text("X = 1\n")
    (sub / "test_mine.py").write_text("assert False\n")
    with staged(sub) as s:
        assert (s.root / "exercises" / "utils.py").exists()
        assert not (s.root / "exercises" / "test_mine.py").exists()
        assert any("utils.py" in n for n in s.notes)


def test_top_level_sibling_imports_are_graded_as_relative_ones(tmp_path):
    """`from activations import which` works in the student's folder; it must in the sandbox,
    which sees only the package folder exercises/."""
    sub = write_modules(tmp_path / "sub")
    (sub / "utils.py").write_text("def helper():\n    return 'helped'\n")
    (sub / "network.py").write_text(
        "import numpy as np\n"
        "from activations import which as w\n"
        "import activations as act, utils\n\n"
        "def which():\n"
        "    from neuron import which as nw  # also inside functions\n"
        "    return f\"network+{w()}+{act.which()}+{nw()}+{utils.helper()}\"\n")
    original = (sub / "network.py").read_text()
    with staged(sub) as s:
        assert sorted(os.listdir(s.root)) == ["exercises"]  # nothing the sandbox would not see
        out = run_in(s.root, "import exercises.network as n\nprint(n.which())")
        assert out == "network+activations+activations+neuron+helped\n"
        staged_text = (s.root / "exercises" / "network.py").read_text()
        assert "import numpy as np" in staged_text
        assert any("relative imports" in n and "network.py" in n for n in s.notes)
    assert (sub / "network.py").read_text() == original


def test_staged_files_are_readable_by_an_unprivileged_sandbox(tmp_path):
    with staged(write_modules(tmp_path / "sub")) as s:
        assert stat.S_IMODE(os.stat(s.root).st_mode) & 0o005 == 0o005
        assert stat.S_IMODE(os.stat(s.root.parent).st_mode) & 0o005 == 0o005
        assert stat.S_IMODE(os.stat(s.root / "exercises" / "train.py").st_mode) & 0o004


def test_modules_win_over_notebooks_with_a_note(tmp_path):
    sub = write_modules(tmp_path / "sub")
    notebook(new_code_cell("def sigmoid(z): return z"), path=sub / "nb.ipynb")
    with staged(sub) as s:
        check_all_six(s)
        assert any("notebooks" in n for n in s.notes)


# ---------------------------------------------------------------------------- zips


def test_zip_of_modules_side_by_side(tmp_path):
    z = make_zip(tmp_path / "hw.zip", modules_members())
    with staged(z) as s:
        check_all_six(s)
        assert s.source == "zip hw.zip (6 modules)"


def test_zip_with_exercises_inside(tmp_path):
    members = {**modules_members("exercises/"), "exercises/__init__.py": ""}
    z = make_zip(tmp_path / "hw.zip", members)
    with staged(z) as s:
        check_all_six(s)
        assert s.source == "zip hw.zip (exercises/ inside, 6 modules)"


def test_zip_from_compress_folder_with_single_top_folder_and_macos_metadata(tmp_path):
    members = {**modules_members("hw/"), "__MACOSX/hw/._activations.py": b"\x00\x05\x16\x07",
               "hw/._network.py": b"\x00\x05", "hw/data.csv": "1,2\n", "hw/.DS_Store": b"\0"}
    z = make_zip(tmp_path / "hw.zip", members)
    with staged(z) as s:
        check_all_six(s)
        assert "single top folder hw/" in s.source
        assert any("__MACOSX" in n for n in s.notes)
        assert any("other file" in n and "data.csv" in n for n in s.notes)


def test_zip_members_that_try_to_escape_write_nothing_outside(tmp_path, private_tmp, monkeypatch):
    monkeypatch.chdir(private_tmp)
    absolute = tmp_path / "abs_evil.py"
    members = {**modules_members(),
               "../evil1.py": "x", "../../evil2.py": "x", "../../../evil3.py": "x",
               "exercises/../../evil4.py": "x", str(absolute): "x", "/evil5.py": "x",
               "C:\\evil6.py": "x", "..\\..\\evil7.py": "x"}
    z = make_zip(tmp_path / "hw.zip", members)
    before = set(tmp_path.rglob("*"))
    with staged(z) as s:
        check_all_six(s)
        base = s.root.parent
        # Every file written lies inside the stager's own temp folder...
        outside = [p for p in set(tmp_path.rglob("*")) - before
                   if p.is_file() and base not in p.parents]
        assert outside == []
        # ...and none of the hostile names made it in.
        assert not [p for p in base.rglob("evil*")]
        assert any("unsafe" in n for n in s.notes)
    assert not absolute.exists()
    assert not Path("/evil5.py").exists()
    assert set(tmp_path.rglob("*")) == before


def test_zip_bomb_is_refused_with_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(submission, "MAX_TOTAL_BYTES", 4 * 2**20)
    z = tmp_path / "bomb.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("activations.py", "w") as f:
        for _ in range(8):
            f.write(b"#" * 2**20)
    assert z.stat().st_size < 100_000  # a real bomb: tiny archive, large contents
    with pytest.raises(SubmissionError, match="zip bomb") as exc:
        with staged(z):
            pass
    assert_one_line(exc)


def test_default_limits_are_sane():
    assert 10 * 2**20 <= submission.MAX_TOTAL_BYTES <= 2**30
    assert submission.MAX_FILE_BYTES <= submission.MAX_TOTAL_BYTES
    assert 100 <= submission.MAX_MEMBERS <= 100_000


def test_zip_with_too_many_members_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(submission, "MAX_MEMBERS", 10)
    z = make_zip(tmp_path / "many.zip", {f"f{i}.txt": "" for i in range(11)})
    with pytest.raises(SubmissionError, match="entries") as exc:
        with staged(z):
            pass
    assert_one_line(exc)


def test_an_oversized_member_is_skipped_and_costs_only_itself(tmp_path, monkeypatch):
    monkeypatch.setattr(submission, "MAX_MODULE_BYTES", 1000)
    members = {**modules_members(), "train.py": "#" * 5000}
    with staged(make_zip(tmp_path / "hw.zip", members)) as s:
        assert "train" not in s.modules and len(s.modules) == 5
        assert any("train.py" in n and "skipped" in n for n in s.notes)


def test_symlink_member_is_ignored(tmp_path):
    buf = {**modules_members()}
    del buf["activations.py"]
    z = tmp_path / "links.zip"
    make_zip(z, buf)
    with zipfile.ZipFile(z, "a") as zf:
        info = zipfile.ZipInfo("activations.py")
        info.create_system = 3  # unix
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with staged(z) as s:
        target = s.root / "exercises" / "activations.py"
        assert not target.exists() and not target.is_symlink()
        assert "activations" not in s.modules
        assert not [p for p in s.root.rglob("*") if p.is_symlink()]
        assert any("symbolic link" in n for n in s.notes)


@pytest.mark.parametrize("content", [b"this is not a zip at all", b"PK\x03\x04garbage" * 10,
                                     "truncated"])
def test_corrupt_zip_is_a_submission_error(tmp_path, content):
    z = tmp_path / "hw.zip"
    if content == "truncated":
        whole = make_zip(tmp_path / "whole.zip", modules_members()).read_bytes()
        content = whole[: len(whole) // 2]
    z.write_bytes(content)
    with pytest.raises(SubmissionError, match="hw.zip") as exc:
        with staged(z):
            pass
    assert_one_line(exc)


def test_zip_with_nothing_to_grade_is_a_submission_error(tmp_path):
    z = make_zip(tmp_path / "empty.zip", {"README.md": "nothing here"})
    with pytest.raises(SubmissionError, match="no exercise modules") as exc:
        with staged(z):
            pass
    assert_one_line(exc)


# ---------------------------------------------------------------------------- errors, safety


def test_missing_path_is_a_submission_error(tmp_path):
    with pytest.raises(SubmissionError, match="no such file or folder") as exc:
        with staged(tmp_path / "nope"):
            pass
    assert_one_line(exc)


def test_folder_without_modules_or_notebooks_is_a_submission_error(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "notes.txt").write_text("hello")
    with pytest.raises(SubmissionError, match="no exercise modules") as exc:
        with staged(tmp_path / "sub"):
            pass
    assert_one_line(exc)


def test_folder_holding_only_a_zip_points_at_the_zip(tmp_path):
    (tmp_path / "sub").mkdir()
    make_zip(tmp_path / "sub" / "hw.zip", modules_members())
    with pytest.raises(SubmissionError, match="pass the archive hw.zip itself"):
        with staged(tmp_path / "sub"):
            pass


def test_a_symlink_given_as_the_path_is_followed(tmp_path):
    write_modules(tmp_path / "real")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with staged(tmp_path / "link") as s:
        check_all_six(s)


@pytest.mark.parametrize("name", ["essay.txt", "activations.py"])
def test_a_file_that_is_neither_is_a_submission_error(tmp_path, name):
    (tmp_path / name).write_text("x = 1\n")
    with pytest.raises(SubmissionError) as exc:
        with staged(tmp_path / name):
            pass
    assert_one_line(exc)


def test_the_users_folder_is_never_modified(tmp_path):
    sub = write_modules(tmp_path / "sub" / "exercises")
    (sub / "__init__.py").write_text("from .activations import *\n")
    (sub / "network.py").write_text("from activations import which\n")
    notebook(new_code_cell("%matplotlib inline\ndef sigmoid(z): return z"),
             path=tmp_path / "sub" / "nb.ipynb")
    before = tree_digest(tmp_path)
    with staged(tmp_path / "sub") as s:
        check_root = s.root
    with staged(tmp_path / "sub" / "nb.ipynb"):
        pass
    assert tree_digest(tmp_path) == before
    assert not check_root.exists()


def test_temp_folder_is_removed_afterwards_even_on_exception(tmp_path):
    sub = write_modules(tmp_path / "sub")
    with staged(sub) as s:
        root = s.root
        assert root.exists()
    assert not root.exists() and not root.parent.exists()
    with pytest.raises(RuntimeError):
        with staged(sub) as s:
            root = s.root
            raise RuntimeError("the grader crashed")
    assert not root.exists() and not root.parent.exists()


def test_temp_folder_is_removed_when_staging_fails(tmp_path, private_tmp):
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    with pytest.raises(SubmissionError):
        with staged(tmp_path / "bad.zip"):
            pass
    assert list(private_tmp.iterdir()) == []


def test_undecodable_module_is_skipped_with_a_note_and_bom_is_tolerated(tmp_path):
    sub = write_modules(tmp_path / "sub")
    (sub / "neuron.py").write_bytes("# café\n".encode("latin-1") + b"def which(): pass\n")
    (sub / "train.py").write_bytes(b"\xef\xbb\xbf" + module_source("train").encode())
    with staged(sub) as s:
        assert "neuron" not in s.modules and "train" in s.modules
        assert any("neuron.py" in n and "UTF-8" in n for n in s.notes)
        assert (s.root / "exercises" / "train.py").read_text(encoding="utf-8") == \
            module_source("train")


def test_symlinked_module_in_a_folder_is_not_followed(tmp_path):
    secret = tmp_path / "secret.py"
    secret.write_text("KEY = 'reference'\n")
    sub = write_modules(tmp_path / "sub", [m for m in EXERCISE_MODULES if m != "activations"])
    (sub / "activations.py").symlink_to(secret)
    with staged(sub) as s:
        assert "activations" not in s.modules
        assert not (s.root / "exercises" / "activations.py").exists()
        assert any("symbolic link" in n for n in s.notes)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_named_like_a_module_does_not_hang(tmp_path):
    sub = write_modules(tmp_path / "sub", [m for m in EXERCISE_MODULES if m != "train"])
    os.mkfifo(sub / "train.py")
    with staged(sub) as s:
        assert "train" not in s.modules and len(s.modules) == 5


def test_users_init_with_code_is_replaced_by_an_empty_one(tmp_path):
    pkg = write_modules(tmp_path / "sub" / "exercises")
    (pkg / "__init__.py").write_text("import os\nos.system('echo hi')\n")
    with staged(tmp_path / "sub") as s:
        assert (s.root / "exercises" / "__init__.py").read_text() == ""
        assert any("__init__.py" in n for n in s.notes)


# ---------------------------------------------------------------------------- notebooks


def activations_notebook(path: Path) -> Path:
    return notebook(
        new_markdown_cell("# Activations"),
        new_code_cell("%matplotlib inline\nimport numpy as np\n!pip install nothing"),
        new_code_cell("def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n\nsigmoid(0.0)",
                      metadata=SOLUTION_CELL),
        new_code_cell("def sigmoid_prime(z):\n    s = sigmoid(z)\n    return s * (1 - s)",
                      metadata=SOLUTION_CELL),
        new_code_cell("assert sigmoid_prime(0.0) == 999  # an nbgrader test", metadata=TEST_CELL),
        new_code_cell("raise RuntimeError('left over from class')\n"),
        new_code_cell("W = undefined_name + 1\n\ndef relu(z):\n    return np.maximum(0, z)"),
        new_code_cell("print(sigmoid(1.0))\nfor i in range(10**9):\n    pass"),
        path=path)


def test_notebook_functions_resolve_and_missing_ones_stay_missing(tmp_path):
    nb = activations_notebook(tmp_path / "activations.ipynb")
    with staged(nb) as s:
        assert s.source == "notebook activations.ipynb"
        assert s.modules == ["activations"]
        out = run_in(s.root, "\n".join([
            "import exercises.activations as a, exercises.network as n",
            "print(a.sigmoid_prime(0.0), a.relu(-2.0))",
            "print(hasattr(a, 'relu_prime'), hasattr(n, 'forward'), hasattr(a, 'W'))",
            "from exercises.activations import sigmoid_prime",
            "print(sigmoid_prime is a.sigmoid_prime)",
            "print(len(a._CELL_ERRORS), 'NameError' in a._CELL_ERRORS[0])",
        ]))
        assert out.split("\n")[:4] == ["0.25 0.0", "False False False", "True", "1 True"]


def test_notebook_magics_dropped_and_test_cells_skipped_with_notes(tmp_path):
    nb = activations_notebook(tmp_path / "activations.ipynb")
    with staged(nb) as s:
        code = (s.root / "exercises" / "_notebooks.py").read_text()
        assert "%matplotlib" not in code and "pip install" not in code
        assert "999" not in code  # the nbgrader test cell
        assert "range(10**9)" not in code and "left over" not in code
        notes = "\n".join(s.notes)
        assert "magic" in notes and "nbgrader test cell" in notes
        assert "only run code" in notes


def test_folder_of_notebooks_is_read_in_file_name_order(tmp_path):
    d = tmp_path / "nbs"
    d.mkdir()
    notebook(new_code_cell("import numpy as np\ndef sigmoid(z):\n    return 1/(1+np.exp(-z))"),
             path=d / "1-activations.ipynb")
    notebook(new_code_cell("EARLY = sigmoid  # binds notebook 1's sigmoid: 1 ran before 2"),
             path=d / "2-network.ipynb")
    # Natural order: 10 comes after 2; it redefines sigmoid, so its definition wins.
    notebook(new_code_cell("def sigmoid(z):\n    return 'from notebook 10'\n"
                           "def loss(Y_hat, Y):\n    return 0.0"),
             path=d / "10-late.ipynb")
    ckpt = d / ".ipynb_checkpoints"
    ckpt.mkdir()
    notebook(new_code_cell("def relu(z):\n    return 'checkpoint'"),
             path=ckpt / "x-checkpoint.ipynb")
    with staged(d) as s:
        assert s.source == "3 notebooks in folder nbs/"
        assert s.modules == ["activations", "network"]
        out = run_in(s.root, "import exercises.activations as a, exercises.network as n\n"
                             "print(a.EARLY(0.0), a.sigmoid(0), n.loss(1, 2), hasattr(a, 'relu'))")
        assert out == "0.5 from notebook 10 0.0 False\n"


def test_notebooks_in_a_zip(tmp_path):
    buf = io.StringIO()
    nbformat.write(new_notebook(cells=[new_code_cell("def relu(z):\n    return max(0, z)")]), buf)
    z = make_zip(tmp_path / "nb.zip", {"hw/ps1.ipynb": buf.getvalue(),
                                       "hw/.ipynb_checkpoints/ps1-checkpoint.ipynb": "{}"})
    with staged(z) as s:
        assert s.source == "zip nb.zip (1 notebook)"
        assert run_in(s.root, "import exercises.activations as a; print(a.relu(-3))") == "0\n"


def test_old_notebook_format_is_tolerated(tmp_path):
    nb4 = new_notebook(cells=[new_code_cell("def tanh(z):\n    return 'v3'")])
    path = tmp_path / "old.ipynb"
    path.write_text(nbformat.writes(nbformat.convert(nb4, 3), version=3))
    assert nbformat.reads(path.read_text(), as_version=nbformat.NO_CONVERT).nbformat == 3
    with staged(path) as s:
        assert run_in(s.root, "import exercises.activations as a; print(a.tanh(0))") == "v3\n"


def test_unreadable_notebook_is_a_one_line_error(tmp_path):
    (tmp_path / "broken.ipynb").write_text("{ not json")
    with pytest.raises(SubmissionError, match="broken.ipynb") as exc:
        with staged(tmp_path / "broken.ipynb"):
            pass
    assert_one_line(exc)


def test_an_unreadable_notebook_among_others_is_skipped_with_a_note(tmp_path):
    d = tmp_path / "nbs"
    d.mkdir()
    notebook(new_code_cell("def relu(z):\n    return 0"), path=d / "a.ipynb")
    (d / "b.ipynb").write_bytes(b"\xff\xfe not utf-8")
    (d / "c.ipynb").write_text("[]")
    with staged(d) as s:
        assert s.source == "1 notebook in folder nbs/"
        assert sorted(os.listdir(s.root)) == ["exercises"]
        assert any("b.ipynb" in n and "UTF-8" in n for n in s.notes)
        assert any("c.ipynb" in n for n in s.notes)


def test_a_cell_with_a_syntax_error_costs_only_that_cell(tmp_path):
    nb = notebook(new_code_cell("def relu(z):\n    return max(0, z)"),
                  new_code_cell("def relu_prime(z:\n    return 1"),
                  new_code_cell("%%bash\necho hi"),
                  new_code_cell("%%time\ndef tanh(z):\n    return 0.0"),
                  path=tmp_path / "nb.ipynb")
    with staged(nb) as s:
        out = run_in(s.root, "import exercises.activations as a\n"
                             "print(a.relu(-1), a.tanh(1), hasattr(a, 'relu_prime'))")
        assert out == "0 0.0 False\n"
        assert any("SyntaxError" in n and "cell magic" in n for n in s.notes)


def test_tracebacks_name_the_notebook_cell_and_line(tmp_path):
    nb = notebook(new_code_cell("%matplotlib inline\n\ndef tanh(z):\n    return undefined_name"),
                  path=tmp_path / "ps1.ipynb")
    with staged(nb) as s:
        out = run_in(s.root, "\n".join([
            "import os, traceback, exercises.activations as a",
            "try:",
            "    a.tanh(0.0)",
            "except NameError as exc:",
            "    f = traceback.extract_tb(exc.__traceback__)[-1]",
            "    pkg = os.path.join(os.path.dirname(a.__file__), '')",
            "    print(f.filename.startswith(pkg), os.path.basename(f.filename), f.lineno, f.line)",
        ]))
        assert out == "True ps1.ipynb [code cell 1] 4 return undefined_name\n"


def test_assignment_that_defines_a_contract_function_is_kept(tmp_path):
    nb = notebook(new_code_cell("def make(k):\n    return lambda z: k * z\n"
                                "relu = make(1.0)\nparams = make(2.0)"),
                  path=tmp_path / "nb.ipynb")
    with staged(nb) as s:
        out = run_in(s.root, "import exercises.activations as a\n"
                             "print(a.relu(2.0), hasattr(a, 'params'))")
        assert out == "2.0 False\n"


# ---------------------------------------------------------------------------- odd input
# Each of these crashed the grader (exit 3) or cost a correct submission points, before the
# loader ran in a child process under limits.


def test_a_very_long_expression_in_a_module_is_staged(tmp_path):
    """`1 + 1 + … + 1` is legal Python, but too long for the recursive AST builder."""
    sub = write_modules(tmp_path / "sub")
    (sub / "network.py").write_text(
        "from activations import which as w\n"
        "X = " + " + ".join(["1"] * 50_000) + "\n", encoding="utf-8")
    with staged(sub) as s:
        assert s.modules == list(EXERCISE_MODULES)
        assert any("network.py" in n and "nested too deeply" in n for n in s.notes)
        assert (s.root / "exercises" / "network.py").read_text().startswith("from activations")


@pytest.mark.parametrize("bomb", [
    "X = " + "-" * 100_000 + "1",  # the parser's stack: MemoryError
    "X = " + " + ".join(["1"] * 100_000),  # the AST builder: RecursionError
    "X = " + "[" * 100_000 + "]" * 100_000,  # the tokenizer's nesting limit: SyntaxError
    "def f(:\n" * 20_000,  # many errors
], ids=["unary-minus", "long-sum", "deep-brackets", "many-errors"])
def test_a_cell_that_exhausts_the_parser_costs_only_that_cell(tmp_path, bomb):
    nb = notebook(new_code_cell("def relu(z):\n    return max(0, z)"),
                  new_code_cell("def tanh(z):\n    return 0.0\n" + bomb),
                  new_code_cell("def sigmoid(z):\n    return 0.5"),
                  path=tmp_path / "nb.ipynb")
    with staged(nb) as s:
        assert any("code cell 2" in n for n in s.notes), s.notes
        out = run_in(s.root, "import exercises.activations as a\n"
                             "print(a.relu(-1), a.sigmoid(3), hasattr(a, 'tanh'))")
        assert out == "0 0.5 False\n"


SEPARATORS = ["\u2028", "\u2029", "\f", "\v", "\x1c", "\x1d", "\x1e", "\x85"]


@pytest.mark.parametrize("sep", SEPARATORS, ids=[f"U+{ord(c):04X}" for c in SEPARATORS])
def test_line_separators_inside_strings_do_not_break_the_import_rewrite(tmp_path, sep):
    """Python splits lines at \\n only; str.splitlines also at these, which shifted every later
    line: the rewrite missed the sibling import and the module failed to import."""
    sub = write_modules(tmp_path / "sub")
    (sub / "network.py").write_text(
        f'S = "a{sep}b"  # a comment{sep}with a separator\n'
        f"#{sep}\n\f\n"  # a form feed alone on a line is common (a page break)
        "from activations import which as w\n\n"
        "def which():\n    return 'network+' + w() + str(len(S))\n", encoding="utf-8")
    with staged(sub) as s:
        assert "from .activations import which" in \
            (s.root / "exercises" / "network.py").read_text(encoding="utf-8")
        assert run_in(s.root, "import exercises.network as n; print(n.which())") \
            == "network+activations3\n"


@pytest.mark.parametrize("sep", SEPARATORS, ids=[f"U+{ord(c):04X}" for c in SEPARATORS])
def test_line_separators_in_a_notebook_cell_keep_the_cell(tmp_path, sep):
    nb = notebook(new_code_cell(f'def relu(z):\n    return "a{sep}b"  # c{sep}d\n'
                                "%matplotlib inline\n"),  # a magic: the stripping path runs
                  path=tmp_path / "nb.ipynb")
    with staged(nb) as s:
        out = run_in(s.root, "import exercises.activations as a; print(repr(a.relu(0)))")
        assert out == repr(f"a{sep}b") + "\n"


def test_carriage_returns_count_as_newlines_like_python_does(tmp_path):
    sub = write_modules(tmp_path / "sub")
    (sub / "network.py").write_bytes(b"X = 1\rfrom activations import which as w\r\n"
                                     b"def which():\r    return 'n+' + w()\r")
    nb = notebook(new_code_cell("X = 1\rdef relu(z):\r\n    return 7\r"), path=sub / "nb.ipynb")
    with staged(sub) as s:
        assert run_in(s.root, "import exercises.network as n; print(n.which())") \
            == "n+activations\n"
    with staged(nb) as s:
        assert run_in(s.root, "import exercises.activations as a; print(a.relu(0))") == "7\n"


def test_nul_bytes_and_undecodable_bytes_cost_only_their_module(tmp_path):
    sub = write_modules(tmp_path / "sub")
    (sub / "neuron.py").write_bytes(b"def which():\n    return 'neuron'\x00\n")
    (sub / "train.py").write_bytes(b"\xff\xfe\x00d\x00e\x00f")
    (sub / "two_layer.py").write_bytes(b"\xef\xbb\xbf\xef\xbb\xbfX = 1\n")  # two BOMs
    with staged(sub) as s:
        assert "neuron" in s.modules and "train" not in s.modules  # neuron fails at import
        assert any("train.py" in n and "UTF-8" in n for n in s.notes)


def test_a_coding_declaration_is_honoured(tmp_path):
    sub = write_modules(tmp_path / "sub")
    (sub / "neuron.py").write_bytes(
        "# -*- coding: latin-1 -*-\nfrom activations import which as w\n"
        "def which():\n    return 'café+' + w()\n".encode("latin-1"))
    with staged(sub) as s:
        assert "neuron" in s.modules
        assert run_in(s.root, "import exercises.neuron as n; print(n.which())") \
            == "café+activations\n"


def test_a_module_is_never_megabytes(tmp_path):
    """A 3 MB unused helper once cost the grader 1.5 GB of memory to parse."""
    sub = write_modules(tmp_path / "sub")
    (sub / "junk.py").write_text("JUNK = [" + "a," * 1_500_000 + "]\n")
    (sub / "train.py").write_text("X = [" + "0," * 200_000 + "]\n" + module_source("train"))
    with staged(sub) as s:
        assert "train" not in s.modules
        assert not (s.root / "exercises" / "junk.py").exists()
        assert any("junk.py" in n and "limit" in n for n in s.notes)
        assert any("train.py" in n and "limit" in n for n in s.notes)
    assert submission.MAX_MODULE_BYTES <= 2**20


# ---------------------------------------------------------------------------- caps


def test_notebooks_beyond_the_cap_are_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(submission, "MAX_NOTEBOOKS", 2)
    d = tmp_path / "nbs"
    d.mkdir()
    for i, fn in enumerate(["relu", "tanh", "sigmoid"], 1):
        notebook(new_code_cell(f"def {fn}(z):\n    return {i}"), path=d / f"{i}.ipynb")
    with staged(d) as s:
        assert run_in(s.root, "import exercises.activations as a\n"
                              "print(a.relu(0), a.tanh(0), hasattr(a, 'sigmoid'))") == "1 2 False\n"
        assert any("first 2 of 3 notebooks" in n for n in s.notes)


def test_code_cells_beyond_the_caps_are_skipped_with_notes(tmp_path, monkeypatch):
    monkeypatch.setattr(submission, "MAX_CODE_CELLS", 3)
    monkeypatch.setattr(submission, "MAX_CELL_BYTES", 100)
    nb = notebook(new_code_cell("def relu(z):\n    return 1"),
                  new_code_cell("def tanh(z):\n    return 2  # " + "x" * 100),
                  new_code_cell("def sigmoid(z):\n    return 3"),
                  new_code_cell("def loss(z):\n    return 4"),
                  path=tmp_path / "nb.ipynb")
    with staged(nb) as s:
        assert run_in(s.root, "import exercises.activations as a, exercises.network as n\n"
                              "print(a.relu(0), a.sigmoid(0), hasattr(a, 'tanh'), "
                              "hasattr(n, 'loss'))") == "1 3 False False\n"
        notes = "\n".join(s.notes)
        assert "code cell 2 (longer than" in notes and "more than 3 code cells" in notes


def test_code_beyond_the_total_cap_is_skipped(tmp_path, monkeypatch):
    monkeypatch.setattr(submission, "MAX_CODE_BYTES", 200)
    sub = write_modules(tmp_path / "sub")
    (sub / "train.py").write_text(module_source("train") + "#" * 300)
    with staged(sub) as s:
        assert "train" not in s.modules and "activations" in s.modules
        assert any("train.py" in n and "code together exceeds" in n for n in s.notes)


def test_helpers_beyond_the_cap_are_not_copied(tmp_path, monkeypatch):
    monkeypatch.setattr(submission, "MAX_HELPERS", 2)
    sub = write_modules(tmp_path / "sub")
    for i in range(4):
        (sub / f"helper{i}.py").write_text("X = 1\n")
    with staged(sub) as s:
        copied = sorted(p.name for p in (s.root / "exercises").glob("helper*.py"))
        assert copied == ["helper0.py", "helper1.py"]
        assert any("only 2 helper" in n for n in s.notes)


def test_many_files_in_a_folder_cost_nothing_else(tmp_path, monkeypatch):
    monkeypatch.setattr(submission, "MAX_ENTRIES", 50)
    sub = write_modules(tmp_path / "sub")
    for i in range(200):
        (sub / f"data{i:03d}.txt").write_text("")
    with staged(sub) as s:
        assert any("first 50 entries" in n for n in s.notes)


# ---------------------------------------------------------------------------- zips, more


def _patch_sizes(archive: Path, member: str, declared: int) -> None:
    """Make the archive declare ``declared`` bytes (uncompressed) for ``member``."""
    import struct

    data = bytearray(archive.read_bytes())
    name = member.encode()
    cd = data.find(b"PK\x01\x02" + bytes(0))  # first central directory header
    while cd != -1:
        n = struct.unpack_from("<H", data, cd + 28)[0]
        if data[cd + 46:cd + 46 + n] == name:
            struct.pack_into("<I", data, cd + 24, declared)
            local = struct.unpack_from("<I", data, cd + 42)[0]
            struct.pack_into("<I", data, local + 22, declared)
        cd = data.find(b"PK\x01\x02", cd + 4)
    archive.write_bytes(bytes(data))


def test_zip_sizes_count_as_produced_not_as_declared(tmp_path):
    """A member that declares 4 GiB but is never read costs nothing; old code refused the whole
    archive as a zip bomb on the declared sizes."""
    z = make_zip(tmp_path / "hw.zip", {**modules_members(), "data.csv": "1,2\n"})
    _patch_sizes(z, "data.csv", 0xFFFF0000)
    assert zipfile.ZipFile(z).getinfo("data.csv").file_size == 0xFFFF0000
    with staged(z) as s:
        check_all_six(s)


def test_a_member_that_lies_about_its_size_is_skipped(tmp_path):
    z = make_zip(tmp_path / "hw.zip", modules_members())
    _patch_sizes(z, "train.py", 10)  # the real text is longer: the CRC of 10 bytes is wrong
    with staged(z) as s:
        assert "train" not in s.modules and len(s.modules) == 5
        assert any("train.py" in n for n in s.notes)


def test_zip_bomb_is_refused_on_the_bytes_it_produces(tmp_path, monkeypatch):
    monkeypatch.setattr(submission, "MAX_TOTAL_BYTES", 3 * 2**20)
    z = tmp_path / "bomb.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(8):  # each under the notebook cap, together over the total
            zf.writestr(f"nb{i}.ipynb", b" " * (2**20 - 10))
    with pytest.raises(SubmissionError, match="zip bomb") as exc:
        with staged(z):
            pass
    assert_one_line(exc)


def test_members_compressed_otherwise_than_deflate_are_skipped(tmp_path):
    z = tmp_path / "hw.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in modules_members().items():
            zf.writestr(name, text, compress_type=zipfile.ZIP_BZIP2 if name == "train.py"
                        else zipfile.ZIP_DEFLATED)
    with staged(z) as s:
        assert "train" not in s.modules and len(s.modules) == 5
        assert any("train.py" in n and "method" in n for n in s.notes)


def test_odd_member_names_are_refused_or_ignored_never_written_outside(tmp_path, private_tmp):
    members = {**modules_members(), "a\x1b[2Jb.py": "x", "é/ü.py": "x", "x" * 300 + ".py": "x",
               "train.py/inner.py": "x", "c:evil.py": "x"}
    z = make_zip(tmp_path / "hw.zip", members)
    with staged(z) as s:
        check_all_six(s)
        notes = "\n".join(s.notes)
        assert "\x1b" not in notes and "unsafe" in notes


def test_a_zip_with_a_huge_central_directory_is_refused_early(tmp_path, monkeypatch):
    monkeypatch.setattr(submission, "MAX_MEMBERS", 10)
    z = make_zip(tmp_path / "many.zip", {f"f{i}.txt": "" for i in range(11)})
    with pytest.raises(SubmissionError, match="entries") as exc:
        with staged(z):
            pass
    assert_one_line(exc)


# ---------------------------------------------------------------------------- reading safely


def test_a_symlinked_folder_inside_the_submission_is_not_followed(tmp_path):
    write_modules(tmp_path / "elsewhere")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "hw").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(SubmissionError, match="no exercise modules"):
        with staged(tmp_path / "sub"):
            pass
    (tmp_path / "sub2").mkdir()
    (tmp_path / "sub2" / "exercises").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(SubmissionError, match="no exercise modules"):
        with staged(tmp_path / "sub2"):
            pass


def _open_dir(path: Path, notes: list):
    from grader.submission._files import Dir

    return Dir.open(str(path), "", 100, notes)


def test_reads_refuse_links_and_special_files_even_when_swapped_after_listing(tmp_path,
                                                                              monkeypatch):
    """What the listing said does not matter: the open itself refuses links (O_NOFOLLOW) and
    the fstat after it refuses FIFOs, without blocking (O_NONBLOCK)."""
    from grader.submission._common import UnitSkipped
    from grader.submission._files import Dir

    (tmp_path / "secret.py").write_text("KEY = 1\n")
    d = tmp_path / "sub"
    d.mkdir()
    (d / "ok.py").write_text("X = 1\n")
    (d / "link.py").symlink_to(tmp_path / "secret.py")
    os.mkfifo(d / "fifo.py")
    (d / "dirlink").symlink_to(tmp_path)
    folder = _open_dir(d, [])
    monkeypatch.setattr(Dir, "kinds", lambda self: {n: "file" for n in os.listdir(d)})
    assert folder.read("ok.py", 100) == b"X = 1\n"
    for name, why in [("link.py", "symbolic link"), ("fifo.py", "not a regular file"),
                      ("dirlink", "symbolic link"), ("../secret.py", "inside")]:
        with pytest.raises(UnitSkipped, match=why):
            folder.read(name, 100)
    assert folder.subdir("dirlink") is None
    with pytest.raises(UnitSkipped, match="limit"):
        folder.read("ok.py", 3)


def test_a_folder_swapped_for_a_link_after_it_was_opened_is_not_followed(tmp_path):
    """The walk holds each folder by descriptor: replacing it by a link to somewhere else
    (between the listing and the reads) changes nothing that is read."""
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "train.py").write_text("SECRET = 1\n")
    (tmp_path / "sub" / "hw").mkdir(parents=True)
    (tmp_path / "sub" / "hw" / "train.py").write_text("MINE = 1\n")
    top = _open_dir(tmp_path / "sub", [])
    hw = top.subdir("hw")
    (tmp_path / "sub" / "hw").rename(tmp_path / "gone")
    (tmp_path / "sub" / "hw").symlink_to(tmp_path / "elsewhere")
    assert hw.read("train.py", 100) == b"MINE = 1\n"
    assert top.subdir("hw") is None  # and the link itself is never entered


def test_a_file_that_grows_while_read_is_read_only_up_to_its_cap(tmp_path):
    from grader.submission._common import UnitSkipped
    from grader.submission._files import read_fd

    r, w = os.pipe()
    os.close(w)
    with pytest.raises(UnitSkipped, match="not a regular file"):
        read_fd(r, "pipe", 10)
    p = tmp_path / "f"
    p.write_bytes(b"x" * 5)
    fd = os.open(p, os.O_RDONLY)
    with open(p, "ab") as f:  # appended after the open: fstat said 5, the read finds more
        f.write(b"y" * 100)
    with pytest.raises(UnitSkipped):
        read_fd(fd, "f", 10)


# ---------------------------------------------------------------------------- limits


def _measure(root: Path, target: Path, setup: str = "") -> dict:
    """Stage ``target`` in a fresh interpreter; its own and its children's peak RSS (MiB)."""
    prog = "\n".join([
        "import json, resource, sys, time",
        f"sys.path.insert(0, {str(root)!r})",
        "from grader import submission",
        setup,
        "t = time.perf_counter()",
        "try:",
        f"    with submission.staged({str(target)!r}) as s:",
        "        out = {'modules': s.modules, 'notes': s.notes}",
        "except submission.SubmissionError as exc:",
        "    out = {'error': str(exc)}",
        "out['seconds'] = time.perf_counter() - t",
        # VmHWM, not ru_maxrss: the latter keeps the RSS of the pytest process that forked us
        # (Linux carries it across exec), which is 300 MB deep into the suite.
        "out['host_mib'] = [int(l.split()[1]) for l in open('/proc/self/status')",
        "                   if l.startswith('VmHWM:')][0] / 1024",
        "out['child_mib'] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024",
        "print(json.dumps(out))",
    ])
    done = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return __import__("json").loads(done.stdout)


ROOT = Path(__file__).resolve().parents[2]


def test_the_hosts_memory_stays_small_whatever_the_notebooks_hold(tmp_path):
    """A zip of notebooks whose cells are huge lists: parsing each costs hundreds of MB (once
    7.9 GB in the grader itself); now the child pays, within its limit, and the host stays
    small. The caps are raised here so that the cells really are parsed."""
    z = tmp_path / "hw.zip"
    body = "[" + "a," * 200_000 + "]\n"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("0.ipynb", nbformat.writes(new_notebook(cells=[
            new_code_cell("def relu(z):\n    return 0")])))
        for i in range(1, 4):
            zf.writestr(f"{i}.ipynb", nbformat.writes(new_notebook(cells=[new_code_cell(body)])))
    got = _measure(ROOT, z, "submission.MAX_CELL_BYTES = submission.MAX_CODE_BYTES = 2**30")
    assert got.get("modules") == ["activations"], got
    assert got["host_mib"] < 100, got
    assert got["child_mib"] < submission.STAGER_MEMORY / 2**20, got
    assert got["seconds"] < 30, got


def test_a_unit_that_stalls_the_child_is_skipped_and_the_rest_staged(tmp_path):
    """A cell that takes longer than UNIT_TIMEOUT to parse: the host kills the child and runs it
    again without that cell."""
    nb = notebook(new_code_cell("def relu(z):\n    return 0"),
                  new_code_cell("X = [" + "a," * 1_000_000 + "]"),
                  new_code_cell("def tanh(z):\n    return 1"), path=tmp_path / "nb.ipynb")
    got = _measure(ROOT, nb, "submission.MAX_CELL_BYTES = submission.MAX_CODE_BYTES = 2**30\n"
                             "submission.UNIT_TIMEOUT = 0.05")
    assert got.get("modules") == ["activations"], got
    assert any("code cell 2" in n and "too long" in n for n in got["notes"]), got


def test_a_unit_that_needs_too_much_memory_is_skipped_and_the_rest_staged(tmp_path):
    nb = notebook(new_code_cell("def relu(z):\n    return 0"),
                  new_code_cell("X = [" + "a," * 1_000_000 + "]"),
                  new_code_cell("def tanh(z):\n    return 1"), path=tmp_path / "nb.ipynb")
    got = _measure(ROOT, nb, "submission.MAX_CELL_BYTES = submission.MAX_CODE_BYTES = 2**30\n"
                             "submission.STAGER_MEMORY = 160 * 2**20")
    assert got.get("modules") == ["activations"], got
    assert any("code cell 2" in n and "memory" in n for n in got["notes"]), got
    assert got["child_mib"] < 170, got


def test_statements_sharing_lines_decorators_and_multibyte_text_run_as_written(tmp_path):
    nb = notebook(new_code_cell("A = 'é𝔘'; relu = lambda z: 'r' + A\n"
                                "def deco(f):\n    return f\n"
                                "@deco\n\ndef tanh(z):\n    return 't' + A  # é\n"
                                "X = 1; Y = 2 + \\\n    3; Z = (4,\n 5)\n"),
                  path=tmp_path / "nb.ipynb")
    with staged(nb) as s:
        out = run_in(s.root, "import exercises.activations as a\n"
                             "print(a.relu(0), a.tanh(0), a.Y, a.Z, a._CELL_ERRORS)")
        assert out == "ré𝔘 té𝔘 5 (4, 5) []\n"


def test_the_generated_module_stays_small_and_fast_for_many_tiny_statements(tmp_path):
    """Each statement costs a short line in _notebooks.py (its text is a slice of the cell's),
    and runs in time linear in the cell (it was quadratic: ~25 s for this cell)."""
    name = "\U000e0001" * 50 + ".ipynb"  # a name whose repr is 10 bytes a character
    nb = notebook(new_code_cell("x=1\n" * 50_000 + "def relu(z):\n    return 3"),
                  path=tmp_path / name)
    with staged(nb) as s:
        generated = (s.root / "exercises" / "_notebooks.py").stat().st_size
        assert generated < 2 * 2**20
        start = time.monotonic()
        assert run_in(s.root, "import exercises.activations as a; print(a.relu(0))") == "3\n"
        assert time.monotonic() - start < 12


def test_staging_past_its_deadline_is_a_one_line_error(tmp_path):
    got = _measure(ROOT, write_modules(tmp_path / "sub"), "submission.STAGE_TIMEOUT = 0.001")
    assert "took too long" in got["error"] and "\n" not in got["error"], got
