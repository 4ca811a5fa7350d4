"""Nothing survives from one call to the next, and nothing of the grader's leaks into one.

Every call runs in a fresh process forked from a worker that never runs the submission's code,
and imports the submission itself: no module globals, files, fds, shared memory, threads or
patches of the worker made at import carry state; helpers and Callback arguments are
computed on the grader's side; no frame from the worker can move a deadline or grow the
grader's memory. Each test runs with bubblewrap and with the rlimits-only fallback.
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest

from grader.sandbox import Callback

STATE = """
import mmap, os, tempfile
count = 0
r, w = os.pipe()
shared = mmap.mmap(-1, 4096)          # MAP_SHARED and anonymous: shared with every fork

def bump():
    global count
    count += 1
    return count

def pipe_state():
    found = {}
    try:
        os.write(w, b"x")
        found["write"] = "written"
    except OSError as exc:
        found["write"] = type(exc).__name__
    try:
        os.set_blocking(r, False)
        found["read"] = os.read(r, 100).decode()
    except OSError as exc:
        found["read"] = type(exc).__name__
    return found

def shared_bump():
    shared[0] = (shared[0] + 1) % 256
    return shared[0]

def folders(everywhere):
    try:
        tmp = [tempfile.gettempdir()]
    except OSError:  # with bubblewrap: none is writable
        tmp = []
    return ["."] + tmp + (["/tmp", "/dev/shm"] if everywhere else [])

def write_file(name, everywhere):
    written = []
    for folder in folders(everywhere):
        try:
            with open(os.path.join(folder, name), "w") as f:
                f.write("state")
            written.append(folder)
        except OSError:
            pass
    return written

def read_file(name, everywhere):
    found = []
    for folder in folders(everywhere):
        try:
            with open(os.path.join(folder, name)) as f:
                found.append((folder, f.read()))
        except OSError:
            pass
    return found
"""


def test_module_globals_do_not_survive_a_call(make_submission, sandbox):
    sb = sandbox(make_submission(state=STATE))
    assert [sb.call("state", "bump").value for _ in range(3)] == [1, 1, 1]
    # The calls of one call_many share one process (and nothing with the next).
    assert [r.value for r in sb.call_many([("state", "bump", (), False)] * 3)] == [1, 2, 3]
    assert sb.call("state", "bump").value == 1


def test_files_written_in_one_call_are_gone_in_the_next(make_submission, sandbox, isolation):
    sb = sandbox(make_submission(state=STATE))
    # Without bubblewrap the worker runs as the grader's own user: the host's /tmp stays
    # writable (a known limit of that mode), but its working folder and TMPDIR are fresh.
    everywhere = isolation == "bubblewrap"
    written = sb.call("state", "write_file", "memory.txt", everywhere).value
    if isolation == "bubblewrap":
        assert written == []  # nothing is writable, /tmp and /dev/shm included
    else:
        assert len(written) == 2  # "." and TMPDIR: a fresh folder per call
    assert sb.call("state", "read_file", "memory.txt", everywhere).value == []


def test_a_pipe_opened_at_import_carries_nothing(make_submission, sandbox):
    # Each call's process opens its own pipe at import: what one call wrote, no other reads.
    sb = sandbox(make_submission(state=STATE))
    assert sb.call("state", "pipe_state").value == {"write": "written", "read": "x"}
    assert sb.call("state", "pipe_state").value == {"write": "written", "read": "x"}


def test_shared_memory_mapped_at_import_carries_nothing(make_submission, sandbox):
    sb = sandbox(make_submission(state=STATE))
    assert [sb.call("state", "shared_bump").value for _ in range(3)] == [1, 1, 1]


def test_a_thread_started_at_import_runs_in_each_calls_process_alone(make_submission,
                                                                      sandbox):
    root = make_submission(
        threads="""
            import threading, time
            state = {"n": 0}
            def tick():
                while True:
                    state["n"] += 1
                    time.sleep(0.001)
            threading.Thread(target=tick, daemon=True).start()
            def f():
                return state["n"]
        """,
        finished="""
            import threading
            t = threading.Thread(target=lambda: None)
            t.start()
            t.join()
            def f():
                return "fine"
        """,
        other="def f():\n    return 1\n",
    )
    sb = sandbox(root)
    r = sb.call("threads", "f")
    assert r.status == "ok" and isinstance(r.value, int), r
    # The thread of one call's process is gone with it: the next starts from 0 again.
    assert sb.call("threads", "f").value < 1000
    assert sb.call("finished", "f").value == "fine"
    assert sb.call("other", "f").value == 1


PATCHES_THE_WORKER = """
import mmap, os, sys
shared = mmap.mmap(-1, 4096)          # MAP_SHARED and anonymous
r, w = os.pipe()
main = sys.modules.get("__main__")
if main is not None and hasattr(main, "_Worker"):
    # The worker's own code, patched at import: keep the shared mapping shared and the pipe
    # open in every later process.
    main._shared_mappings = lambda: []
    main._Worker.setup_child = lambda self, *args, **kwargs: None
    os.write(w, b"imported;")

def shared_bump():
    shared[0] = (shared[0] + 1) % 256
    return shared[0]

def pipe_state():
    os.set_blocking(r, False)
    try:
        return os.read(r, 100).decode()
    except OSError as exc:
        return type(exc).__name__
"""


def test_import_time_patches_of_the_worker_carry_nothing_between_calls(make_submission,
                                                                       sandbox):
    """A module that patches the worker at import (its functions, through ``__main__``) only
    patches the process that imports it: calls are forked from a worker that never imported
    the submission, and each imports it afresh. (When calls were forked from the process
    that imported, such a module kept a shared mapping across every call: backward's point
    reached the forward passes a consistency check compares with it.)"""
    sb = sandbox(make_submission(patch=PATCHES_THE_WORKER))
    assert [sb.call("patch", "shared_bump").value for _ in range(3)] == [1, 1, 1]
    assert [sb.call("patch", "pipe_state").value for _ in range(2)] == ["imported;"] * 2


FORGE_NOTES = r"""
import os, sys, time
CONFIG = sys.modules["__main__"]._CONFIG
PREFIX = lambda h: b"BPW1" + len(h).to_bytes(4, "little") + (0).to_bytes(8, "little")

def frame(control):
    h = control.encode()
    return PREFIX(h) + h

def forge(notes):
    for fd in (CONFIG["resp_fd"], CONFIG["ctl_fd"]):
        try:
            os.write(fd, b"".join(frame(n) for n in notes))
        except OSError:
            pass

def call_note_then_sleep():
    for _ in range(200):   # the old worker's "import done: the call starts now" note
        forge(['{"note":"call"}'])
        time.sleep(0.02)
    return "survived"
"""


def test_a_forged_note_cannot_extend_a_call_deadline(make_submission, sandbox):
    sb = sandbox(make_submission(forge=FORGE_NOTES), call_timeout=1.0)
    t = time.monotonic()
    r = sb.call("forge", "call_note_then_sleep")
    assert r.status in ("timeout", "protocol"), r
    assert time.monotonic() - t < 1.0 + 2.5  # the deadline, plus generous slack


def test_forged_notes_at_import_cannot_extend_its_deadline(make_submission, sandbox):
    root = make_submission(forge=FORGE_NOTES + """
for _ in range(400):
    forge(['{"note":"call"}', '{"note":"done","module":"exercises.forge"}',
           '{"note":"start","module":"exercises.forge"}'])
    time.sleep(0.01)
""", other="def f():\n    return 1\n")
    sb = sandbox(root, import_timeout=1.0)
    t = time.monotonic()
    r = sb.call("forge", "call_note_then_sleep")
    assert r.status in ("import", "protocol"), r
    assert time.monotonic() - t < 1.0 + 2.5
    assert sb.call("other", "f").value == 1


def test_flooding_notes_does_not_grow_the_graders_memory(make_submission, sandbox):
    root = make_submission(flood=FORGE_NOTES + """
note = '{"note":"fail","module":"exercises.flood","error":"' + "x" * 60000 + '"}'
for _ in range(2000):
    forge([note])
""", other="def f():\n    return 1\n")
    sb = sandbox(root, import_timeout=5.0)
    assert sb.wait_ready()
    tracemalloc.start()
    try:
        r = sb.call("flood", "f")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert r.status in ("protocol", "import"), r
    assert peak < 8 << 20  # 2000 notes of 60 kB each were sent: 120 MB
    assert len(sb._failed) <= 64
    assert sb.call("other", "f").value == 1


def test_answers_over_the_size_cap_are_refused_before_they_are_read(make_submission,
                                                                    sandbox):
    root = make_submission(big="""
        import numpy as np
        def big():
            return np.zeros((9 << 20) // 8)
        def ok():
            return 1
    """)
    sb = sandbox(root)  # max_result_bytes: 8 MiB by default
    r = sb.call("big", "big")
    assert r.status == "protocol" and "8388608" in r.error
    assert sb.call("big", "ok").value == 1 and sb.restarts == 0


SLOW = """
import time
def nap(s):
    time.sleep(s)
    return s
"""


def test_an_exhausted_exercise_budget_skips_only_that_exercise(make_submission, sandbox):
    sb = sandbox(make_submission(slow=SLOW), call_timeout=2.0, exercise_budget=2.1)
    assert sb.call("slow", "nap", 0.2, budget="forward").ok  # 1.8 s to spare
    assert sb.call("slow", "nap", 5.0, budget="forward").status == "timeout"
    skipped = sb.call("slow", "nap", 0.0, budget="forward")
    assert skipped.status == "skipped" and "for forward" in skipped.error
    batch = sb.call_many([("slow", "nap", (0.0,), False)] * 2, budget="forward")
    assert [r.status for r in batch] == ["skipped", "skipped"]
    assert sb.call("slow", "nap", 0.1, budget="backward").ok  # its own budget
    assert sb.call("slow", "nap", 0.1).ok  # no key: only the whole submission's budget


HELPERS = {
    "activations": """
        import numpy as np
        def sigmoid(z):
            return np.zeros_like(z)          # wrong: the student's own bug
        def relu(z):
            return np.maximum(0, z)
    """,
    "network": """
        import numpy as np
        import exercises.activations as act
        from .activations import sigmoid
        from exercises.activations import sigmoid as sig
        ACTIVATIONS = {"sigmoid": sigmoid, "relu": act.relu}
        PAIR = (sigmoid, act.relu)
        WITH_DERIVATIVES = {"sigmoid": (sigmoid, None), "relu": [act.relu, None]}
        def forward_from(x):
            return sigmoid(x)
        def forward_module(x):
            return act.sigmoid(x)
        def forward_alias(x):
            return sig(x)
        def forward_table(x):
            return ACTIVATIONS["sigmoid"](x) + PAIR[0](x)
        def forward_nested(x):
            return WITH_DERIVATIVES["sigmoid"][0](x)
        def forward_relu(x):
            return act.relu(x)
    """,
}


def true_sigmoid(z):
    assert type(z) is np.ndarray  # the grader's helper gets plain data
    return 1 / (1 + np.exp(-z))


@pytest.mark.parametrize("function, expected", [
    ("forward_from", true_sigmoid), ("forward_module", true_sigmoid),
    ("forward_alias", true_sigmoid), ("forward_table", lambda z: 2 * true_sigmoid(z)),
    ("forward_nested", true_sigmoid),
    ("forward_relu", lambda z: np.maximum(0, z)),
])
def test_helpers_are_replaced_by_the_graders_versions(make_submission, sandbox, function,
                                                      expected):
    sb = sandbox(make_submission(**HELPERS))
    x = np.array([-1.0, 0.5, 2.0])
    r = sb.call("network", function, x, helpers={"sigmoid": true_sigmoid})
    assert r.ok, r.error
    np.testing.assert_allclose(r.value, expected(x))
    # Without helpers (and in the next process) the student's own bug is back.
    if function != "forward_relu":
        assert not np.allclose(sb.call("network", function, x).value, expected(x))


def test_a_helper_that_fails_on_the_grader_side_raises_in_the_sandbox(make_submission,
                                                                     sandbox):
    sb = sandbox(make_submission(**HELPERS))

    def broken(z):
        raise ValueError("shapes do not match")

    r = sb.call("network", "forward_from", np.ones(2), helpers={"sigmoid": broken})
    assert r.status == "exception"
    assert r.error.startswith("RuntimeError: ValueError: shapes do not match")


INSPECT = """
import numpy as np
kept = []

def inspect(f, x):
    found = {"value": f(x)}
    cells = [c.cell_contents for c in (f.__closure__ or ())]
    found["closure"] = [type(c).__name__ for c in cells]
    found["numeric"] = [type(c).__name__ for c in cells
                        if isinstance(c, (int, float, complex, np.ndarray, np.generic,
                                          list, tuple, dict))]
    found["dict"] = sorted(vars(f))
    found["defaults"] = [f.__defaults__, f.__kwdefaults__]
    found["attributes"] = sorted(a for a in ("gradient", "data", "kind", "fn", "c1")
                                 if hasattr(f, a))
    return found

def keep(f):
    kept.append(f)
    return f(np.ones(2))

def use_kept():
    try:
        return kept[0](np.ones(2))
    except RuntimeError as exc:
        return "refused: " + str(exc)

def count_calls(f, n):
    done = 0
    try:
        for _ in range(n):
            f(np.ones(2))
            done += 1
    except RuntimeError as exc:
        return done, str(exc)
    return done, ""
"""


def test_a_callback_computes_values_and_shows_nothing_else(make_submission, sandbox):
    c = np.array([0.25, -3.5])
    sb = sandbox(make_submission(inspect=INSPECT))
    f = Callback(lambda x: float(np.sum(c * x ** 3)))
    r = sb.call("inspect", "inspect", f, np.array([2.0, 1.0]))
    assert r.ok, r.error
    found = r.value
    assert found["value"] == pytest.approx(0.25 * 8 - 3.5)
    assert found["numeric"] == [] and found["dict"] == [] and found["attributes"] == []
    assert found["defaults"] == [None, None]
    assert "0.25" not in repr(found) and "3.5" not in repr(found)


def test_callbacks_are_refused_after_their_call(make_submission, sandbox):
    sb = sandbox(make_submission(inspect=INSPECT))
    f = Callback(lambda x: float(np.sum(x)))
    first, second = sb.call_many([("inspect", "keep", (f,), False),
                                  ("inspect", "use_kept", (), False)])
    assert first.value == 2.0
    assert second.value.startswith("refused: this function can no longer be called")


def test_callbacks_per_call_are_bounded(make_submission, sandbox):
    sb = sandbox(make_submission(inspect=INSPECT), max_callbacks=50)
    done, error = sb.call("inspect", "count_calls", Callback(lambda x: 0.0), 80).value
    assert done == 50 and "too many" in error
    assert sb.call("inspect", "count_calls", Callback(lambda x: 0.0), 10).value == (10, "")


def test_a_crash_in_a_batch_costs_only_its_own_call(make_submission, sandbox):
    root = make_submission(crash="""
        import os
        def f(x):
            if x == 2:
                os._exit(3)
            return x
    """)
    sb = sandbox(root)
    results = sb.call_many([("crash", "f", (x,), False) for x in range(5)])
    assert [r.status for r in results] == ["ok", "ok", "crashed", "ok", "ok"]
    assert [r.value for r in results if r.ok] == [0, 1, 3, 4]
    assert sb.restarts == 0


WEDGE = r"""
import os, signal, sys, time
CONFIG = sys.modules["__main__"]._CONFIG
PREFIX = lambda h: b"BPW1" + len(h).to_bytes(4, "little") + (0).to_bytes(8, "little")

def stop_the_worker():
    os.kill(os.getppid(), signal.SIGSTOP)   # the worker cannot enforce the deadline now
    time.sleep(60)

def flood_callbacks(f):
    h = b'{"cb":"k0","v":{"args":{"t":[1.0]},"kwargs":{"d":{}}}}'
    for _ in range(100_000):           # never reads an answer: the grader's pipe fills up
        os.write(CONFIG["resp_fd"], PREFIX(h) + h)
    return "done"

def ok():
    return "fine"
"""


@pytest.mark.parametrize("function", ["stop_the_worker", "flood_callbacks"])
def test_a_wedged_worker_costs_the_deadline_plus_a_grace_then_a_restart(make_submission,
                                                                       sandbox, function):
    sb = sandbox(make_submission(wedge=WEDGE), call_timeout=1.0)
    args = (Callback(lambda x: x),) if function == "flood_callbacks" else ()
    t = time.monotonic()
    tracemalloc.start()
    try:
        r = sb.call("wedge", function, *args)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert r.status in ("timeout", "protocol"), r
    assert time.monotonic() - t < 1.0 + 2.0 + 3.0  # deadline + grace + generous slack
    assert peak < 16 << 20
    assert sb.call("wedge", "ok").value == "fine"


def test_a_frame_after_the_last_answer_replaces_the_worker_and_blames_no_call(
        make_submission, sandbox):
    root = make_submission(extra=r"""
import os, sys
CONFIG = sys.modules["__main__"]._CONFIG

def answer_twice():
    h = b'{"status":"ok","v":{"value":"forged"}}'
    os.write(CONFIG["resp_fd"], b"BPW1" + len(h).to_bytes(4, "little") + bytes(8) + h)
    return "real"

def ok():
    return "fine"
""")
    sb = sandbox(root)
    r = sb.call("extra", "answer_twice")
    assert r.ok  # the first answer counts: it is the student's own call either way
    assert sb.call("extra", "ok").value == "fine"  # not blamed for the previous one's frame
    assert sb.restarts == 1


LISTENER = """
import os, socket, time

NAME = b"\\0bpcourse-state-between-calls"

def leave_a_listener():
    r, w = os.pipe()
    if os.fork() == 0:  # a process that outlives the call and keeps a socket open
        ballast = bytearray(64 << 20)  # memory whose release makes its exit slow
        ballast[::4096] = b"x" * len(ballast[::4096])
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(NAME)
        s.listen(5)
        os.write(w, b"up")
        while True:
            conn, _ = s.accept()
            conn.sendall(b"state from the last call")
            conn.close()
    return os.read(r, 2).decode()

def ask_the_listener():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(NAME)
        return s.recv(100).decode()
    except OSError as exc:
        return type(exc).__name__
"""


def test_a_process_left_by_one_call_is_dead_before_the_next_begins(make_submission, sandbox):
    """The next call's process is forked ahead, while a call runs, but it runs nothing of the
    student's until every process of the last call has been killed: a listener left behind
    (on an abstract unix socket, which needs no writable file) never answers the next call,
    not even while it is being torn down (its memory makes that slow)."""
    sb = sandbox(make_submission(listener=LISTENER))
    for _ in range(3):
        assert sb.call("listener", "leave_a_listener").value == "up"
        assert sb.call("listener", "ask_the_listener").value in ("ConnectionRefusedError",
                                                                 "FileNotFoundError")


SNOOP_OTHERS = """
import os

def open_the_others():
    opened = []
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) != os.getpid():
            for what in ("mem", "environ"):
                try:
                    with open(f"/proc/{pid}/{what}", "rb"):
                        opened.append(f"{pid}/{what}")
                except OSError:
                    pass
    return opened
"""


def test_a_call_cannot_open_the_memory_of_the_process_waiting_for_the_next(make_submission,
                                                                         bwrap_sandbox):
    """The next call's process exists while a call runs (forked ahead); like the worker, it
    is not dumpable, so the call can neither read nor write its memory."""
    sb = bwrap_sandbox(make_submission(snoop=SNOOP_OTHERS))
    for _ in range(3):
        r = sb.call("snoop", "open_the_others")
        assert r.ok and r.value == [], r.value
