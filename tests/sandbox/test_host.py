"""Does the sandbox run student code, report every kind of failure, and keep going?

Every test runs twice: with bubblewrap and with the rlimits-only fallback.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from grader.sandbox import Callback, Sandbox, SandboxUnavailable
from grader.sandbox import plan
from tests.sandbox.conftest import FAST

NETWORK = """
import numpy as np
from exercises.activations import sigmoid
from .activations import relu


def forward(x):
    print("forward called with", x.shape)
    return sigmoid(x) + relu(x)


def broken(x):
    y = x + 1
    return helper(y)


def helper(y):
    return y / 0 if isinstance(y, int) else 1 // 0
"""

ACTIVATIONS = """
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def relu(z):
    return np.maximum(0, z)
"""


def test_calls_return_values_and_what_was_printed(make_submission, sandbox):
    root = make_submission(activations=ACTIVATIONS, network=NETWORK)
    sb = sandbox(root)
    x = np.array([-1.0, 0.0, 2.0])
    r = sb.call("network", "forward", x)
    assert r.ok, r.error
    assert type(r.value) is np.ndarray
    np.testing.assert_allclose(r.value, 1 / (1 + np.exp(-x)) + np.maximum(0, x))
    assert r.stdout == "forward called with (3,)\n"
    assert r.seconds > 0
    assert sb.call("activations", "relu", -2.0).value == 0.0


def test_isolation_is_named(make_submission, sandbox, isolation):
    sb = sandbox(make_submission())
    assert sb.isolation.startswith({"bubblewrap": "bubblewrap (an unprivileged uid",
                                    "rlimits": "rlimits only",
                                    "user": "unprivileged user (a uid of its own"}[isolation])


def test_every_supported_type_survives_the_trip_through_the_worker(make_submission, sandbox):
    root = make_submission(echo="""
        import numpy as np
        def echo(*args, **kwargs):
            return args, kwargs
        def made_inside():
            a = np.arange(12.0).reshape(3, 4)
            return {"t": a.T, "slice": a[:, ::2], "f32": np.float32(1.5), "i8": np.int8(-3),
                    "b": np.bool_(True), "u": np.uint64(2**64 - 1), "nan": float("nan"),
                    "big": 10**30, "tuple": (1, [2, (3,)]), "empty": np.zeros((0, 4)),
                    "half": np.ones(3, np.float16), "be": a.astype(">f8")}
    """)
    sb = sandbox(root)
    args = (None, True, 3, -0.5, math.inf, "ü", [1, (2, [3])], (), {"k": [np.int16(7)]},
            np.arange(6, dtype=np.int32).reshape(2, 3), np.float64(2.5), np.zeros((2, 0)))
    r = sb.call("echo", "echo", *args)
    assert r.ok, r.error
    back, kwargs = r.value
    assert type(back) is tuple and len(back) == len(args)
    assert [type(v) for v in back] == [type(v) for v in args]
    assert back[6] == [1, (2, [3])] and type(back[6][1]) is tuple
    assert back[8]["k"][0].dtype == np.int16 and back[10].dtype == np.float64
    assert back[9].dtype == np.int32 and np.array_equal(back[9], args[9])
    assert kwargs == {}
    inside = sb.call("echo", "made_inside").value
    assert np.array_equal(inside["t"], np.arange(12.0).reshape(3, 4).T)
    assert np.array_equal(inside["slice"], np.arange(12.0).reshape(3, 4)[:, ::2])
    assert type(inside["f32"]) is np.float32 and type(inside["b"]) is np.bool_
    assert inside["u"] == np.uint64(2**64 - 1) and inside["big"] == 10**30
    assert math.isnan(inside["nan"]) and inside["tuple"] == (1, [2, (3,)])
    assert inside["empty"].shape == (0, 4) and inside["half"].dtype == np.float16
    assert inside["be"].dtype == np.float64


def test_return_args_shows_mutation_without_touching_the_grader_copy(make_submission,
                                                                      sandbox):
    root = make_submission(train="""
        def sgd_step(params, grads, lr):
            for (W, b), (dW, db) in zip(params, grads):
                W -= lr * dW          # in place: a contract violation
            params.append("extra")
            return params
        def clean(params, grads, lr):
            return [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]
    """)
    sb = sandbox(root)
    params = [(np.ones((2, 2)), np.zeros(2))]
    grads = [(np.ones((2, 2)), np.ones(2))]
    r = sb.call("train", "sgd_step", params, grads, 0.5, return_args=True)
    assert r.ok, r.error
    after_params = r.args_after[0]
    assert np.array_equal(after_params[0][0], np.full((2, 2), 0.5))  # mutated in the worker
    assert after_params[-1] == "extra"
    assert np.array_equal(params[0][0], np.ones((2, 2))) and len(params) == 1  # ours intact
    r = sb.call("train", "clean", params, grads, 0.5, return_args=True)
    assert np.array_equal(r.args_after[0][0][0], np.ones((2, 2)))
    assert r.args_after[2] == 0.5


def cubic(c1, c2, c3):
    def f(x):
        return float(np.sum(c1 * x + c2 * x ** 2 + c3 * x ** 3))
    return Callback(f), (lambda x: c1 + 2 * c2 * x + 3 * c3 * x ** 2)


def test_callbacks_compute_values_on_the_grader_side(make_submission, sandbox):
    root = make_submission(gradcheck="""
        import numpy as np
        def numerical_gradient(f, x, eps=1e-5):
            g = np.zeros_like(x)
            for i in np.ndindex(x.shape):
                old = x[i]
                x[i] = old + eps; fp = f(x)
                x[i] = old - eps; fm = f(x)
                x[i] = old
                g[i] = (fp - fm) / (2 * eps)
            return g
    """)
    sb = sandbox(root)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 2))
    f, gradient = cubic(*rng.normal(size=(3, 3, 2)))
    r = sb.call("gradcheck", "numerical_gradient", f, x, return_args=True)
    assert r.ok, r.error
    np.testing.assert_allclose(r.value, gradient(x), rtol=1e-6, atol=1e-8)
    assert np.array_equal(r.args_after[1], x)  # restored exactly
    assert r.args_after[0] is f  # the same Callback object comes back


def test_exceptions_give_a_one_line_message_and_student_frames_only(make_submission,
                                                                     sandbox):
    root = make_submission(activations=ACTIVATIONS, network=NETWORK)
    r = sandbox(root).call("network", "broken", 1)
    no_paths = ("worker", "grader", "/sandbox", "/submission", str(root), "importlib")
    assert r.status == "exception"
    assert r.error == "ZeroDivisionError: division by zero (network.py, line 18)"
    assert r.traceback.splitlines() == [
        '  File "network.py", line 14, in broken',
        "    return helper(y)",
        '  File "network.py", line 18, in helper',
        "    return y / 0 if isinstance(y, int) else 1 // 0",
        "ZeroDivisionError: division by zero",
    ]
    for text in (r.error, r.traceback):
        assert not any(p in text for p in no_paths)


def test_long_tracebacks_are_cut_to_fifteen_lines(make_submission, sandbox):
    root = make_submission(deep="""
        def recurse(n):
            if n == 0:
                raise ValueError("bottom " + "x" * 5000)
            return recurse(n - 1)
    """)
    r = sandbox(root).call("deep", "recurse", 50)
    assert r.status == "exception"
    assert len(r.traceback.splitlines()) <= 15 and len(r.error) <= 400
    assert r.error.startswith("ValueError: bottom xxx") and r.error.endswith("(deep.py, line 4)")


def test_missing_modules_and_functions_are_reported(make_submission, sandbox):
    root = make_submission(activations=ACTIVATIONS + "\nnot_callable = 3\n")
    sb = sandbox(root)
    r = sb.call("network", "forward", 1)
    assert (r.status, r.error) == ("missing", "no module network.py in the submission")
    r = sb.call("activations", "tanh", 1)
    assert (r.status, r.error) == ("missing", "no function tanh in activations.py")
    assert sb.call("activations", "not_callable").status == "missing"
    with pytest.raises(ValueError):
        sb.call("../solutions", "x")


def test_a_broken_import_is_remembered_and_costs_only_its_dependents(make_submission,
                                                                      sandbox):
    root = make_submission(
        activations='print("importing activations")\nundefined_name\n',
        network="from exercises.activations import sigmoid\ndef forward(x):\n    return x\n",
        neuron="def mse_loss(y, y_hat):\n    return 0.5 * (y - y_hat) ** 2\n",
        two_layer="def f(:\n    pass\n",
    )
    sb = sandbox(root)
    r = sb.call("activations", "sigmoid", 0.0)
    assert r.status == "import"
    assert r.error == "NameError: name 'undefined_name' is not defined (activations.py, line 2)"
    assert r.stdout == "importing activations\n"
    again = sb.call("activations", "relu", 0.0)
    assert again.status == "import" and again.error == r.error
    assert again.stdout == ""  # not imported a second time
    dependent = sb.call("network", "forward", 1.0)
    assert dependent.status == "import" and "activations.py" in dependent.error
    assert sb.call("neuron", "mse_loss", 1.0, 0.0).value == 0.5  # the others still work
    syntax = sb.call("two_layer", "f")
    assert syntax.status == "import"
    assert syntax.error.startswith("SyntaxError:") and "(two_layer.py, line 1)" in syntax.error


def test_a_hanging_import_costs_its_deadline_once(make_submission, sandbox):
    root = make_submission(
        activations="while True:\n    pass\n",
        network="import exercises.activations\ndef forward(x):\n    return x\n",
        neuron="def mse_loss(y, y_hat):\n    return 0.5 * (y - y_hat) ** 2\n",
    )
    sb = sandbox(root, import_timeout=1.0)
    t = time.monotonic()
    r = sb.call("network", "forward", 1.0)  # hangs inside activations' import
    assert time.monotonic() - t < 3
    assert r.status == "import"
    assert r.error == ("network.py could not be imported: importing activations.py timed out "
                       "after 1 s")
    t = time.monotonic()
    assert sb.call("activations", "sigmoid", 0.0).status == "import"
    assert time.monotonic() - t < 0.05  # remembered: not even sent to a worker
    assert sb.wait_ready()
    r = sb.call("network", "forward", 1.0)  # fails fast now: activations is refused
    assert r.status == "import"
    assert r.error == ("ImportError: activations.py could not be imported earlier: importing "
                       "activations.py timed out after 1 s (network.py, line 1)")
    assert r.seconds < 1.0
    assert sb.call("neuron", "mse_loss", 1.0, 0.0).ok


def test_an_import_that_kills_the_worker_is_remembered(make_submission, sandbox):
    root = make_submission(activations="import os\nos._exit(3)\n",
                           neuron="def f():\n    return 1\n")
    sb = sandbox(root)
    r = sb.call("activations", "sigmoid", 0.0)
    assert r.status == "import"
    assert r.error == "importing activations.py killed the worker process (exit code 3)"
    restarts = sb.restarts
    assert sb.call("activations", "sigmoid", 0.0).error == r.error  # remembered
    assert sb.call("neuron", "f").value == 1
    assert sb.restarts == restarts + 1  # only the next real call restarted the worker


def test_a_package_init_that_fails_costs_every_module_but_no_crash(make_submission, sandbox):
    root = make_submission(__init__="raise RuntimeError('broken package')\n",
                           neuron="def f():\n    return 1\n")
    sb = sandbox(root)
    r = sb.call("neuron", "f")
    assert r.status == "import" and "RuntimeError: broken package (__init__.py, line 1)" in r.error
    assert sb.call("activations", "sigmoid", 1).status == "import"


HOSTILE = """
import os, sys, time, signal
import numpy as np

def ok():
    return "fine"

def spin():
    while True:
        pass

def sleep():
    time.sleep(100)

def exit_hard():
    os._exit(3)

def system_exit():
    sys.exit(2)

def interrupt():
    raise KeyboardInterrupt

def kill_self():
    os.kill(os.getpid(), signal.SIGKILL)

def segfault():
    import ctypes
    ctypes.string_at(0)

def memory_bomb():
    return np.ones(10**10)

def memory_creep():
    chunks = []
    while True:
        chunks.append(np.empty(50 * 2**20, np.uint8))  # address space, not resident memory

def recursion():
    return recursion()

def kill_parent():
    os.kill(os.getppid(), signal.SIGKILL)  # the worker itself: it is restarted
    time.sleep(10)
"""


@pytest.mark.parametrize("function, status, error", [
    ("exit_hard", "crashed", "the worker process died (exit code 3)"),
    ("system_exit", "exception", "SystemExit: 2 (hostile.py, line 19)"),
    ("interrupt", "exception", "KeyboardInterrupt (hostile.py, line 22)"),
    ("kill_self", "crashed", "the worker process died (signal 9, SIGKILL)"),
    ("segfault", "crashed", "the worker process died (signal 11, SIGSEGV)"),
    ("memory_bomb", "exception", "MemoryError"),
    ("memory_creep", "exception", "MemoryError"),
    ("kill_parent", "crashed", "the worker process died"),
    ("recursion", "exception", "RecursionError: maximum recursion depth exceeded"),
])
def test_each_failure_costs_only_its_own_call(make_submission, sandbox, function, status,
                                              error):
    sb = sandbox(make_submission(hostile=HOSTILE), memory_bytes=512 << 20)
    r = sb.call("hostile", function)
    assert r.status == status, r.error
    assert r.error.startswith(error)
    assert sb.call("hostile", "ok").value == "fine"
    assert sb.call("hostile", function).status == status  # not remembered: it is cheap
    # The call's own process died, not the worker: no restart (but for killing the worker).
    assert sb.restarts == (1 if function == "kill_parent" else 0)  # the next call restarts


@pytest.mark.parametrize("function", ["spin", "sleep"])
def test_a_hung_function_costs_its_deadline_and_its_own_budget(make_submission, sandbox,
                                                               function):
    # The budget leaves the first call 0.5 s before the hung calls can no longer time out
    # on their own deadline: a loaded machine slows the call, never the arithmetic.
    sb = sandbox(make_submission(hostile=HOSTILE), call_timeout=0.5, exercise_budget=1.5)
    assert sb.call("hostile", "ok", budget="hung").ok
    t = time.monotonic()
    r = sb.call("hostile", function, budget="hung")
    assert (r.status, r.error) == ("timeout", "timed out after 0.5 s")
    assert 0.5 <= time.monotonic() - t < 3
    assert sb.call("hostile", function, budget="hung").status == "timeout"
    last = sb.call("hostile", function, budget="hung")  # what is left of the budget: < 0.5 s
    assert last.status == "timeout" and "the rest of the time budget" in last.error
    t = time.monotonic()
    again = sb.call("hostile", "ok", budget="hung")
    assert again.status == "skipped" and "time budget of 1.5 s for hung" in again.error
    assert time.monotonic() - t < 0.5
    assert sb.call("hostile", "ok", budget="other").value == "fine"  # another exercise
    assert sb.call("hostile", "ok").value == "fine"  # no key: only the overall budget
    assert sb.restarts == 0  # the worker killed the call's process itself


def test_the_cpu_limit_stops_a_busy_loop_even_without_a_deadline(make_submission, sandbox):
    sb = sandbox(make_submission(hostile=HOSTILE), cpu_seconds=1, call_timeout=10)
    t = time.monotonic()
    r = sb.call("hostile", "spin")
    assert r.status == "crashed" and ("SIGXCPU" in r.error or "SIGKILL" in r.error)
    assert time.monotonic() - t < 5


def test_the_worker_runs_under_its_rlimits(make_submission, sandbox, isolation):
    root = make_submission(limits='''
        def limits():
            out = {}
            for line in open("/proc/self/limits").read().splitlines()[1:]:
                name, soft, hard = line[:26].strip(), line[26:47].strip(), line[47:68].strip()
                out[name] = (soft, hard)
            return out
        def big_file():
            try:
                with open("big", "wb") as f:
                    f.write(b"x" * (3 << 20))
                return "wrote 3 MB"
            except OSError as exc:
                return type(exc).__name__
    ''')
    sb = sandbox(root, memory_bytes=700 << 20, cpu_seconds=30, file_bytes=1 << 20)
    limits = sb.call("limits", "limits").value
    assert limits["Max address space"] == (str(700 << 20), str(700 << 20))
    assert limits["Max cpu time"] == ("30", "31")
    assert limits["Max file size"] == (str(1 << 20), str(1 << 20))
    assert limits["Max core file size"] == ("0", "0")
    assert limits["Max msgqueue size"] == ("0", "0")
    if isolation in ("bubblewrap", "user"):  # RLIMIT_NPROC binds every uid but root
        assert limits["Max processes"] == ("256", "256")
    # EFBIG, not a killed worker; with bubblewrap nothing is writable at all.
    assert sb.call("limits", "big_file").value == {"bubblewrap": "PermissionError",
                                                   "rlimits": "OSError",
                                                   "user": "OSError"}[isolation]


def test_the_budget_ends_the_submission(make_submission, sandbox):
    root = make_submission(slow="import time\ndef nap(s):\n    time.sleep(s)\n    return s\n",
                           other="def f():\n    return 1\n")
    sb = sandbox(root, budget=2.0, call_timeout=5)
    assert sb.wait_ready()  # booting is not charged to the budget
    assert sb.call("slow", "nap", 0.2, budget="a").ok  # 1.8 s to spare
    r = sb.call("slow", "nap", 3.0, budget="b")  # cut short when the budget runs out
    assert r.status == "timeout" and "submission's time budget of 2 s" in r.error
    assert r.seconds < 2.5
    r = sb.call("slow", "nap", 0.0, budget="c")
    assert r.status == "skipped" and "budget" in r.error
    r = sb.call("other", "f")  # not imported yet: imports are charged too
    assert r.status == "skipped" and "budget" in r.error


def test_restarts_are_limited(make_submission, sandbox):
    sb = sandbox(make_submission(hostile=HOSTILE), max_restarts=2)
    statuses = [sb.call("hostile", "kill_parent").status for _ in range(4)]
    assert statuses == ["crashed", "crashed", "crashed", "skipped"]
    assert sb.restarts == 2


def test_worker_start_is_cheap_and_non_blocking(make_submission, sandbox, capsys):
    sb = sandbox(make_submission(hostile=HOSTILE))
    t = time.perf_counter()
    sb.start()
    spawn = time.perf_counter() - t
    assert sb.wait_ready()
    ready = time.perf_counter() - t
    with capsys.disabled():
        print(f"\n    {sb.mode}: start() returned in {spawn * 1e3:.1f} ms, "
              f"worker ready after {ready * 1e3:.0f} ms")
    assert spawn < 0.1 and ready < 2.0


# -- output -------------------------------------------------------------------------------------


OUTPUT = r"""
import os, sys, ctypes
def small_prints():
    for i in range(200_000):
        print("line", i)
    return "done"
def big_prints():
    for _ in range(100):
        print("x" * 10**6)
        sys.stdout.write("y" * 10**6)
        sys.stderr.buffer.write(b"z" * 10**6)
    return "done"
def raw_writes():
    for _ in range(100):
        os.write(1, b"a" * 10**6)
        os.write(2, b"b" * 10**6)
    return "done"
def c_level():
    libc = ctypes.CDLL(None)
    libc.write(1, b"from C\n", 7)
    return "done"
def looks_like_protocol():
    magic = b"BPW1" + (20).to_bytes(4, "little") + (0).to_bytes(8, "little")
    os.write(1, magic + b'{"status":"ok","v":{"value":666}}')
    print('{"status": "ok", "v": {"value": 666}}')
    return 42
def stderr_too():
    print("to stderr", file=sys.stderr)
    return 1
"""


def test_printing_a_lot_is_capped_silently_and_fast(make_submission, sandbox):
    sb = sandbox(make_submission(out=OUTPUT), call_timeout=30, output_bytes=1000)
    for function in ("small_prints", "big_prints", "raw_writes"):
        t = time.monotonic()
        r = sb.call("out", function)
        elapsed = time.monotonic() - t
        assert r.ok and r.value == "done", (function, r.error)
        assert 0 < len(r.stdout.encode()) <= 1000
        assert elapsed < 10, f"{function} took {elapsed:.1f} s"
    assert sb.call("out", "stderr_too").stdout == "to stderr\n"
    assert sb.restarts == 0


def test_output_from_c_and_raw_fds_never_corrupts_results(make_submission, sandbox):
    sb = sandbox(make_submission(out=OUTPUT))
    r = sb.call("out", "c_level")
    assert r.ok and r.stdout == "from C\n"
    r = sb.call("out", "looks_like_protocol")
    assert r.ok and r.value == 42 and "BPW1" in r.stdout


def test_warnings_are_reported_once_per_place_even_in_a_loop(make_submission, sandbox):
    root = make_submission(warn="""
        import warnings
        import numpy as np
        def noisy():
            for _ in range(200_000):
                warnings.warn("again and again")
            return float(np.exp(np.float64(1000.0)))
    """)
    r = sandbox(root).call("warn", "noisy")
    assert r.ok and r.value == float("inf")
    assert r.warnings == ("UserWarning: again and again",
                          "RuntimeWarning: overflow encountered in exp")
    assert r.seconds < 5


# -- hostile return values ------------------------------------------------------------------------


def hostile_values(marker: str) -> str:
    return f"""
import numpy as np
class Evil:
    def __reduce__(self):
        return (open, ({marker!r}, "w"))
class Sub(np.ndarray):
    pass
def evil():
    return Evil()
def evil_nested():
    return [1, {{"x": (Evil(),)}}]
def subclass():
    return np.arange(3.0).view(Sub)
def huge():
    return np.zeros(3 * 2**20 // 8)
def deep():
    v = []
    for _ in range(100_000):
        v = [v]
    return v
def loop():
    v = []
    v.append(v)
    return v
def complex_array():
    return np.ones(3, complex)
def int_keys():
    return {{1: 2}}
def mutate_into_evil(x):
    x.append(Evil())
    return 1
def ok():
    return 1
"""


@pytest.mark.parametrize("function, message", [
    ("evil", "unsupported return type: exercises.hostile.Evil"),
    ("evil_nested", "unsupported return type: exercises.hostile.Evil"),
    ("subclass", "unsupported return type: exercises.hostile.Sub (a subclass of numpy.ndarray"),
    ("huge", "more than 1048576 bytes"),
    ("deep", "nested deeper than 32 levels"),
    ("loop", "nested deeper than 32 levels"),
    ("complex_array", "unsupported array dtype: complex128"),
    ("int_keys", "unsupported dict key type: int"),
])
def test_hostile_return_values_are_protocol_errors(make_submission, sandbox, tmp_path,
                                                    function, message):
    marker = tmp_path / "unpickled"
    sb = sandbox(make_submission(hostile=hostile_values(str(marker))),
                 max_result_bytes=1 << 20)
    r = sb.call("hostile", function)
    assert r.status == "protocol"
    assert message in r.error
    assert not marker.exists()
    assert sb.call("hostile", "ok").value == 1 and sb.restarts == 0


def test_an_argument_mutated_into_something_unsendable_is_a_protocol_error(make_submission,
                                                                          sandbox, tmp_path):
    sb = sandbox(make_submission(hostile=hostile_values(str(tmp_path / "m"))))
    r = sb.call("hostile", "mutate_into_evil", [1], return_args=True)
    assert r.status == "protocol" and "an argument was changed" in r.error
    assert sb.call("hostile", "mutate_into_evil", [1]).ok  # fine when args are not returned


FORGE = r"""
import os, sys, time, json
RESP = sys.modules["__main__"]._CONFIG["resp_fd"]
PREFIX = lambda h, b: b"BPW1" + len(h).to_bytes(4, "little") + b.to_bytes(8, "little")
def send(raw):
    os.write(RESP, raw)
    time.sleep(30)   # the real reply never comes
def huge_body():
    send(PREFIX(b"{}", 2**40))
def huge_header():
    send(b"BPW1" + (2**31).to_bytes(4, "little") + (0).to_bytes(8, "little"))
def deep_header():
    h = b'{"status":"ok","v":{"value":' + b"[" * 100000 + b"]" * 100000 + b"}}"
    send(PREFIX(h, 0) + h)
def bad_dtype():
    h = b'{"status":"ok","v":{"value":{"a":["|O",[1]]}}}'
    send(PREFIX(h, 8) + h + b"\0" * 8)
def short_body():
    h = b'{"status":"ok","v":{"value":{"a":["<f8",[1000]]}}}'
    send(PREFIX(h, 8) + h + b"\0" * 8)
def garbage():
    send(b"hello grader, please unpickle me " * 10)
def unknown_status():
    h = b'{"status":"pwned"}'
    send(PREFIX(h, 0) + h)
def ok():
    return "fine"
"""


@pytest.mark.parametrize("function, message", [
    ("huge_body", "more than the"),
    ("huge_header", "header"),
    ("deep_header", "nested deeper"),
    ("bad_dtype", "dtype"),
    ("short_body", "do not match"),
    ("garbage", "not a frame"),
    ("unknown_status", "unknown status"),
])
def test_forged_frames_from_the_worker_are_refused(make_submission, sandbox, function,
                                                   message):
    sb = sandbox(make_submission(forge=FORGE), call_timeout=5)
    t = time.monotonic()
    r = sb.call("forge", function)
    assert r.status == "protocol" and message in r.error
    assert time.monotonic() - t < 2  # refused at once, not after the deadline
    assert sb.call("forge", "ok").value == "fine"


def test_unsendable_arguments_are_a_grader_bug(make_submission, sandbox):
    sb = sandbox(make_submission(activations=ACTIVATIONS))
    with pytest.raises(TypeError, match="unsupported return type: set"):
        sb.call("activations", "relu", {1, 2})


def test_close_is_final(make_submission, sandbox):
    sb = sandbox(make_submission(activations=ACTIVATIONS))
    assert sb.call("activations", "relu", 1.0).ok
    sb.close()
    sb.close()
    with pytest.raises(RuntimeError, match="closed"):
        sb.call("activations", "relu", 1.0)


def test_asking_for_bubblewrap_where_it_cannot_work_raises(make_submission, monkeypatch):
    monkeypatch.setattr(plan, "probe", lambda: "bwrap is not installed")
    with pytest.raises(SandboxUnavailable, match="bwrap is not installed"):
        Sandbox(make_submission(), isolation="bubblewrap")
    assert Sandbox(make_submission(), isolation="auto").mode == "rlimits"


def test_installed_packages_and_the_repository_are_not_importable(make_submission, sandbox):
    root = make_submission(probe="""
        import importlib, sys
        def imports():
            found = {}
            for name in ("solutions", "grader", "hypothesis", "pytest", "click", "IPython"):
                try:
                    importlib.import_module(name)
                    found[name] = True
                except ImportError:
                    found[name] = False
            return found
        def path():
            return list(sys.path)
    """)
    sb = sandbox(root)
    assert sb.call("probe", "imports").value == dict.fromkeys(
        ("solutions", "grader", "hypothesis", "pytest", "click", "IPython"), False)
    path = sb.call("probe", "path").value
    assert not any("site-packages" in p and "pylib" not in p for p in path), path


def test_auto_launches_bubblewrap_before_probing_and_falls_back_when_it_cannot_run(
        make_submission, monkeypatch):
    """"auto" starts the worker without the probe (a bubblewrap run of its own, before the
    worker could boot); where bubblewrap then cannot run, the worker dies before its hello,
    the sandbox probes and continues with rlimits, as the probe would have chosen."""
    import dataclasses

    from grader.sandbox import launch, plan

    real = plan.bubblewrap_plan()
    if isinstance(real, str):
        pytest.skip(real)
    broken = dataclasses.replace(real, bwrap="/bin/false")  # bwrap "does not work here"
    monkeypatch.setattr(plan, "bubblewrap_plan", lambda: broken)
    monkeypatch.setattr(plan, "probed", lambda: False)
    probes = []
    monkeypatch.setattr(plan, "probe", lambda: probes.append(1) or "bwrap does not work here")
    root = make_submission(m="def f(x):\n    return x + 1\n")
    chosen = launch.launcher("auto", root, FAST)
    assert chosen.mode == "bubblewrap" and not chosen.verified and not probes
    with Sandbox(root, limits=FAST, isolation="auto") as sb:
        assert sb.mode == "bubblewrap"
        result = sb.call("m", "f", 1)
        assert result.ok and result.value == 2, result
        assert sb.mode == "rlimits" and sb.isolation.startswith("rlimits")
        assert sb.unavailable_reason == "bwrap does not work here" and probes
    chosen.close()


def _eager(sb, *modules):
    sb.eager = tuple(f"exercises.{m}" for m in modules)
    return sb


def test_the_first_import_brings_the_whole_submission(make_submission, sandbox, monkeypatch):
    """One import request for all the modules graded: one new snapshot, not one a module."""
    from grader.sandbox import host

    asked = []
    real = host.run_import
    monkeypatch.setattr(host, "run_import",
                        lambda *a, **k: asked.append(k.get("also")) or real(*a, **k))
    root = make_submission(a="def f():\n    return 1\n", b="def g():\n    return 2\n",
                           c="def h():\n    return 3\n")
    sb = _eager(sandbox(root), "a", "b", "c")
    assert [sb.call(m, f).value for m, f in (("a", "f"), ("b", "g"), ("c", "h"))] == [1, 2, 3]
    assert asked == [("exercises.b", "exercises.c")]


def test_a_module_imported_ahead_fails_as_at_its_own_import(make_submission, sandbox):
    """When a module imported ahead of its first call raises, kills the worker, hangs or
    prints, the sandbox goes back to importing each module at its first
    call (a hung one is not tried again): each costs only itself, with the message and the
    output of its own import."""
    root = make_submission(
        a="def f():\n    return 1\n",
        b='print("importing b")\nundefined_name\n',
        c="import os\nos._exit(3)\n",
        d="import threading, time\n"
          "threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
          "def k():\n    return 4\n",
        e="while True:\n    pass\n",
        f='print("hello from f")\ndef p():\n    return 5\n')
    sb = _eager(sandbox(root, import_timeout=1.0, max_restarts=10), "a", "b", "c", "d", "e", "f")
    t = time.monotonic()
    first = sb.call("a", "f")
    assert first.value == 1 and first.stdout == "", first
    assert time.monotonic() - t < 8  # e's one second, once
    b = sb.call("b", "g")
    assert b.status == "import" and b.error.startswith("NameError: name 'undefined_name'")
    assert b.stdout == "importing b\n"
    assert "importing c.py killed the worker process (exit code 3)" in sb.call("c", "h").error
    assert sb.call("d", "k").value == 4  # a thread is each call's process's own
    assert sb.call("e", "m").error == "importing e.py timed out after 1 s"
    last = sb.call("f", "p")
    assert last.value == 5 and last.stdout == "hello from f\n"
    assert sb.call("a", "f").value == 1


def test_a_module_one_imports_ahead_of_its_turn_still_counts_as_imported(make_submission,
                                                                          sandbox, monkeypatch):
    """b imports c: c is imported inside b's import, before its own turn in the request.
    That is a clean import of c too: one request, no fallback to one module at a time."""
    from grader.sandbox import host

    asked = []
    real = host.run_import
    monkeypatch.setattr(host, "run_import",
                        lambda *a, **k: asked.append(k.get("also")) or real(*a, **k))
    root = make_submission(a="def f():\n    return 1\n",
                           b="import exercises.c\ndef g():\n    return exercises.c.h() + 1\n",
                           c="def h():\n    return 3\n")
    sb = _eager(sandbox(root), "a", "b", "c")
    assert [sb.call(m, f).value for m, f in (("a", "f"), ("b", "g"), ("c", "h"))] == [1, 4, 3]
    assert asked == [("exercises.b", "exercises.c")]
