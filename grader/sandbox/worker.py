"""The untrusted side: the process that runs student code, and the wire format.

This file runs INSIDE the sandbox as a script (``python -I -S worker.py CONFIG``). It imports
only the standard library and numpy, never anything from ``grader``: the trust boundary is
this file's edge. The host imports the wire functions from here, so both sides share one
definition of the format.

Wire format (one frame per message, both directions)::

    "BPW1" | header length (u32 LE) | body length (u64 LE) | header (JSON) | body (raw bytes)

The header is a JSON object: plain control fields (status, module names, messages) and,
under "v", the values (return value, arguments) encoded with type tags; the body is the raw,
C-ordered bytes of every array among the values, each padded to 8 bytes. Values:

    None, bool, int, float (nan/inf), str     -> JSON scalars
    list                                      -> JSON array
    tuple                                     -> {"t": [...]}
    dict with str keys                        -> {"d": {...}}
    numpy.ndarray (exact type)                -> {"a": [dtype, [shape...]]}  + body bytes
    numpy scalar                              -> {"s": dtype}                + body bytes
    WorkerFunction (host -> worker only)      -> {"f": [kind, {"d": {...}}]}

Nothing is ever unpickled. A decoder accepts only allow-listed dtypes, checks every shape
against the byte count, bounds nesting depth before parsing, and caps sizes.
"""

from __future__ import annotations

import json
import os
import re
import struct
import sys
import time
import warnings
from dataclasses import dataclass, field

if __name__ == "__main__":
    # Bootstrap before anything else is imported: set the limits and the import path
    # from the host's configuration (student code has not run yet).
    _CONFIG = json.loads(sys.argv[1])
    try:
        import resource

        for _name, _value in _CONFIG["rlimits"].items():
            _res = getattr(resource, _name)
            _soft, _hard = _value
            _cur_soft, _cur_hard = resource.getrlimit(_res)
            if _cur_hard != resource.RLIM_INFINITY:
                _hard = min(_hard, _cur_hard)
                _soft = min(_soft, _hard)
            resource.setrlimit(_res, (_soft, _hard))
    except (ImportError, ValueError, OSError):  # pragma: no cover - not Linux
        pass
    # -I -S leaves only the standard library on sys.path; add numpy's private folder and the
    # submission (after the standard library, so a student's json.py shadows nothing of ours).
    sys.path[:] = [p for p in sys.path if p] + [_CONFIG["pylib"], _CONFIG["root"]]
    sys.dont_write_bytecode = True

import numpy as np  # noqa: E402

# ---------------------------------------------------------------------------------------------
# Wire format
# ---------------------------------------------------------------------------------------------

MAGIC = b"BPW1"
PREFIX = struct.Struct("<4sIQ")
MAX_DEPTH = 32  # nesting levels of a value; the message wrapper adds two more
MAX_HEADER_BYTES = 16 << 20
MAX_STR_CHARS = 1 << 20
MAX_ITEMS = 1_000_000  # scalars + containers + arrays in one message
MAX_NDIM = 32
_ALIGN = 8
_RAW_DEPTH = 2 * (MAX_DEPTH + 2) + 4  # JSON bracket depth that MAX_DEPTH can produce

ALLOWED_DTYPES = frozenset(
    np.dtype(code).str
    for code in ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                 "uint64", "float16", "float32", "float64")
)
_DTYPES = {s: np.dtype(s) for s in ALLOWED_DTYPES}
_SCALAR_TYPES = {}
for _t in set(np.sctypeDict.values()):
    try:
        if np.dtype(_t).str in ALLOWED_DTYPES:
            _SCALAR_TYPES[_t] = np.dtype(_t)
    except TypeError:  # pragma: no cover - abstract types
        pass
_STRING_RE = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_OPEN_CLOSE = np.zeros(256, np.int8)
_OPEN_CLOSE[[ord("["), ord("{")]] = 1
_OPEN_CLOSE[[ord("]"), ord("}")]] = -1


ARGUMENTS = ("args", "kwargs")  # the values that may hold WorkerFunction


class WireError(ValueError):
    """A message that breaks the format or its limits (status "protocol")."""


# Functions built inside the worker from parameters: (required keys, value, gradient).
def _as_float(x):
    return np.asarray(x, dtype=np.float64)


FUNCTION_LIBRARY = {
    # f(x) = sum(c * x)
    "linear": (("c",), lambda d, x: float(np.sum(d["c"] * x)), lambda d, x: d["c"] * np.ones_like(x)),
    # f(x) = sum(c1*x + c2*x**2 + c3*x**3)
    "cubic": (
        ("c1", "c2", "c3"),
        lambda d, x: float(np.sum(d["c1"] * x + d["c2"] * x**2 + d["c3"] * x**3)),
        lambda d, x: d["c1"] + 2 * d["c2"] * x + 3 * d["c3"] * x**2,
    ),
    # f(x) = sum(sin(a * x))
    "sum_sin": (("a",), lambda d, x: float(np.sum(np.sin(d["a"] * x))),
                lambda d, x: d["a"] * np.cos(d["a"] * x)),
    # f(x) = sum(x * (M @ x.ravel()).reshape(x.shape)), M of shape (x.size, x.size)
    "quadratic_form": (
        ("M",),
        lambda d, x: float(np.sum(x * (d["M"] @ x.ravel()).reshape(x.shape))),
        lambda d, x: ((d["M"] + d["M"].T) @ x.ravel()).reshape(x.shape),
    ),
}


@dataclass(frozen=True)
class WorkerFunction:
    """A callable argument, rebuilt inside the worker from FUNCTION_LIBRARY.

    ``kind`` names the formula, ``data`` holds its parameters (str -> ndarray), for example
    ``WorkerFunction("cubic", {"c1": a, "c2": b, "c3": c})``. Calling it evaluates the same
    formula on either side, so the grader knows the true value and ``gradient``.
    """

    kind: str
    data: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in FUNCTION_LIBRARY:
            raise ValueError(f"unknown WorkerFunction kind {self.kind!r}; "
                             f"known: {', '.join(sorted(FUNCTION_LIBRARY))}")
        missing = [k for k in FUNCTION_LIBRARY[self.kind][0] if k not in self.data]
        if missing:
            raise ValueError(f"WorkerFunction {self.kind!r} needs {', '.join(missing)}")

    def __call__(self, x) -> float:
        return FUNCTION_LIBRARY[self.kind][1](self.data, _as_float(x))

    def gradient(self, x) -> np.ndarray:
        return FUNCTION_LIBRARY[self.kind][2](self.data, _as_float(x))


def _type_name(value) -> str:
    t = type(value)  # type() runs no code of the value
    module = getattr(t, "__module__", "") or ""
    name = getattr(t, "__qualname__", "?")
    return name if module in ("builtins", "") else f"{module}.{name}"


class _Encoder:
    def __init__(self, max_bytes: int, allow_functions: bool):
        self.max_bytes = max_bytes
        self.allow_functions = allow_functions
        self.buffers: list = []
        self.nbytes = 0
        self.items = 0

    def array(self, v: np.ndarray) -> list:
        dt = v.dtype
        code = dt.str
        if code not in ALLOWED_DTYPES:
            native = dt.newbyteorder("=") if dt.byteorder not in "=|" else None
            if native is None or native.str not in ALLOWED_DTYPES:
                raise WireError(f"unsupported array dtype: {dt} (allowed: bool, "
                                f"int8..int64, uint8..uint64, float16/32/64)")
            v = v.astype(native)
            code = native.str
        if v.ndim > MAX_NDIM:
            raise WireError(f"an array with {v.ndim} dimensions is not supported")
        if not v.flags.c_contiguous:
            v = np.ascontiguousarray(v)
        size = v.nbytes
        padded = (size + _ALIGN - 1) // _ALIGN * _ALIGN
        if self.nbytes + padded > self.max_bytes:
            raise WireError(f"the result holds more than {self.max_bytes} bytes of arrays "
                            f"(the cap is max_result_bytes)")
        self.nbytes += padded
        if size:
            self.buffers.append(memoryview(v).cast("B"))
            if padded != size:
                self.buffers.append(bytes(padded - size))
        return [code, list(v.shape)]

    def enc(self, v, depth: int):
        self.items += 1
        if self.items > MAX_ITEMS:
            raise WireError(f"the result holds more than {MAX_ITEMS} items")
        if depth > MAX_DEPTH:
            raise WireError(f"the result is nested deeper than {MAX_DEPTH} levels")
        t = type(v)
        if t is np.ndarray:
            return {"a": self.array(v)}
        if v is None or t is bool or t is int or t is float:
            return v
        if t is str:
            if len(v) > MAX_STR_CHARS:
                raise WireError(f"a string of {len(v)} characters is longer than the cap "
                                f"of {MAX_STR_CHARS}")
            return v
        if t is list:
            return [self.enc(x, depth + 1) for x in v]
        if t is tuple:
            return {"t": [self.enc(x, depth + 1) for x in v]}
        if t is dict:
            out = {}
            for k, x in v.items():
                if type(k) is not str:
                    raise WireError(f"unsupported dict key type: {_type_name(k)} "
                                    f"(only str keys can be sent)")
                out[k] = self.enc(x, depth + 1)
            return {"d": out}
        if t in _SCALAR_TYPES:
            return {"s": self.array(np.asarray(v).reshape(()))[0]}
        if t is WorkerFunction and self.allow_functions:
            return {"f": [v.kind, self.enc(dict(v.data), depth + 1)]}
        if isinstance(v, np.ndarray):
            raise WireError(f"unsupported return type: {_type_name(v)} (a subclass of "
                            f"numpy.ndarray; return a plain numpy array)")
        raise WireError(f"unsupported return type: {_type_name(v)}")


_JSON = json.JSONEncoder(separators=(",", ":"))
_SCAN = json.JSONDecoder().scan_once


def _allowed(allow_functions, name: str) -> bool:
    return allow_functions if type(allow_functions) is bool else name in allow_functions


def encode(control: dict, values: dict | None = None, *, max_bytes: int = 64 << 20,
           allow_functions: bool | tuple = True) -> list:
    """Encode one frame: a list of bytes-like chunks to write in order.

    ``control`` holds plain JSON fields written by trusted code (status, names, messages);
    ``values`` maps names to arbitrary values (return value, arguments), encoded with type
    tags and raw array bytes. ``allow_functions`` (a bool, or the names of the values that
    may hold them) admits WorkerFunction. Raises WireError, naming the offending type or limit.
    """
    e = _Encoder(max_bytes, False)
    if values:
        tree = {}
        for k, x in values.items():
            e.allow_functions = _allowed(allow_functions, k)
            tree[k] = e.enc(x, 1)
        control = dict(control, v=tree)
    header = _JSON.encode(control).encode()
    if len(header) > MAX_HEADER_BYTES:
        raise WireError(f"the message header is {len(header)} bytes, more than the cap")
    return [PREFIX.pack(MAGIC, len(header), e.nbytes), header, *e.buffers]


def parse_prefix(prefix, *, max_body: int) -> tuple[int, int]:
    """Validate a 16-byte frame prefix; return (header length, body length)."""
    magic, hlen, blen = PREFIX.unpack(prefix)
    if magic != MAGIC:
        raise WireError("the worker sent bytes that are not a frame")
    if hlen > MAX_HEADER_BYTES:
        raise WireError(f"the worker announced a {hlen}-byte header (cap {MAX_HEADER_BYTES})")
    if blen > max_body:
        raise WireError(f"the worker announced {blen} bytes of arrays, more than the "
                        f"{max_body}-byte cap")
    return hlen, blen


def _check_raw_depth(header: bytes) -> None:
    # json.loads recurses once per bracket: refuse deep nesting before parsing.
    if header.count(b"[") + header.count(b"{") <= _RAW_DEPTH:
        return
    structure = np.frombuffer(_STRING_RE.sub(b"", header), np.uint8)
    if structure.size and np.cumsum(_OPEN_CLOSE[structure], dtype=np.int64).max() > _RAW_DEPTH:
        raise WireError(f"the message is nested deeper than {MAX_DEPTH} levels")


class _Decoder:
    def __init__(self, body, allow_functions: bool, copy: bool):
        self.body = body
        self.offset = 0
        self.allow_functions = allow_functions
        self.copy = copy
        self.items = 0

    def take(self, code, shape):
        if type(code) is not str or code not in ALLOWED_DTYPES:
            raise WireError(f"unsupported array dtype {str(code)[:40]!r}")
        if type(shape) is not list or len(shape) > MAX_NDIM:
            raise WireError("an array shape is not a list of non-negative ints")
        dtype = _DTYPES[code]
        count = 1
        for n in shape:
            if type(n) is not int or n < 0:
                raise WireError("an array shape is not a list of non-negative ints")
            count *= n
        size = count * dtype.itemsize
        end = self.offset + (size + _ALIGN - 1) // _ALIGN * _ALIGN
        if end > len(self.body):
            raise WireError("array shapes do not match the bytes sent")
        arr = np.frombuffer(self.body, dtype, count, self.offset).reshape(shape)
        self.offset = end
        return arr.copy() if self.copy else arr

    def dec(self, v, depth: int):
        self.items += 1
        if self.items > MAX_ITEMS:
            raise WireError(f"the message holds more than {MAX_ITEMS} items")
        if depth > MAX_DEPTH:
            raise WireError(f"the message is nested deeper than {MAX_DEPTH} levels")
        t = type(v)
        if t is dict:
            if len(v) != 1:
                raise WireError("malformed message")
            (tag, x), = v.items()
            if tag == "a" and type(x) is list and len(x) == 2:
                return self.take(x[0], x[1])
            if tag == "t" and type(x) is list:
                return tuple([self.dec(y, depth + 1) for y in x])
            if tag == "d" and type(x) is dict:
                return {k: self.dec(y, depth + 1) for k, y in x.items()}
            if tag == "s" and type(x) is str:
                return self.take(x, [])[()]
            if tag == "f" and self.allow_functions and type(x) is list and len(x) == 2:
                data = self.dec(x[1], depth + 1)
                if type(x[0]) is not str or type(data) is not dict:
                    raise WireError("malformed function")
                try:
                    return WorkerFunction(x[0], data)
                except ValueError as exc:
                    raise WireError(str(exc)) from None
            raise WireError(f"unknown tag {str(tag)[:20]!r} in message")
        if v is None or t is bool or t is int or t is float:
            return v
        if t is str:
            if len(v) > MAX_STR_CHARS:
                raise WireError("a string is longer than the cap")
            return v
        if t is list:
            return [self.dec(x, depth + 1) for x in v]
        raise WireError("malformed message")


def decode(header, body, *, allow_functions: bool | tuple = False, copy: bool = False):
    """Decode a frame's header and body (bytes-like) into (control, values).

    Arrays are views into ``body`` (writable when it is a bytearray) unless ``copy``, then
    each owns its data. Raises WireError for anything malformed or over a limit.
    """
    header = bytes(header)
    _check_raw_depth(header)
    try:
        text = header.decode("utf-8")
        control, end = _SCAN(text, 0)  # the C scanner behind json.loads, without its wrapper
    except (ValueError, RecursionError, StopIteration) as exc:
        raise WireError(f"unreadable header ({type(exc).__name__})") from None
    if end != len(text):
        raise WireError("unreadable header (trailing data)")
    if type(control) is not dict:
        raise WireError("malformed message")
    raw = control.pop("v", None)
    values = {}
    d = _Decoder(body, False, copy)
    if raw is not None:
        if type(raw) is not dict:
            raise WireError("malformed message")
        for k, x in raw.items():
            d.allow_functions = _allowed(allow_functions, k)
            values[k] = d.dec(x, 1)
    if d.offset != len(body):
        raise WireError("array shapes do not match the bytes sent")
    return control, values


# ---------------------------------------------------------------------------------------------
# The worker process
# ---------------------------------------------------------------------------------------------

_MAX_ERROR_CHARS = 300
_MAX_TRACEBACK_LINES = 15


def _write_all(fd: int, chunks) -> None:
    total = sum(map(len, chunks))
    done = os.writev(fd, chunks) if len(chunks) < 512 else 0
    if done < total:
        view = memoryview(b"".join(chunks))[done:]
        while view:
            view = view[os.write(fd, view):]


def _read_exact(fd: int, n: int) -> bytearray:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = os.readv(fd, [view[got:]])
        if k == 0:
            raise EOFError
        got += k
    return buf


class _CappedBinary:
    """A write-through writer for fd 1/2 that drops everything past the per-call cap."""

    def __init__(self, fd: int, budget: list):
        self._fd = fd
        self._budget = budget  # shared [bytes left this call] for stdout and stderr

    def write(self, b) -> int:
        n = len(b)
        left = self._budget[0]
        if left <= 0 or n == 0:
            return n
        chunk = bytes(b[:left])
        self._budget[0] = left - len(chunk)
        try:
            _write_all(self._fd, [chunk])
        except OSError:
            pass
        return n

    def flush(self):
        pass

    def fileno(self):
        return self._fd

    def isatty(self):
        return False

    def writable(self):
        return True

    def readable(self):
        return False

    def close(self):
        pass

    closed = False


class _CappedText(_CappedBinary):
    encoding = "utf-8"
    errors = "backslashreplace"
    line_buffering = False

    def __init__(self, fd: int, budget: list):
        super().__init__(fd, budget)
        self.buffer = _CappedBinary(fd, budget)

    def write(self, s) -> int:
        if type(s) is not str:
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        left = self._budget[0]
        if left > 0 and s:
            self.buffer.write(s[:left].encode("utf-8", "backslashreplace"))
        return len(s)


class _Worker:
    def __init__(self, config: dict):
        self.req_fd = config["req_fd"]
        self.resp_fd = config["resp_fd"]
        self.root = config["root"]
        self.package_dir = os.path.join(self.root, "exercises") + os.sep
        self.max_result_bytes = config["max_result_bytes"]
        self.output_bytes = config["output_bytes"]
        self.output_left = [self.output_bytes]
        self.poison: dict = {}

    # -- messages -----------------------------------------------------------------------------
    def send(self, control: dict) -> None:
        _write_all(self.resp_fd, encode(control))

    def receive(self):
        # Usually one read holds the whole request; a big one is read straight into place.
        data = os.read(self.req_fd, 1 << 16)
        if len(data) < PREFIX.size:
            data += _read_exact(self.req_fd, PREFIX.size - len(data))
        hlen, blen = parse_prefix(data[:PREFIX.size], max_body=1 << 40)
        missing = PREFIX.size + hlen + blen - len(data)
        if missing > 0:
            data += _read_exact(self.req_fd, missing)
        view = memoryview(data)
        return decode(view[PREFIX.size:PREFIX.size + hlen], view[PREFIX.size + hlen:],
                      allow_functions=True, copy=True)

    # -- names shown to students ----------------------------------------------------------------
    def student_file(self, filename) -> str | None:
        if isinstance(filename, str) and filename.startswith(self.package_dir):
            return filename[len(self.package_dir):]
        return None

    @staticmethod
    def module_file(name: str) -> str:
        rest = name.split(".")[1:]
        return "/".join(rest) + ".py" if rest else "__init__.py"

    def describe(self, exc: BaseException) -> tuple[str, str]:
        """One-line message and a student-frames-only traceback for ``exc``."""
        import traceback

        try:
            text = str(exc)
        except BaseException:  # noqa: BLE001 - a student's __str__ may raise anything
            text = "<unprintable>"
        name = type(exc).__name__
        frames = []
        try:
            frames = [f for f in traceback.extract_tb(exc.__traceback__)
                      if self.student_file(f.filename)]
        except BaseException:  # noqa: BLE001
            pass
        where = ""
        if isinstance(exc, SyntaxError) and self.student_file(exc.filename):
            where = f" ({self.student_file(exc.filename)}, line {exc.lineno})"
            text = exc.msg
        elif frames:
            where = f" ({self.student_file(frames[-1].filename)}, line {frames[-1].lineno})"
        text = " ".join(text.split())
        message = f"{name}: {text}" if text else name
        if len(message) > _MAX_ERROR_CHARS:
            message = message[: _MAX_ERROR_CHARS - 3] + "..."
        lines = []
        for f in frames:
            lines.append(f'  File "{self.student_file(f.filename)}", line {f.lineno}, in {f.name}')
            if f.line:
                lines.append(f"    {f.line.strip()[:200]}")
        lines = lines[-(_MAX_TRACEBACK_LINES - 1):] + [message]
        return message + where, "\n".join(lines)

    # -- import tracing -------------------------------------------------------------------------
    def install_finder(self) -> None:
        import importlib.machinery as machinery

        worker = self

        class TracingLoader(machinery.SourceFileLoader):
            def exec_module(self, module):
                name = module.__name__
                worker.send({"note": "start", "module": name})
                try:
                    super().exec_module(module)
                except BaseException as exc:
                    error, tb = worker.describe(exc)
                    worker.send({"note": "fail", "module": name, "error": error,
                                 "traceback": tb})
                    raise
                worker.send({"note": "done", "module": name})

        class TracingFinder:
            @staticmethod
            def find_spec(name, path=None, target=None):
                if name != "exercises" and not name.startswith("exercises."):
                    return None
                if name in worker.poison:
                    raise ImportError(f"{worker.module_file(name)} could not be imported "
                                      f"earlier: {worker.poison[name]}")
                spec = machinery.PathFinder.find_spec(name, path)
                if spec is not None and type(spec.loader) is machinery.SourceFileLoader:
                    spec.loader = TracingLoader(spec.loader.name, spec.loader.path)
                return spec

        sys.meta_path.insert(0, TracingFinder)

    # -- one call -------------------------------------------------------------------------------
    def handle(self, request: dict, values: dict) -> tuple[dict, dict | None]:
        """Run one call; return the reply's (control, values)."""
        if "poison" in request:
            self.poison = request["poison"]
        self.output_left[0] = self.output_bytes
        fullname = request["module"]  # "exercises.<name>"
        file = self.module_file(fullname)
        module = sys.modules.get(fullname)
        if module is None:
            import importlib

            try:
                module = importlib.import_module(fullname)
            except ModuleNotFoundError as exc:
                if exc.name in (fullname, "exercises"):
                    return {"status": "missing",
                            "error": f"no module {file} in the submission"}, None
                error, tb = self.describe(exc)
                return {"status": "import", "error": error, "traceback": tb}, None
            except BaseException as exc:  # noqa: BLE001 - SystemExit and friends too
                error, tb = self.describe(exc)
                return {"status": "import", "error": error, "traceback": tb}, None
            self.send({"note": "call"})  # import done: the call's own deadline starts now
        fname = request["function"]
        try:
            func = getattr(module, fname, None)
        except BaseException:  # noqa: BLE001 - a module __getattr__ may raise
            func = None
        if not callable(func):
            return {"status": "missing", "error": f"no function {fname} in {file}"}, None
        args, kwargs = values["args"], values["kwargs"]
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            # "default": once per code location, so a warning in a loop records one entry.
            warnings.simplefilter("default")
            try:
                value = func(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt too
                seconds = time.perf_counter() - start
                error, tb = self.describe(exc)
                return {"status": "exception", "error": error, "traceback": tb,
                        "seconds": seconds}, None
        seconds = time.perf_counter() - start
        # The decoder built fresh lists/dicts/arrays, so args now shows any mutation.
        reply = {"value": value}
        if request.get("return_args"):
            reply["args"] = args
            reply["kwargs"] = kwargs
        return {"status": "ok", "seconds": seconds, "warnings": self.warning_lines(caught)}, reply

    @staticmethod
    def warning_lines(caught) -> list:
        """Up to five distinct one-line warnings (e.g. numpy's overflow in exp)."""
        lines = []
        for item in caught:
            try:
                line = f"{item.category.__name__}: {item.message}"[:200]
            except BaseException:  # noqa: BLE001 - a student's warning object may misbehave
                continue
            if line not in lines:
                lines.append(line)
            if len(lines) == 5:
                break
        return lines

    def serve(self) -> None:
        self.send({"note": "hello", "pid": os.getpid()})
        while True:
            try:
                request, values = self.receive()
            except (EOFError, OSError):
                os._exit(0)
            control, reply = self.handle(request, values)
            del request, values
            try:
                frame = encode(control, reply, max_bytes=self.max_result_bytes,
                               allow_functions=ARGUMENTS)
            except WireError as exc:
                what = str(exc)
                if reply and "args" in reply:
                    try:
                        encode({}, {"value": reply["value"]}, max_bytes=self.max_result_bytes)
                        what = ("an argument was changed into something that cannot be "
                                "sent back: " + what)
                    except WireError:
                        pass
                frame = encode({"status": "protocol", "error": what,
                                "seconds": control.get("seconds", 0.0)})
            except BaseException as exc:  # noqa: BLE001 - e.g. RecursionError, MemoryError
                frame = encode({"status": "protocol",
                                "error": f"the result could not be sent "
                                         f"({type(exc).__name__})"})
            del control, reply
            _write_all(self.resp_fd, frame)
            del frame


def _prctl(option: int, arg: int) -> None:
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(option, arg, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def main(config: dict) -> None:
    import signal

    # A file bigger than RLIMIT_FSIZE fails with an error instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    if config.get("subreaper"):
        # Without a pid namespace: keep orphaned grandchildren as our descendants, so the
        # host can find and kill them, and die with the host.
        _prctl(36, 1)  # PR_SET_CHILD_SUBREAPER
        _prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    worker = _Worker(config)
    sys.stdout = sys.__stdout__ = _CappedText(1, worker.output_left)
    sys.stderr = sys.__stderr__ = _CappedText(2, worker.output_left)
    worker.install_finder()
    os.chdir(config["cwd"])
    worker.serve()


if __name__ == "__main__":
    main(_CONFIG)
