"""Does the command line behave as documented: formats, exit codes, one-line errors?"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import EXAMPLE, main
from grader.impl import FUNCTION_MODULE

ROOT = Path(__file__).resolve().parents[2]


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)), catch_exceptions=False)


@pytest.fixture(scope="module")
def example_json():
    result = run("grade", EXAMPLE, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_json_has_the_contract_shape(example_json):
    assert set(example_json) >= {"score", "max_score", "exercises"}
    assert example_json["max_score"] == 100.0
    assert set(example_json["exercises"]) >= set(FUNCTION_MODULE)
    for name, exercise in example_json["exercises"].items():
        assert {"score", "max_score", "checks"} <= set(exercise), name
        for check in exercise["checks"]:
            assert {"name", "passed", "score", "max_score", "message"} <= set(check)
            assert isinstance(check["passed"], bool)
    total = sum(e["score"] for e in example_json["exercises"].values())
    assert example_json["score"] == pytest.approx(total)


def test_the_bundled_example_loses_points_exactly_for_its_three_slips(example_json):
    lost = {name: e for name, e in example_json["exercises"].items() if e["score"] < e["max_score"]}
    assert set(lost) == {"relu_prime", "backward", "numerical_gradient"}
    assert "relu_prime_at_zero" in lost["relu_prime"]["mistakes"]
    assert "transposed_dW" in lost["backward"]["mistakes"]
    assert "forward_difference" in lost["numerical_gradient"]["mistakes"]
    # train calls the broken backward, and keeps its marks (fair blame)
    assert example_json["exercises"]["train"]["score"] == example_json["exercises"]["train"]["max_score"]


def test_grading_is_deterministic(example_json):
    again = json.loads(run("grade", EXAMPLE, "--format", "json").stdout)
    for report in (again, example_json):
        report.pop("seconds")
        for exercise in report["exercises"].values():  # speed advice reports measured time
            exercise["notes"] = [n for n in exercise.get("notes", []) if " s on the checks" not in n]
    assert again == example_json


def test_gradescope_output_is_a_results_json():
    out = json.loads(run("grade", EXAMPLE, "--format", "gradescope").stdout)
    assert {"score", "tests", "output", "execution_time"} <= set(out)
    assert {t["status"] for t in out["tests"]} == {"passed", "failed"}
    assert sum(t["score"] for t in out["tests"]) == pytest.approx(out["score"])


def test_student_audience_hides_hidden_expected_values():
    instructor = run("grade", EXAMPLE).stdout
    student = run("grade", EXAMPLE, "--audience", "student").stdout
    # relu_prime(0) in a hidden case: instructors see what was expected, students do not
    assert "values differ; got an array of shape" in instructor
    assert "values differ; got" not in student and "values differ" in student
    assert "relu_prime_at_zero" in student  # the mistake is still named


@pytest.mark.parametrize("make, message", [
    (lambda tmp: tmp / "nothing-here", "no such file or folder"),
    (lambda tmp: (tmp / "bad.zip").write_bytes(b"PK\x03\x04 not a zip") and tmp / "bad.zip", "zip"),
    (lambda tmp: (tmp / "empty").mkdir() or tmp / "empty", "no exercise"),
])
def test_bad_input_gives_one_line_and_exit_2(tmp_path, make, message):
    path = make(tmp_path)
    result = CliRunner().invoke(main, ["grade", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.stderr
    assert message in lines[0].lower()
    assert "Traceback" not in result.output + result.stderr


def test_output_never_overwrites_without_asking(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("precious")
    refused = CliRunner().invoke(main, ["grade", str(EXAMPLE), "-o", str(target)])
    assert refused.exit_code == 2 and "exists" in refused.stderr
    assert target.read_text() == "precious"
    done = run("grade", EXAMPLE, "--format", "json", "-o", target, "--overwrite")
    assert done.exit_code == 0
    assert json.loads(target.read_text())["max_score"] == 100.0


def test_a_zip_of_the_reference_gets_100(tmp_path):
    archive = tmp_path / "hw.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for module in set(FUNCTION_MODULE.values()):
            zf.write(ROOT / "solutions" / f"{module}.py", f"hw/exercises/{module}.py")
    out = json.loads(run("grade", archive, "--format", "json").stdout)
    assert out["score"] == 100.0


def test_help_documents_exit_codes():
    for command in ("grade", "check"):
        text = run(command, "--help").output
        assert "Exit codes" in text and "2  usage error" in text


def test_check_runs_public_checks_only_and_never_claims_everything_passed():
    result = CliRunner().invoke(main, ["check", str(ROOT / "solutions"), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["mode"] == "check" and report["score"] == report["max_score"] < 100
    visibilities = {c["visibility"] for e in report["exercises"].values() for c in e["checks"]}
    assert visibilities == {"public"}
    text = run("check", ROOT / "solutions").stdout
    assert "all tests passed" not in text.lower() and "public checks" in text


def test_check_exits_1_when_a_public_check_fails():
    assert CliRunner().invoke(main, ["check", str(EXAMPLE)]).exit_code == 1


def test_check_works_without_the_solutions_and_the_hidden_part(tmp_path):
    """A student's install has neither solutions/ nor the hidden part (grader_hidden): a copy
    of the instructor's grader without both, with any installed copy of them blocked too,
    still checks (every public check runs, the reference scores full marks on them) and
    refuses to grade in one line."""
    install = tmp_path / "install"
    shutil.copytree(ROOT / "grader", install / "grader",
                    ignore=shutil.ignore_patterns("__pycache__"))
    assert not (install / "grader_hidden").exists() and not (install / "solutions").exists()
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('solutions', 'grader_hidden'):\n"
        "            raise ImportError('not in a student install', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from grader.cli import main\n"
        "import grader\n"
        "assert grader.__file__.startswith(sys.argv[1]), grader.__file__\n"
        "main(sys.argv[2:])\n"
    )
    submission = tmp_path / "sub"
    shutil.copytree(ROOT / "solutions", submission)
    env = {**os.environ, "PYTHONPATH": str(install)}

    def cli(*args):
        return subprocess.run([sys.executable, "-c", blocker, str(install), *args],
                              capture_output=True, text=True, cwd=tmp_path, timeout=120, env=env)

    done = cli("check", str(submission), "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["score"] == report["max_score"] > 0
    with_hidden = json.loads(run("check", submission, "--format", "json").stdout)
    assert report["max_score"] == with_hidden["max_score"]  # the same public checks
    graded = cli("grade", str(submission))
    assert graded.returncode == 2 and graded.stdout == ""
    assert graded.stderr.count("\n") == 1 and "instructor's install" in graded.stderr


def test_grading_writes_nothing_into_the_working_folder(tmp_path):
    """No hypothesis database or cache lands in the user's folder (grade and check both
    run hypothesis on the example, whose properties fail)."""
    for command in ("grade", "check"):
        subprocess.run([sys.executable, "-m", "grader.cli", command, str(EXAMPLE)], cwd=tmp_path,
                       capture_output=True, timeout=120,
                       env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert list(tmp_path.iterdir()) == []


def test_a_grader_bug_is_one_line_and_gradescope_still_gets_results(tmp_path, monkeypatch):
    import grader.api

    def broken(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(grader.api, "grade", broken)
    target = tmp_path / "results.json"
    result = CliRunner().invoke(main, ["grade", str(EXAMPLE), "--format", "gradescope", "-o",
                                       str(target)])
    assert result.exit_code == 3
    assert result.stderr.strip().count("\n") == 0 and "simulated bug" in result.stderr
    assert json.loads(target.read_text())["score"] == 0.0


@pytest.mark.parametrize("phase", ["staging", "grading"])
@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_grading_removes_its_temporary_folders_and_says_so(tmp_path, sig, code,
                                                                          phase):
    """Killed politely (SIGTERM from a scheduler, Ctrl-C), the grader unwinds: its temporary
    folders go, and it exits 128 + the signal with one line. "staging": the signal comes as soon
    as the temporary folder exists; "grading": while a slow submission is being graded."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    sub = tmp_path / "sub"
    shutil.copytree(EXAMPLE, sub)
    with open(sub / "train.py", "a", encoding="utf-8") as f:  # every call of train is slow
        f.write("\n\ndef train(*args, **kwargs):\n    import time\n    time.sleep(2)\n")
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "grader.cli", "grade", str(sub)],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    wanted = "bpcourse-submission-*" + ("/stage/exercises/train.py" if phase == "grading" else "")
    try:
        deadline = time.monotonic() + 120
        while not list(tmp.glob(wanted)):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the submission was never staged"
            time.sleep(0.002)
        if phase == "grading":
            time.sleep(0.5)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == code, err
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and "interrupted by " + sig.name in lines[0], err
    assert list(tmp.iterdir()) == []  # ours (bpcourse-submission-*) and the sandbox's


def test_signal_handlers_are_restored_after_a_command():
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    run("grade", "--help")
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_timeout_option_sets_the_call_deadline(example_json):
    result = run("grade", EXAMPLE, "--format", "json", "--timeout", "2")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["score"] == example_json["score"]


def test_a_bad_course_secret_is_a_one_line_usage_error(monkeypatch):
    monkeypatch.setenv("BPCOURSE_SECRET", "short")
    result = run("grade", EXAMPLE)
    assert result.exit_code == 2
    assert "course secret" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    monkeypatch.setenv("BPCOURSE_SECRET", "short")
    assert run("check", EXAMPLE).exit_code in (0, 1)  # students never need the secret


def test_check_only_runs_the_named_exercises_and_modules():
    result = run("check", ROOT / "solutions", "--only", "backward", "--only", "gradcheck",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    assert list(json.loads(result.stdout)["exercises"]) == [
        "backward", "numerical_gradient", "relative_error"]
    bad = CliRunner().invoke(main, ["check", str(ROOT / "solutions"), "--only", "backwards"])
    assert bad.exit_code == 2 and bad.output.count("\n") == 1 and "no such exercise" in bad.output


def test_run_calls_one_function_from_the_stub_folder_with_relative_imports(tmp_path):
    folder = tmp_path / "mine"
    shutil.copytree(ROOT / "exercises", folder)
    path = folder / "neuron.py"  # uses `from .activations import sigmoid`
    path.write_text(path.read_text().replace(
        "    raise NotImplementedError('mse_loss: the ½ is part of the loss.')",
        "    return 0.5 * (y - y_hat) ** 2 + 0 * (sigmoid is None)"))
    done = subprocess.run([sys.executable, "-m", "grader.cli", "run", "mse_loss", "1.0", "0.5"],
                          capture_output=True, text=True, cwd=folder,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0 and done.stdout.strip() == "mse_loss(1.0, 0.5) returned 0.125"
    stub = run("run", "sigmoid", "0.5", "--path", folder)
    assert stub.exit_code == 1 and stub.output.startswith("sigmoid is not written yet")
    bad = run("run", "sigmoid", "--path", tmp_path)
    assert bad.exit_code == 2 and "no exercise files" in bad.output
