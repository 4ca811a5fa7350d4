"""Fuzzing the loader: whatever a submission holds, staging it either works or says why in one line.

Random zips (member names with ``..``, absolute and drive names, unicode, control characters,
duplicates, symlink attributes, other compression methods, flipped bytes, lying sizes), random
notebooks (random JSON, random cells, sources from a grammar of odd Python) and random module
bytes in random encodings. For every input ``staged()`` either yields a :class:`Staged` (whose
notes are printable one-liners, whose files are regular files inside its folder, and whose
generated ``_notebooks.py`` compiles) or raises :class:`SubmissionError` with a one-line message;
never any other exception, never past the loader's time limit, and without growing the grader
process. A quarter as many examples go through the whole command (``bpcourse grade``): exit 0
with strict JSON, or exit 2 with one line.

CI runs a bounded, derandomized number of examples per test. For a longer run::

    BPCOURSE_FUZZ_EXAMPLES=2000 BPCOURSE_FUZZ_RANDOM=1 python -m pytest -q tests/fuzz/test_fuzz_loader.py

(``BPCOURSE_FUZZ_RANDOM=1`` draws new examples each run instead of the fixed sequence.)
"""
from __future__ import annotations

import io
import json
import os
import stat
import struct
import tempfile
import time
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis.errors import InvalidArgument
from hypothesis import strategies as st

from grader import submission
from grader.submission import EXERCISE_MODULES, SubmissionError, staged

EXAMPLES = int(os.environ.get("BPCOURSE_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                derandomize=not os.environ.get("BPCOURSE_FUZZ_RANDOM"), database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])

# ---------------------------------------------------------------------------- the property


def note_event(text: str) -> None:
    """Statistics for --hypothesis-show-statistics (outside a hypothesis test: nothing)."""
    try:
        event(text)
    except InvalidArgument:
        pass


def check_staging(path: Path) -> None:
    """The loader's promise for one input (see the module docstring)."""
    start = time.monotonic()
    rss_before = rss()
    try:
        with staged(path) as s:
            base = s.root.parent
            assert s.root == base / "stage" and sorted(os.listdir(base)) == ["stage"]
            assert set(s.modules) <= set(EXERCISE_MODULES)
            assert isinstance(s.source, str) and s.source.isprintable()
            for note in s.notes:
                assert isinstance(note, str) and note.isprintable() and len(note) <= 1000, note
            for dirpath, dirnames, filenames in os.walk(s.root):
                for name in filenames:
                    st_ = os.lstat(os.path.join(dirpath, name))
                    assert stat.S_ISREG(st_.st_mode), name
                for name in dirnames:
                    assert not os.path.islink(os.path.join(dirpath, name)), name
            generated = s.root / "exercises" / "_notebooks.py"
            if generated.exists():  # our own code: it must always compile
                compile(generated.read_text(encoding="utf-8"), str(generated), "exec")
            note_event(f"staged {len(s.modules)} module(s)")
        assert not base.exists()
    except SubmissionError as exc:
        message = str(exc)
        assert message and message.isprintable() and len(message) <= 1000, message
        note_event(f"refused: {message.split(':')[0][:40]}")
    took = time.monotonic() - start
    assert took < submission.STAGE_TIMEOUT + 10, took
    # This process never parses the input, so it does not grow (the stager child is capped).
    assert rss() - rss_before < 64 * 2**20


def rss() -> int:
    """This process's resident memory now (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


# ---------------------------------------------------------------------------- odd Python

PIECES = [
    "def relu(z):\n    return z\n", "def sigmoid(z):\n    return 0.5\n",
    "from activations import which\n", "import activations, utils\n", "import numpy as np\n",
    "from .neuron import *\n", "from __future__ import annotations\n",
    "from __future__ import braces\n", "class A:\n    pass\n", "@staticmethod\n",
    "x = train(1)\n", "x: int = 1\n", "x += 1\n", "if True:\n    tanh = 1\n",
    "try:\n    pass\nexcept Exception:\n    relu = 2\n", "async def loss(): pass\n",
    "print('hi')\n", "for i in range(3): pass\n", "assert False\n", "raise SystemExit\n",
    "%matplotlib inline\n", "!pip install x\n", "x = %time 1\n", "relu?\n", "??relu\n",
    "%%time\n", "%%bash\n", "\f", "\v", "\u2028", "\u2029", "\x85", "\x1c", "\x00", "\r",
    "\r\n", "\n", "\t", "    ", "\\\n", "(((", ")))", "[[[", "'''", '"', "'", "#", "é", "𝔘",
    "\ufeff", "a = 1; b = 2\n", "lambda: 0\n", "1 + " * 50 + "1\n", "-" * 300 + "1\n",
    "(" * 250 + ")" * 250 + "\n", "\udc80", "\ud800",
]
odd_python = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)),
                      max_size=25).map("".join)


def encoded(text: str, how: str) -> bytes:
    if how == "utf-8":
        return text.encode("utf-8", "surrogatepass")
    if how == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8", "surrogatepass")
    if how == "latin-1-cookie":
        return ("# -*- coding: latin-1 -*-\n" + text).encode("latin-1", "replace")
    if how == "bogus-cookie":
        return ("# coding: no-such-codec\n" + text).encode("utf-8", "replace")
    if how == "utf-16-cookie":
        return b"# coding: utf-16\n" + text.encode("utf-16", "surrogatepass")
    return text.encode("utf-16", "surrogatepass")


module_bytes = st.one_of(
    st.binary(max_size=300),
    st.builds(encoded, odd_python, st.sampled_from(
        ["utf-8", "utf-8", "utf-8-sig", "latin-1-cookie", "bogus-cookie", "utf-16-cookie",
         "utf-16"])))

# ---------------------------------------------------------------------------- notebooks

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                  max_size=4),
    max_leaves=20)

nbgrader_meta = st.fixed_dictionaries({}, optional={
    "nbgrader": st.one_of(json_values, st.fixed_dictionaries(
        {"grade": st.booleans(), "solution": st.booleans()}))})

cells = st.fixed_dictionaries(
    {"cell_type": st.sampled_from(["code", "code", "code", "markdown", "raw", 3])},
    optional={"source": st.one_of(odd_python, st.lists(odd_python, max_size=4), json_values),
              "metadata": st.one_of(nbgrader_meta, json_values),
              "outputs": json_values})

notebooks = st.one_of(
    st.fixed_dictionaries({"nbformat": st.sampled_from([4, 4, 4, 3, 5, 1, "4", None]),
                           "nbformat_minor": st.integers(0, 6),
                           "cells": st.one_of(st.lists(cells, max_size=6), json_values),
                           "metadata": json_values}),
    json_values)


def notebook_bytes(nb, how: str) -> bytes:
    text = json.dumps(nb)
    if how == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    if how == "truncated":
        return text.encode()[: len(text) // 2]
    if how == "deep":
        return b"[" * 100_000 + b"]" * 100_000
    return text.encode()


notebook_files = st.builds(notebook_bytes, notebooks,
                           st.sampled_from(["plain", "plain", "plain", "bom", "truncated",
                                            "deep"]))

# ---------------------------------------------------------------------------- zips

SPECIAL_NAMES = [
    "../x.py", "../../etc/passwd", "/abs.py", "C:\\x.py", "c:x.py", "..\\..\\x.py", "./a.py",
    "exercises/activations.py", "hw/exercises/network.py", "hw/activations.py", "a/b/c/d.py",
    ".hidden.py", "__MACOSX/._activations.py", "hw/._train.py", "x.ipynb", "hw/nb.ipynb",
    "activations.py", "train.py", "train.py/inner.py", "exercises", "exercises/", "hw/",
    "__init__.py", "exercises/__init__.py", "é/ü.py", "a\x1b[2J.py", "a\x00b.py", "x" * 300 + ".py",
    ".ipynb_checkpoints/x-checkpoint.ipynb", "utils.py", "numpy.py",
]
member_names = st.one_of(
    st.sampled_from(SPECIAL_NAMES),
    st.sampled_from(EXERCISE_MODULES).map(lambda m: m + ".py"),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=12).map(lambda t: t + ".py"))
members = st.tuples(
    member_names,
    st.one_of(module_bytes, notebook_files),
    st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_DEFLATED,
                     zipfile.ZIP_BZIP2]),
    st.sampled_from([None, None, None, stat.S_IFLNK | 0o777, stat.S_IFIFO | 0o644,
                     stat.S_IFREG | 0o644]))


def build_zip(items, corruptions, size_lies) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are on purpose
        with zipfile.ZipFile(buf, "w") as zf:
            for name, data, method, mode in items:
                info = zipfile.ZipInfo(name or "empty")
                info.compress_type = method
                if mode is not None:
                    info.create_system = 3
                    info.external_attr = mode << 16
                zf.writestr(info, data)
    raw = bytearray(buf.getvalue())
    # Lie about sizes in the central directory (uncompressed and compressed).
    offsets = []
    at = raw.find(b"PK\x01\x02")
    while at != -1:
        offsets.append(at)
        at = raw.find(b"PK\x01\x02", at + 4)
    for k, (field, value) in enumerate(size_lies):
        if offsets:
            at = offsets[k % len(offsets)]
            struct.pack_into("<I", raw, at + (24 if field else 20), value)
    for position, byte in corruptions:  # flipped bytes: bad CRCs, bad headers, bad streams
        if raw:
            raw[position % len(raw)] = byte
    return bytes(raw)


zips = st.builds(
    build_zip,
    st.lists(members, max_size=8),
    st.lists(st.tuples(st.integers(0, 2**20), st.integers(0, 255)), max_size=3),
    st.lists(st.tuples(st.booleans(), st.sampled_from([0, 1, 10, 2**31, 0xFFFFFFFE,
                                                       0xFFFFFFFF])), max_size=2))

# ---------------------------------------------------------------------------- the tests


@FUZZ
@given(zips, st.sampled_from(["hw.zip", "hw.ZIP", "noext", "x.ipynb"]))
def test_random_zips(archive, name):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / name
        path.write_bytes(archive)
        check_staging(path)


@FUZZ
@given(st.lists(notebook_files, min_size=1, max_size=3), st.booleans())
def test_random_notebooks(files, as_folder):
    with tempfile.TemporaryDirectory() as d:
        if as_folder or len(files) > 1:
            path = Path(d) / "nbs"
            path.mkdir()
            for i, data in enumerate(files):
                (path / f"{i}-nb.ipynb").write_bytes(data)
        else:
            path = Path(d) / "hw.ipynb"
            path.write_bytes(files[0])
        check_staging(path)


@FUZZ
@given(st.dictionaries(st.sampled_from([*EXERCISE_MODULES, "utils", "numpy", "__init__",
                                        "test_x", "helper"]),
                       module_bytes, max_size=8),
       st.sampled_from(["", "exercises", "hw", "hw/exercises"]))
def test_random_module_bytes_and_encodings(files, under):
    with tempfile.TemporaryDirectory() as d:
        top = Path(d) / "sub"
        folder = top / under if under else top
        folder.mkdir(parents=True)
        for name, data in files.items():
            (folder / f"{name}.py").write_bytes(data)
        check_staging(top)


@FUZZ
@given(st.lists(st.tuples(st.text(st.characters(blacklist_categories=("Cs",),
                                                blacklist_characters="/\x00"),
                                  min_size=1, max_size=12),
                          st.sampled_from(["file", "dir", "link", "fifo", "badlink"])),
                max_size=8))
def test_random_folder_entries(entries):
    """Links (to the outside, to themselves), FIFOs and odd names next to real modules."""
    with tempfile.TemporaryDirectory() as d:
        outside = Path(d) / "outside"
        outside.mkdir()
        (outside / "activations.py").write_text("SECRET = 1\n")
        top = Path(d) / "sub"
        top.mkdir()
        for m in EXERCISE_MODULES[:3]:
            (top / f"{m}.py").write_text("def which():\n    return 1\n")
        for name, kind in entries:
            for target in (top / name, top / f"{name}.py"):
                if target.name in (".", "..") or os.path.lexists(target):
                    continue
                try:
                    if kind == "file":
                        target.write_text("X = 1\n")
                    elif kind == "dir":
                        target.mkdir()
                    elif kind == "link":
                        target.symlink_to(outside / "activations.py")
                    elif kind == "fifo":
                        os.mkfifo(target)
                    else:
                        target.symlink_to(target)
                except OSError:  # a name too long for the file system
                    pass
        with staged(top) as s:
            for p in (s.root / "exercises").iterdir():
                assert "SECRET" not in p.read_text(encoding="utf-8", errors="replace")
        check_staging(top)


@pytest.mark.parametrize("depth", [10, 1000, 100_000])
def test_deeply_nested_json_and_code(tmp_path, depth):
    """Fixed points the fuzzer may not reach: nesting as deep as a file allows."""
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [{"cell_type": "code", "source": "[" * depth + "]" * depth, "metadata": {}},
                    {"cell_type": "code", "source": "x = " + "-" * depth + "1",
                     "metadata": {}}]}
    (tmp_path / "a.ipynb").write_text(json.dumps(nb))
    check_staging(tmp_path / "a.ipynb")
    (tmp_path / "b.ipynb").write_bytes(b'{"cells": ' + b"[" * depth + b"]" * depth + b"}")
    check_staging(tmp_path / "b.ipynb")


def _strict(constant: str):
    raise ValueError(f"not strict JSON: {constant}")


@settings(FUZZ, max_examples=max(1, EXAMPLES // 4))
@given(st.one_of(zips.map(lambda z: ("hw.zip", z)), notebook_files.map(lambda n: ("hw.ipynb", n))))
def test_random_submissions_through_the_command_line(named):
    """End to end: `bpcourse grade` on the input exits 0 with strict JSON or 2 with one line."""
    from click.testing import CliRunner

    from grader.cli import main

    name, data = named
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / name
        path.write_bytes(data)
        result = CliRunner().invoke(main, ["grade", str(path), "--format", "json"])
    assert result.exit_code in (0, 2), (result.exit_code, result.output, result.exception)
    note_event(f"exit {result.exit_code}")
    if result.exit_code == 0:
        report = json.loads(result.stdout, parse_constant=_strict)
        assert {"score", "max_score", "exercises"} <= set(report)
    else:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error:"), result.stderr
