"""Does the wire format carry exactly the allowed values, and refuse everything else safely?

These tests run in-process (no worker): they check encode/decode directly, including frames
a hostile worker could forge byte by byte.
"""

from __future__ import annotations

import ast
import json
import math
import struct
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from grader.sandbox import worker as wire
from grader.sandbox.worker import WireError


def roundtrip(value, *, max_bytes=64 << 20):
    frame = wire.encode({"k": 1}, {"x": value}, max_bytes=max_bytes)
    data = b"".join(bytes(c) for c in frame)
    hlen, blen = wire.parse_prefix(data[:16], max_body=max_bytes)
    assert len(data) == 16 + hlen + blen
    body = bytearray(data[16 + hlen:])
    control, values = wire.decode(data[16:16 + hlen], body)
    assert control == {"k": 1}
    return values["x"]


def forged(header: bytes, body: bytes = b""):
    """Decode a frame a hostile worker wrote by hand."""
    return wire.decode(header, bytearray(body))


def same(a, b) -> bool:
    """Equal values of exactly the same types, all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, np.generic):
        return a.dtype == b.dtype and (a == b or (a != a and b != b))
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float16", "float32", "float64"]


@pytest.mark.parametrize("value", [
    None, True, False, 0, -7, 2**100, 1.5, -0.0, float("nan"), float("inf"), float("-inf"),
    "", "héllo \u2603 \udc80", [], (), {}, [1, [2, [3]]], (1, (2,), [3]),
    {"a": (1, 2), "b": [np.zeros(2)], "c": {"d": None}},
    [(np.ones((2, 3)), np.zeros(3))] * 3,
], ids=repr)
def test_supported_values_round_trip_with_exact_types(value):
    assert same(roundtrip(value), value)


def test_tuple_and_list_stay_distinct():
    out = roundtrip([(1, 2), [1, 2]])
    assert type(out[0]) is tuple and type(out[1]) is list


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3), (4, 0, 2), (1, 1, 1, 5)])
def test_arrays_round_trip_for_every_allowed_dtype_and_shape(dtype, shape):
    a = (np.arange(int(np.prod(shape))) % 3).astype(dtype).reshape(shape)
    out = roundtrip(a)
    assert type(out) is np.ndarray and same(out, a)
    assert out.flags.writeable  # grader code may work on results in place


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_scalars_come_back_as_numpy_scalars_of_the_same_dtype(dtype):
    s = np.dtype(dtype).type(1)
    out = roundtrip(s)
    assert type(out) is type(s) and out.dtype == s.dtype and out == s


def test_non_contiguous_fortran_and_big_endian_arrays_are_sent_as_their_values():
    a = np.arange(24.0).reshape(4, 6)
    for v in (a[:, ::2], a.T, np.asfortranarray(a), a.astype(">f8"), a.astype(">i4")):
        out = roundtrip(v)
        assert np.array_equal(out, v) and out.dtype.isnative and out.flags.c_contiguous


class MyArray(np.ndarray):
    pass


class Evil:
    """Would create a file if anything pickled/unpickled it or called its methods."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (Path.write_text, (Path(self.path), "pwned"))

    def __getattr__(self, name):
        Path(self.path).write_text("pwned by " + name)
        raise AttributeError(name)

    def __iter__(self):
        Path(self.path).write_text("pwned by iter")
        return iter([])

    def __len__(self):
        Path(self.path).write_text("pwned by len")
        return 0


def matrix():
    with pytest.warns(PendingDeprecationWarning):
        return np.matrix([[1.0]])


@pytest.mark.parametrize("value, expected", [
    (np.arange(3).view(MyArray), "subclass of numpy.ndarray"),
    (matrix, "subclass of numpy.ndarray"),
    (np.ma.masked_array([1.0]), "subclass of numpy.ndarray"),
    (np.array([object()]), "dtype"),
    (np.zeros(2, complex), "dtype"),
    (np.zeros(2, "U3"), "dtype"),
    (np.zeros(2, "datetime64[s]"), "dtype"),
    (np.zeros(2, [("a", "f8")]), "dtype"),
    (np.complex128(1), "complex128"),
    ({1, 2}, "set"),
    (b"bytes", "bytes"),
    ({1: "a"}, "dict key"),
    (lambda: 0, "function"),
])
def test_unsupported_values_are_refused_naming_the_type(value, expected):
    if value is matrix:
        value = matrix()
    with pytest.raises(WireError, match="unsupported") as info:
        wire.encode({}, {"value": value})
    assert expected in str(info.value)


def test_encoding_a_hostile_object_runs_none_of_its_code(tmp_path):
    marker = tmp_path / "pwned"
    with pytest.raises(WireError, match="unsupported return type: .*Evil"):
        wire.encode({}, {"value": [1, {"a": Evil(marker)}]})
    assert not marker.exists()


def test_deep_self_referencing_and_huge_values_are_refused():
    deep = []
    for _ in range(10_000):
        deep = [deep]
    with pytest.raises(WireError, match="nested deeper"):
        wire.encode({}, {"value": deep})
    loop = []
    loop.append(loop)
    with pytest.raises(WireError, match="nested deeper"):
        wire.encode({}, {"value": loop})
    with pytest.raises(WireError, match="max_result_bytes"):
        wire.encode({}, {"value": np.zeros(1000)}, max_bytes=4000)
    with pytest.raises(WireError, match="longer than the cap"):
        wire.encode({}, {"value": "x" * (wire.MAX_STR_CHARS + 1)})
    with pytest.raises(WireError, match="items"):
        wire.encode({}, {"value": [0] * (wire.MAX_ITEMS + 1)})


class Token:
    """Stands for a callback on one side of the wire."""


def test_callbacks_travel_as_tokens_only_where_a_hook_admits_them():
    f, g = Token(), Token()
    seen = []

    def token_of(key, value):
        seen.append(key)
        return {id(f): "k1", id(g): "k2"}.get(id(value)) if key == "args" else None

    frame = wire.encode({}, {"args": (f, [g, 1.0])}, token_of=token_of)
    header, body = frame[1], bytearray(b"".join(bytes(c) for c in frame[2:]))
    assert b"k1" in header and b"k2" in header and seen == ["args", "args"]
    back = {"k1": "F", "k2": "G"}
    _, values = wire.decode(header, body, callback=lambda key, token: back[token])
    assert values["args"] == ("F", ["G", 1.0])
    with pytest.raises(WireError, match="unknown tag 'c'"):
        wire.decode(header, body)  # no hook: a callback is not a value
    with pytest.raises(WireError, match="unsupported return type: .*Token"):
        wire.encode({}, {"value": f}, token_of=token_of)  # the hook refuses this key


# -- frames forged by a hostile worker ------------------------------------------------------


def arr_header(dtype, shape):
    return json.dumps({"status": "ok", "v": {"value": {"a": [dtype, shape]}}}).encode()


@pytest.mark.parametrize("header, body, message", [
    (arr_header("|O", [1]), b"\0" * 8, "dtype"),
    (arr_header("<c16", [1]), b"\0" * 16, "dtype"),
    (arr_header("|V8", [1]), b"\0" * 8, "dtype"),
    (arr_header(">f8", [1]), b"\0" * 8, "dtype"),
    (arr_header("<f8", [2]), b"\0" * 8, "do not match"),  # too few bytes
    (arr_header("<f8", [1]), b"\0" * 16, "do not match"),  # bytes left over
    (arr_header("<f8", [-1]), b"", "non-negative"),
    (arr_header("<f8", [True]), b"\0" * 8, "non-negative"),
    (arr_header("<f8", [1.0]), b"\0" * 8, "non-negative"),
    (arr_header("<f8", [2**40, 2**40]), b"", "do not match"),
    (arr_header("<f8", [1] * 40), b"\0" * 8, "shape"),
    (b'{"v": {"value": {"t": [1], "d": {}}}}', b"", "malformed"),
    (b'{"v": {"value": {"zz": 1}}}', b"", "unknown tag"),
    (b'{"v": {"value": {"s": "|O"}}}', b"", "dtype"),
    (b'{"v": [1]}', b"", "malformed"),
    (b'[1, 2]', b"", "malformed"),
    (b'{"v": {"value": ', b"", "unreadable"),
    (b'\xff\xfe', b"", "unreadable"),
    (b'{"v": {"value": 1' + b"0" * 5000 + b'}}', b"", "unreadable"),  # int too long to parse
])
def test_forged_frames_are_refused(header, body, message):
    with pytest.raises(WireError, match=message):
        forged(header, body)


@pytest.mark.parametrize("opener, closer", [(b"[", b"]"), (b'{"t":[', b"]}"),
                                            (b'{"d":{"a":', b"}}")])
def test_deeply_nested_forged_headers_fail_cleanly_without_recursion_error(opener, closer):
    n = 200_000
    header = b'{"v": {"value": ' + opener * n + b"1" + closer * n + b"}}"
    with pytest.raises(WireError, match="nested deeper"):
        forged(header)


def test_brackets_inside_strings_do_not_count_as_nesting():
    value = ["[[[{{{" * 1000, {"k": "]]]}}}" * 1000}]
    assert roundtrip(value) == value


def test_frame_prefix_limits_are_checked_before_reading_anything():
    ok = wire.PREFIX.pack(wire.MAGIC, 10, 100)
    assert wire.parse_prefix(ok, max_body=100) == (10, 100)
    with pytest.raises(WireError, match="not a frame"):
        wire.parse_prefix(b"GET / HTTP/1.1\r\n", max_body=100)
    with pytest.raises(WireError, match="header"):
        wire.parse_prefix(wire.PREFIX.pack(wire.MAGIC, 2**31, 0), max_body=100)
    with pytest.raises(WireError, match="cap"):
        wire.parse_prefix(wire.PREFIX.pack(wire.MAGIC, 10, 2**60), max_body=100)


def test_the_sandbox_code_never_imports_an_unpickler():
    """Nothing on either side can deserialize code: no pickle, marshal, shelve, dill."""
    forbidden = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle",
                 "joblib"}
    for name in ("worker.py", "host.py", "__init__.py", "plan.py", "launch.py", "process.py",
                 "machine.py"):
        source = (Path(wire.__file__).parent / name).read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                names = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                names = {(node.module or "").split(".")[0]}
            else:
                continue
            if name == "plan.py" and names == {"marshal"}:
                continue  # it writes the worker's own bytecode: checked below
            assert not names & forbidden, f"{name} imports {names & forbidden}"
    # plan.py hands the sandbox worker.py compiled (marshal.dumps of the grader's own code);
    # it never reads marshalled data.
    plan_source = (Path(wire.__file__).parent / "plan.py").read_text()
    uses = {node.attr for node in ast.walk(ast.parse(plan_source))
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id == "marshal"}
    assert uses <= {"dumps"}, uses
    # np.load(allow_pickle=True) or np.frombuffer on object dtypes would unpickle too.
    for name in ("host.py", "process.py", "machine.py"):
        assert "allow_pickle" not in (Path(wire.__file__).parent / name).read_text()


def test_the_worker_imports_only_the_standard_library_and_numpy():
    """The trust boundary: worker.py runs inside the sandbox and knows nothing of the grader."""
    source = Path(wire.__file__).read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports in the worker"
            imported.add((node.module or "").split(".")[0])
    assert imported - {"numpy"} <= set(sys.stdlib_module_names) | {"__future__"}, imported


def test_round_trip_cost_of_a_64_by_10_array(capsys):
    """Encode + decode on one side; the benchmark script measures the real pipe round trip."""
    x = np.random.default_rng(0).normal(size=(64, 10))
    roundtrip(x)
    times = []
    for _ in range(300):
        t = time.perf_counter()
        roundtrip(x)
        times.append(time.perf_counter() - t)
    median = sorted(times)[150]
    with capsys.disabled():
        print(f"\n    wire encode+decode of a (64,10) array: {median * 1e6:.1f} µs")
    assert median < 0.005  # generous: a regression to JSON lists would take ~1 ms


def test_header_and_prefix_layout_is_stable():
    frame = wire.encode({"status": "ok"}, {"value": np.zeros(3, np.float32)})
    magic, hlen, blen = struct.unpack("<4sIQ", frame[0])
    assert magic == b"BPW1" and hlen == len(frame[1]) and blen == 16  # 12 bytes padded to 16
    assert json.loads(frame[1]) == {"status": "ok", "v": {"value": {"a": ["<f4", [3]]}}}


def test_the_worker_runs_compiled_and_its_bytecode_names_no_host_path():
    """The sandbox runs worker.py from bytecode made here (no compiling at each boot); the
    code's file names are the sandbox's, so nothing in it shows where the grader lives."""
    import importlib.util

    from grader.sandbox import plan

    pyc = plan.worker_pyc()
    assert pyc[:4] == importlib.util.MAGIC_NUMBER
    host_dir = str(plan.WORKER_FILE.parent).encode()
    assert host_dir not in pyc and plan.SANDBOX_WORKER.encode() in pyc
    assert plan.SANDBOX_WORKER.encode() in plan._renamed(
        compile("def f():\n    return 1\n", "/host/x.py", "exec"),
        plan.SANDBOX_WORKER).co_consts[0].co_filename.encode()
