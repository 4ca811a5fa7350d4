"""Are the hostile cases real attacks? Each one, run with nothing to stop it, does its harm.

A hostile case that "passes" against the grader only means something if the same code, left
alone, would have hurt: read the reference, phoned home, left a process or a file behind,
fooled a naive comparison. So each attack runs here once, in a child Python process that
imports the assembled submission directly (no grader, no sandbox), and the test checks the
damage, then cleans it up. Attacks that kill or fork run only inside a throwaway PID
namespace (``unshare``), so that what they kill or leave behind dies with it; without one
they are skipped. Memory bombs run under a 1 GiB address-space limit.
"""
from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from . import support
from .assemble import assemble, new_marker
from .cases import BY_ID, REPO

# Put first in every child: the bank's helpers, the reference, a submission loader.
PRELUDE = f"""
import json, os, pickle, sys
sys.path[:0] = [{str(REPO / "tests")!r}, {str(REPO)!r}]
import numpy as np
from bank.support import load_package, processes_with
REF = load_package({str(REPO / "solutions")!r}, "_reference")
def report(**values):
    print("REPORT " + json.dumps(values), flush=True)
"""

ARTICLE = "x, W1, b1 = np.array([2.0]), np.array([[0.5], [-0.3]]), np.array([0.1, -0.2]); " \
          "W2, b2, y = np.array([[0.8, -0.4]]), np.array([0.3]), np.array([1.0])"


def build(name: str, tmp_path: Path, **fill) -> tuple[Path, str]:
    case = BY_ID[f"hostile/{name}"]
    marker = new_marker(case)
    support.remove(support.pwned_files(case))
    return assemble(case, tmp_path / "submission", marker=marker, **fill), marker


def run_child(code: str, *, cwd: Path, timeout: float = 60, contained: bool = False,
              memory: int | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    script = PRELUDE + textwrap.dedent(code)
    argv = ["-c", script]
    cmd = support.contained_command(argv) if contained else [sys.executable, *argv]

    def limit():
        if memory:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=env, preexec_fn=limit, start_new_session=True)


def reported(done: subprocess.CompletedProcess) -> dict:
    for line in done.stdout.splitlines():
        if line.startswith("REPORT "):
            return json.loads(line[len("REPORT "):])
    raise AssertionError(f"the child reported nothing (exit {done.returncode}):\n"
                         f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}")


def needs_namespace():
    if not support.can_contain():
        pytest.skip("this attack kills or forks: it runs only in a PID namespace of its own")


@pytest.fixture(autouse=True)
def _clean_up_after_attacks(request):
    yield
    name = request.node.callspec.params.get("name") if hasattr(request.node, "callspec") else None
    for case_id in ([f"hostile/{name}"] if name else [c for c in BY_ID if c.startswith("hostile/")]):
        support.remove(support.pwned_files(BY_ID[case_id]))


# ------------------------------------------------------------------ stealing the answers


def test_read_reference_files_finds_and_uses_the_reference(tmp_path):
    sub, _ = build("read_reference_files", tmp_path)
    done = run_child(f"""
        sub = load_package({str(sub)!r}, "_hostile")
        {ARTICLE}
        cache = REF.two_layer_forward(x, W1, b1, W2, b2)
        got = sub.two_layer_backward(x, y, W1, b1, W2, b2, cache)
        want = REF.two_layer_backward(x, y, W1, b1, W2, b2, cache)
        report(stolen=isinstance(got, dict) and all(np.allclose(got[k], want[k]) for k in want))
    """, cwd=tmp_path)
    assert reported(done)["stolen"], "without a sandbox the attack should reach the reference"
    assert Path("/tmp/bpcourse-pwned-read_reference_files").exists()
    assert (sub / "stolen_two_layer.py").exists()


def test_proc_snooping_finds_the_reference_through_proc(tmp_path):
    sub, _ = build("proc_snooping", tmp_path)
    # The child's working directory is the repository, as a grader's often is.
    done = run_child(f"""
        sub = load_package({str(sub)!r}, "_hostile")
        X = np.array([[0., 0.], [0., 1.], [1., 0.], [1., 1.]]); Y = np.array([[0.], [1.], [1.], [0.]])
        rng = np.random.default_rng(0)
        params = [(rng.normal(size=(3, 2)), np.zeros(3)), (rng.normal(size=(1, 3)), np.zeros(1))]
        got = sub.train(X, Y, params, ["tanh", "sigmoid"], 0.5, 4)
        want = REF.train(X, Y, params, ["tanh", "sigmoid"], 0.5, 4)
        report(stolen=isinstance(got, tuple) and np.allclose(got[1], want[1]))
    """, cwd=REPO)
    assert reported(done)["stolen"], "without a sandbox /proc should lead to the reference"


def test_stack_frames_returns_what_its_caller_expects(tmp_path):
    sub, _ = build("stack_frames", tmp_path)
    done = run_child(f"""
        sub = load_package({str(sub)!r}, "_hostile")
        f = lambda v: float(np.sum(v ** 3))
        x = np.array([0.5, -1.0, 2.0])
        expected = REF.numerical_gradient(f, x.copy())  # a naive in-process check's local
        got = sub.numerical_gradient(f, x)
        report(stolen=bool(np.shape(got) == (3,) and np.allclose(got, expected)))
    """, cwd=tmp_path)
    assert reported(done)["stolen"]


def test_monkeypatch_numpy_makes_every_comparison_agree(tmp_path):
    sub, _ = build("monkeypatch_numpy", tmp_path)
    done = run_child(f"""
        import math
        sub = load_package({str(sub)!r}, "_hostile")
        np.testing.assert_allclose(sub.mse_loss(1.0, 0.0), 0.5)  # does not raise
        report(allclose=np.allclose(1.0, 2.0), isclose=math.isclose(1.0, 2.0),
               wrong=bool(np.shape(sub.mse_loss(1.0, 0.0)) != ()))
    """, cwd=tmp_path)
    assert reported(done) == {"allclose": True, "isclose": True, "wrong": True}


# ------------------------------------------------------------------ lying return values


def test_ndarray_subclass_lies_and_runs_code_when_unpickled(tmp_path):
    sub, _ = build("ndarray_subclass", tmp_path)
    done = run_child(f"""
        sub = load_package({str(sub)!r}, "_hostile")
        got = sub.mse_loss(np.array([1.0, 2.0]), np.array([0.0, 0.0]))
        lies = bool(got == "anything") and got.shape == (2,) and np.asarray(got).shape == (3,)
        pickle.loads(pickle.dumps(got))
        forward = sub.two_layer_forward(np.ones(1), np.ones((2, 1)), np.ones(2), np.ones((1, 2)), np.ones(1))
        report(lies=lies, claimed=list(forward["h"].shape), real=list(np.asarray(forward["h"]).shape))
    """, cwd=tmp_path)
    assert reported(done) == {"lies": True, "claimed": [2], "real": [3]}
    assert Path("/tmp/bpcourse-pwned-ndarray_subclass-reduce").exists()


def test_malicious_reduce_runs_code_when_unpickled(tmp_path):
    sub, _ = build("malicious_reduce", tmp_path)
    done = run_child(f"""
        sub = load_package({str(sub)!r}, "_hostile")
        for value in (sub.linear_neuron_grads(0.5, 1.2, -0.8, 0.0),
                      sub.sigmoid_neuron_grads(0.5, 1.2, -0.8, 0.0)):
            pickle.loads(pickle.dumps(value))
        report(done=True)
    """, cwd=tmp_path)
    assert reported(done) == {"done": True}
    for suffix in ("system", "open", "exec"):
        assert Path(f"/tmp/bpcourse-pwned-malicious_reduce-{suffix}").exists(), suffix


def test_recursive_return_defeats_naive_encoders(tmp_path):
    sub, _ = build("recursive_return", tmp_path)
    done = run_child(f"""
        sub = load_package({str(sub)!r}, "_hostile")
        {ARTICLE}
        forward = sub.two_layer_forward(x, W1, b1, W2, b2)
        backward = sub.two_layer_backward(x, y, W1, b1, W2, b2, {{}})
        outcome = {{}}
        for label, value, encode in (("json", forward, json.dumps), ("pickle", backward, pickle.dumps)):
            try:
                encode(value)
                outcome[label] = "encoded"
            except (ValueError, RecursionError) as exc:
                outcome[label] = type(exc).__name__
        report(**outcome)
    """, cwd=tmp_path)
    assert reported(done) == {"json": "ValueError", "pickle": "RecursionError"}


def test_huge_return_returns_a_gigabyte(tmp_path):
    sub, _ = build("huge_return", tmp_path)
    done = run_child(f"""
        sub = load_package({str(sub)!r}, "_hostile")
        report(nbytes=sum(a.nbytes for a in sub.sigmoid_neuron_grads(0.5, 1.2, -0.8, 0.0)))
    """, cwd=tmp_path)
    assert reported(done)["nbytes"] == 1 << 30


# ------------------------------------------------------------------ leaving traces


def test_socket_connect_phones_home(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        sub, _ = build("socket_connect", tmp_path, port=listener.getsockname()[1])
        run_child(f"""
            sub = load_package({str(sub)!r}, "_hostile")
            sub.mse_loss(1.0, 0.0)
        """, cwd=tmp_path)
        listener.settimeout(5)
        conn, _ = listener.accept()
        with conn:
            assert conn.recv(100).startswith(b"pwned by bpcourse-bank-socket_connect")


def test_write_files_writes_everywhere_it_can(tmp_path):
    sub, _ = build("write_files", tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    # Through a shell started in tmp_path, so that the attack's "parent's working directory"
    # is tmp_path too, not the repository.
    env = dict(os.environ, HOME=str(home))
    script = PRELUDE + f"sub = load_package({str(sub)!r}, '_hostile'); sub.linear_neuron_grads(0.5, 1.2, -0.8, 0.0)"
    subprocess.run(["sh", "-c", '"$@"; exit $?', "sh", sys.executable, "-c", script],
                   cwd=tmp_path, env=env, capture_output=True, timeout=60, check=True)
    name = "bpcourse-pwned-write_files"
    for place in (Path("/tmp") / name, sub / name, tmp_path / name, home / name):
        assert place.exists(), place


def test_lingering_fork_leaves_a_process_behind(tmp_path):
    needs_namespace()
    sub, marker = build("lingering_fork", tmp_path)
    # The marker goes through a file: on this child's command line it would be found too.
    (tmp_path / "marker").write_text(marker)
    done = run_child(f"""
        import time
        sub = load_package({str(sub)!r}, "_hostile")
        sub.two_layer_forward(np.ones(1), np.ones((2, 1)), np.ones(2), np.ones((1, 2)), np.ones(1))
        time.sleep(0.5)
        marker = open({str(tmp_path / "marker")!r}).read()
        report(lingering=len(processes_with(marker)))
    """, cwd=tmp_path, contained=True)
    assert reported(done)["lingering"] >= 1
    assert not support.survivors(marker), "the namespace should have taken it along"


@pytest.mark.parametrize("name", ["kill_parent", "kill_everything"])
def test_killers_kill_the_process_that_called_them(name, tmp_path):
    needs_namespace()
    sub, _ = build(name, tmp_path)
    function = "relative_error(np.zeros(2), np.zeros(2))" if name == "kill_parent" else \
        "numerical_gradient(lambda v: 0.0, np.zeros(2))"
    # The child forks: the fork calls the function, the parent waits for it, like a grader.
    done = run_child(f"""
        import time
        sub = load_package({str(sub)!r}, "_hostile")
        if os.fork() == 0:
            try:
                sub.{function}
            finally:
                os._exit(0)
        os.wait()
        time.sleep(0.5)
        report(survived=True)
    """, cwd=tmp_path, contained=True)
    assert "REPORT" not in done.stdout, "the calling process survived the attack"
    # 137: the shell saw its child SIGKILLed. -9: the group kill reached `unshare` itself (a
    # process group spans PID namespaces; that is why contained runs get a session of their own).
    assert done.returncode in (128 + 9, -9), (done.returncode, done.stderr[-2000:])


# ------------------------------------------------------------------ crashing, hanging, flooding


@pytest.mark.parametrize("name, function, error", [
    ("system_exit", "mse_loss(1.0, 0.0)", "SystemExit"),
    ("keyboard_interrupt", "two_layer_forward(np.ones(1), np.ones((1, 1)), np.ones(1), np.ones((1, 1)), np.ones(1))",
     "KeyboardInterrupt"),
    ("memory_bomb_numpy", "relative_error(np.zeros(2), np.zeros(2))", "MemoryError"),
    ("memory_bomb_list", "train(np.zeros((1, 1)), np.zeros((1, 1)), [(np.ones((1, 1)), np.ones(1))], ['identity'], 0.1, 1)",
     "MemoryError"),
])
def test_crashing_functions_raise_what_they_claim(name, function, error, tmp_path):
    sub, _ = build(name, tmp_path)
    done = run_child(f"""
        sub = load_package({str(sub)!r}, "_hostile")
        try:
            sub.{function}
            report(raised=None)
        except BaseException as exc:
            report(raised=type(exc).__name__)
    """, cwd=tmp_path, memory=1 << 30)
    assert reported(done) == {"raised": error}


@pytest.mark.parametrize("name, error", [("syntax_error", "SyntaxError"), ("import_error", "ImportError"),
                                         ("os_exit_at_import", None)])
def test_broken_modules_fail_to_import(name, error, tmp_path):
    sub, _ = build(name, tmp_path)
    done = run_child(f"""
        try:
            load_package({str(sub)!r}, "_hostile")
            report(raised=None)
        except BaseException as exc:
            report(raised=type(exc).__name__)
    """, cwd=tmp_path)
    if error is None:  # os._exit(0): the process just ends, successfully, mid-import
        assert done.returncode == 0 and "REPORT" not in done.stdout
    else:
        assert reported(done) == {"raised": error}


@pytest.mark.parametrize("name, function", [
    ("infinite_loop", "two_layer_backward(np.ones(1), np.ones(1), np.ones((1, 1)), np.ones(1), np.ones((1, 1)), np.ones(1), {})"),
    ("sleep_forever", "sigmoid_neuron_grads(0.5, 1.2, -0.8, 0.0)"),
])
def test_hanging_functions_never_return(name, function, tmp_path):
    sub, _ = build(name, tmp_path)
    with pytest.raises(subprocess.TimeoutExpired):
        run_child(f"""
            sub = load_package({str(sub)!r}, "_hostile")
            sub.{function}
            report(returned=True)
        """, cwd=tmp_path, timeout=3)


def test_print_flood_prints_200_mb(tmp_path):
    sub, _ = build("print_flood", tmp_path)
    script = PRELUDE + f"sub = load_package({str(sub)!r}, '_hostile'); sub.numerical_gradient(lambda v: 0.0, np.zeros(1))"
    child = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    counts = {}

    def count(stream, key):
        total = 0
        while chunk := stream.read(1 << 20):
            total += len(chunk)
        counts[key] = total

    readers = [threading.Thread(target=count, args=(child.stdout, "out")),
               threading.Thread(target=count, args=(child.stderr, "err"))]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(timeout=120)
    child.wait(timeout=10)
    assert counts["out"] + counts["err"] >= 200 << 20, counts
