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
    callback (host Callback <-> worker proxy) -> {"c": token}

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
_START = struct.Struct("<cIdd")  # a call's process to the snapshot: b"S", calls, limits
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
MODULE_NAME = re.compile(r"exercises\.[A-Za-z_][A-Za-z0-9_]*\Z")  # a module of the submission
_OPEN_CLOSE = np.zeros(256, np.int8)
_OPEN_CLOSE[[ord("["), ord("{")]] = 1
_OPEN_CLOSE[[ord("]"), ord("}")]] = -1


class WireError(ValueError):
    """A message that breaks the format or its limits (status "protocol")."""


def _type_name(value) -> str:
    t = type(value)  # type() runs no code of the value
    module = getattr(t, "__module__", "") or ""
    name = getattr(t, "__qualname__", "?")
    return name if module in ("builtins", "") else f"{module}.{name}"


class _Encoder:
    def __init__(self, max_bytes: int, token_of):
        self.max_bytes = max_bytes
        self.token_of = token_of
        self.key = ""
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
        if self.token_of is not None:
            token = self.token_of(self.key, v)
            if token is not None:
                return {"c": token}
        if isinstance(v, np.ndarray):
            raise WireError(f"unsupported return type: {_type_name(v)} (a subclass of "
                            f"numpy.ndarray; return a plain numpy array)")
        raise WireError(f"unsupported return type: {_type_name(v)}")


_JSON = json.JSONEncoder(separators=(",", ":"))
_SCAN = json.JSONDecoder().scan_once


def encode(control: dict, values: dict | None = None, *, max_bytes: int = 64 << 20,
           token_of=None) -> list:
    """Encode one frame: a list of bytes-like chunks to write in order.

    ``control`` holds plain JSON fields written by trusted code (status, names, messages);
    ``values`` maps names to arbitrary values (return value, arguments), encoded with type
    tags and raw array bytes. ``token_of(key, value)``, called for a value of no other type,
    may name it a callback (a token) instead of refusing it. Raises WireError, naming the
    offending type or limit.
    """
    e = _Encoder(max_bytes, token_of)
    if values:
        tree = {}
        for k, x in values.items():
            e.key = k
            tree[k] = e.enc(x, 1)
        control = dict(control, v=tree)
    header = _JSON.encode(control).encode()
    if len(header) > MAX_HEADER_BYTES:
        raise WireError(f"the message header is {len(header)} bytes, more than the cap")
    return [PREFIX.pack(MAGIC, len(header), e.nbytes), header, *e.buffers]


def parse_prefix(prefix, *, max_body: int, max_header: int = MAX_HEADER_BYTES) -> tuple[int, int]:
    """Validate a 16-byte frame prefix; return (header length, body length)."""
    magic, hlen, blen = PREFIX.unpack(prefix)
    if magic != MAGIC:
        raise WireError("the worker sent bytes that are not a frame")
    if hlen > max_header:
        raise WireError(f"the worker announced a {hlen}-byte header (cap {max_header})")
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
    def __init__(self, body, callback, copy: bool):
        self.body = body
        self.offset = 0
        self.callback = callback
        self.key = ""
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
            if tag == "c" and self.callback is not None and type(x) is str and len(x) <= 64:
                return self.callback(self.key, x)
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


def decode_header(header) -> tuple[dict, object]:
    """A frame's header: its plain fields, and its values' still undecoded tree (or None)."""
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
    return control, control.pop("v", None)


def decode(header, body, *, callback=None, copy: bool = False):
    """Decode a frame's header and body (bytes-like) into (control, values).

    Arrays are views into ``body`` (writable when it is a bytearray) unless ``copy``, then
    each owns its data. A callback tag is admitted only with ``callback(key, token)``, which
    returns what stands for it (or raises WireError). Raises WireError for anything
    malformed or over a limit.
    """
    control, raw = decode_header(header)
    values = {}
    d = _Decoder(body, callback, copy)
    if raw is not None:
        if type(raw) is not dict:
            raise WireError("malformed message")
        for k, x in raw.items():
            d.key = k
            values[k] = d.dec(x, 1)
    if d.offset != len(body):
        raise WireError("array shapes do not match the bytes sent")
    return control, values


# ---------------------------------------------------------------------------------------------
# The worker process
# ---------------------------------------------------------------------------------------------
#
# The worker ("snapshot") never runs the submission's code. When the host asks for an import
# (op "import"), a child forked for it imports the modules and reports on the control pipe;
# the snapshot compiles them meanwhile. Every request of calls (op "call") runs in a fresh
# child forked from the snapshot: the child closes every file descriptor but its pipes, remaps
# shared memory private, imports the submission's modules afresh (the host names them, in
# order; the code compiled by the snapshot), runs the calls, writes the answers (and callback
# requests) on the response pipe and exits. What a module does at import (even patching this
# file's functions) stays in the process that imported it. The snapshot waits for each child
# under the call's deadline, kills it when the deadline passes, kills any process it left,
# and only then tells the host, on its own control pipe (which no call's child holds), how it
# ended.

_MAX_ERROR_CHARS = 300
_MAX_TRACEBACK_LINES = 15
_MAX_SWAP = 10_000  # items looked at per container when helpers are substituted
_WORKER = None  # the running _Worker (callbacks reach it through _invoke)


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
        self._budget = budget  # shared [bytes left this call, bytes asked to write] (out, err)

    def write(self, b) -> int:
        n = len(b)
        self._budget[1] += n
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
        elif s:
            self._budget[1] += len(s)
        return len(s)


def _invoke(token, args, kwargs):
    return _WORKER.callback(token, args, kwargs)


def _proxy(token: str, name: str):
    """A plain function that asks the host to compute its value: it holds nothing but a name."""
    def f(*args, **kwargs):
        return _invoke(token, args, kwargs)
    f.__name__ = f.__qualname__ = name
    return f


# seccomp: (audit arch, syscall numbers: key rings, ``setpriority``, ``ioprio_set``, calls whose
# first argument is a pid, ``socket``; whether numbers from 0x40000000 are another ABI (x32)).
_SECCOMP_TABLES = {
    "x86_64": (0xC000003E, (248, 249, 250), 141, 251, (302, 142, 144, 203, 314), 41, True),
    "aarch64": (0xC00000B7, (217, 218, 219), 140, 30, (261, 118, 119, 122, 274), 198, False),
}


def _seccomp_program(arch: int, keys, setpriority: int, ioprio_set: int, on_pid,
                     socket_nr: int, other_abi: bool) -> bytes:
    """The classic BPF program of ``_Libc.forbid_shared_state``: any other architecture
    (a 32-bit entry into a 64-bit process) and the key ring calls are denied; setpriority and
    ioprio_set only as (PRIO_PROCESS / IOPRIO_WHO_PROCESS, 0), the pid calls only for pid 0
    (the caller), sockets only of AF_UNIX; everything else is allowed."""
    LD, JEQ, JGE, RET = 0x20, 0x15, 0x35, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, JGE, BPF_RET|K
    ALLOW, DENY = 0x7FFF0000, 0x00050000 | 1  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EPERM
    NR, ARCH, ARG0, ARG1 = 0, 4, 16, 24  # offsets in struct seccomp_data (low 32 bits)
    prog: list = []  # (code, jump-if-true label, jump-if-false label, k)

    def op(code, k, jt=None, jf=None):
        prog.append([code, jt, jf, k])

    op(LD, ARCH)
    op(JEQ, arch, None, "deny")
    op(LD, NR)
    if other_abi:
        op(JGE, 0x40000000, "deny", None)
    for nr in keys:
        op(JEQ, nr, "deny", None)
    op(JEQ, setpriority, "prio", None)
    op(JEQ, ioprio_set, "ioprio", None)
    for nr in on_pid:
        op(JEQ, nr, "self", None)
    op(JEQ, socket_nr, "unix", None)
    op(RET, ALLOW)
    labels = {"unix": len(prog)}
    op(LD, ARG0)
    op(JEQ, 1, "allow", "deny")  # AF_UNIX
    labels["prio"] = len(prog)
    op(LD, ARG0)
    op(JEQ, 0, "who", "deny")  # PRIO_PROCESS
    labels["ioprio"] = len(prog)
    op(LD, ARG0)
    op(JEQ, 1, "who", "deny")  # IOPRIO_WHO_PROCESS
    labels["who"] = len(prog)
    op(LD, ARG1)
    op(JEQ, 0, "allow", "deny")
    labels["self"] = len(prog)
    op(LD, ARG0)
    op(JEQ, 0, "allow", "deny")
    labels["allow"] = len(prog)
    op(RET, ALLOW)
    labels["deny"] = len(prog)
    op(RET, DENY)
    out = b""
    for i, (code, jt, jf, k) in enumerate(prog):
        # A jump's offsets count from the next instruction; None falls through.
        jt = 0 if jt is None else labels[jt] - i - 1
        jf = 0 if jf is None else labels[jf] - i - 1
        assert 0 <= jt < 256 and 0 <= jf < 256
        out += struct.pack("<HBBI", code, jt, jf, k)
    return out


class _Libc:
    """The few system calls the standard library does not offer (Linux; no-ops elsewhere)."""

    def __init__(self):
        try:
            import ctypes

            self.ctypes = ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            libc.mmap.restype = ctypes.c_void_p
            libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                                  ctypes.c_int, ctypes.c_long]
            libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
            self.libc = libc
            # fork(2) with the interpreter lock held, without Python's after-fork work
            # (re-initialising threads and locks, reseeding random: half a millisecond per
            # call), which a single-threaded snapshot does not need.
            self.raw_fork = ctypes.PyDLL(None, use_errno=True).fork
        except (ImportError, OSError, AttributeError):  # pragma: no cover - not Linux
            self.libc = None

    def fork(self) -> int:
        if self.libc is None:
            return os.fork()
        pid = self.raw_fork()
        if pid < 0:
            raise OSError(self.ctypes.get_errno(), "fork failed")
        return pid

    def prctl(self, option: int, arg: int) -> None:
        if self.libc is not None:
            self.libc.prctl(option, arg, 0, 0, 0)

    def forbid_shared_state(self) -> bool:
        """Install a seccomp filter (inherited by every process of the worker, never lifted)
        against the state that processes of one uid share outside any namespace, through
        which a call could leave something for a later one (a backward for the forward that
        checks it) or for the next submission graded under the same uid: the kernel's key
        rings (add_key, request_key, keyctl: a user's key ring is per uid, not per process),
        and the attributes one process may set on another of its uid and which a fork
        inherits (prlimit64, setpriority, ioprio_set, sched_setaffinity, sched_setparam,
        sched_setscheduler, sched_setattr): those are allowed on the caller itself only;
        and network sockets (only AF_UNIX is allowed): a TCP connection closed on loopback
        stays in TIME_WAIT, its ports listed in /proc/net/tcp, after its process is gone.
        Denied calls fail with EPERM. False when no filter could be installed (no Linux, an
        architecture without a table here, or seccomp refused)."""
        import platform

        table = _SECCOMP_TABLES.get(platform.machine())
        if self.libc is None or table is None:
            return False
        program = _seccomp_program(*table)
        ctypes = self.ctypes

        class Fprog(ctypes.Structure):
            _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

        code = ctypes.create_string_buffer(program, len(program))
        fprog = Fprog(len(program) // 8, ctypes.addressof(code))
        # PR_SET_NO_NEW_PRIVS (an unprivileged process needs it for a filter), then
        # PR_SET_SECCOMP, SECCOMP_MODE_FILTER.
        if self.libc.prctl(38, 1, 0, 0, 0) != 0:
            return False
        return self.libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) == 0

    def make_private(self, start: int, end: int, perms: str) -> bool:
        """Replace a shared mapping by a private copy of its bytes at the same address."""
        if self.libc is None:
            return False
        size = end - start
        data = self.ctypes.string_at(start, size) if perms[0] == "r" else None
        prot = (1 if perms[0] == "r" else 0) | (2 if perms[1] == "w" else 0) | \
            (4 if perms[2] == "x" else 0)
        # PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED
        got = self.libc.mmap(start, size, 3, 0x02 | 0x20 | 0x10, -1, 0)
        if got != start:
            return False
        if data is not None:
            self.ctypes.memmove(start, data, size)
        return self.libc.mprotect(start, size, prot) == 0

    def ipc_count(self) -> int:
        """How many System V segments, queues and semaphore sets exist (a few syscalls)."""
        buf = self.ctypes.create_string_buffer(256)
        count = 0
        # SHM_INFO: shm_info.used_ids; MSG_INFO: msginfo.msgpool; SEM_INFO: seminfo.semusz
        if self.libc.shmctl(0, 14, buf) >= 0:
            count += int.from_bytes(buf.raw[0:4], sys.byteorder)
        if self.libc.msgctl(0, 12, buf) >= 0:
            count += int.from_bytes(buf.raw[0:4], sys.byteorder)
        if self.libc.semctl(0, 0, 19, buf) >= 0:
            count += int.from_bytes(buf.raw[28:32], sys.byteorder)
        return count

    def remove_ipc(self) -> None:
        """Remove every System V shared memory segment, message queue and semaphore set."""
        if self.libc is None or not self.ipc_count():
            return
        for kind, remove in (("shm", self.libc.shmctl), ("msg", self.libc.msgctl),
                             ("sem", self.libc.semctl)):
            try:
                with open(f"/proc/sysvipc/{kind}") as f:
                    rows = f.read().splitlines()[1:]
            except OSError:
                continue
            for row in rows[:4096]:
                parts = row.split()
                if len(parts) > 1 and parts[1].isdigit():
                    if kind == "sem":
                        remove(int(parts[1]), 0, 0)  # IPC_RMID
                    else:
                        remove(int(parts[1]), 0, None)


class _Worker:
    def __init__(self, config: dict, libc: _Libc):
        self.libc = libc
        self.req_fd = config["req_fd"]
        self.resp_fd = config["resp_fd"]
        self.ctl_fd = config["ctl_fd"]
        self.root = config["root"]
        self.package_dir = os.path.join(self.root, "exercises") + os.sep
        self.max_result_bytes = config["max_result_bytes"]
        self.output_bytes = config["output_bytes"]
        self.kill_all = config["kill_all"]  # bubblewrap: kill(-1) reaches only the sandbox
        # The zygote this worker was forked from (``zygote_main``), which no kill may reach.
        self.zygote = config.get("zygote")
        self.workdir = config.get("workdir")  # rlimits: a fresh folder per call in here
        self.poison: dict = dict(config.get("poison") or {})
        self.output_left = [self.output_bytes, 0]
        self.notes = False  # send import notes (only in the import's own process)
        self.in_child = False
        self.proxies: dict = {}  # id(proxy) -> (proxy, token)
        self.calls = 0
        # Call processes forked ahead of their request: ``ready`` may read the grader's next
        # request (pid, tick pipe, workdir); ``spare``, forked while ``ready`` runs, waits for
        # a go first (pid, tick pipe, workdir, go pipe).
        self.ready = None
        self.spare = None
        self.shared: list = []  # shared mappings of the snapshot: remapped private per call
        # The submission's modules compiled here (never run here): each process that imports
        # them runs this code instead of compiling the source again.
        self.codes: dict = {}
        self.import_replies: dict = {}  # in a call's process: its imports that failed
        # The files every child must see as they were at boot, whatever an import did.
        self.out_keep = os.dup(1)
        self.null_keep = os.open(os.devnull, os.O_RDWR)

    # -- messages -----------------------------------------------------------------------------
    def ctl(self, control: dict) -> None:
        _write_all(self.ctl_fd, encode(control))

    def make_proxy(self, key, token):
        proxy = _proxy(token, "f")
        self.proxies[id(proxy)] = (proxy, token)
        return proxy

    def token_of(self, key, value):
        if key in ("args", "kwargs"):
            entry = self.proxies.get(id(value))
            if entry is not None and entry[0] is value:
                return entry[1]
        return None

    def receive(self, callback=None):
        # Exactly one frame: frames may queue up back to back (stale callback answers).
        view, hlen = self.read_raw(self.req_fd)
        return decode(view[:hlen], view[hlen:], callback=callback, copy=True)

    def callback(self, token, args, kwargs):
        """In a call's child: ask the host to run a callback and wait for its answer."""
        if not self.in_child:
            raise RuntimeError("this function works only during the call it was given to")
        try:
            frame = encode({"cb": token}, {"args": args, "kwargs": kwargs},
                           max_bytes=self.max_result_bytes, token_of=self.token_of)
        except WireError as exc:
            raise TypeError(f"cannot pass this to the function: {exc}") from None
        _write_all(self.resp_fd, frame)
        try:
            control, values = self.receive()
        except (EOFError, OSError, WireError):
            os._exit(70)
        if control.get("op") != "cb":
            os._exit(70)
        if control.get("ok") is True:
            return values.get("value")
        raise RuntimeError(str(control.get("error", "the callback failed"))[:1000])

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
        text = " ".join(str(text).split())
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

    # -- imports (each in a process forked for it) ------------------------------------------------
    def install_finder(self) -> None:
        import importlib.machinery as machinery

        worker = self

        class TracingLoader(machinery.SourceFileLoader):
            def get_code(self, fullname):
                code = worker.codes.get(self.path)
                return code if code is not None else super().get_code(fullname)

            def exec_module(self, module):
                name = module.__name__
                if worker.notes:
                    worker.ctl({"note": "start", "module": name})
                try:
                    super().exec_module(module)
                except BaseException as exc:
                    error, tb = worker.describe(exc)
                    if worker.notes:
                        worker.poison[name] = error
                        worker.ctl({"note": "fail", "module": name, "error": error,
                                    "traceback": tb})
                    raise
                if worker.notes:
                    worker.ctl({"note": "done", "module": name})

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

    def import_module(self, fullname: str) -> dict:
        import importlib

        file = self.module_file(fullname)
        try:
            importlib.import_module(fullname)
        except ModuleNotFoundError as exc:
            if exc.name in (fullname, "exercises"):
                return {"import": "missing", "error": f"no module {file} in the submission"}
            error, tb = self.describe(exc)
            return {"import": "failed", "error": error, "traceback": tb}
        except BaseException as exc:  # noqa: BLE001 - SystemExit and friends too
            error, tb = self.describe(exc)
            return {"import": "failed", "error": error, "traceback": tb}
        return {"import": "ok"}

    def probe_import(self, fullname: str, also) -> None:
        """Import ``fullname`` (and ``also``) in a process of its own, forked from this one,
        which never runs the submission's code: each call's process imports the modules
        again (``child``). Code that runs at import could otherwise patch the process calls
        are forked from (this file's functions, its mappings, its children), and calls would
        share whatever it kept. The import's process reports on the control pipe as the
        modules import (notes, then the answer, as ``do_import`` says); this one waits for
        its end and kills whatever it left. When it died before it answered, this process
        dies the same way (a module that kills its process at import kills the worker, as
        the grader expects)."""
        import signal

        names = [fullname] + ([m for m in also[:16] if type(m) is str and MODULE_NAME.match(m)]
                              if type(also) is list else [])
        tick_r, tick_w = os.pipe()
        workdir = self.new_workdir()
        pid = self.fork_retrying()
        if pid == 0:
            try:
                os.close(tick_r)
                self.setup_child(tick_w, workdir, None, pipes=(self.ctl_fd,))
                self.do_import(fullname, also)
                os.write(tick_w, b"d")
            finally:
                os._exit(0)
        os.close(tick_w)
        try:
            pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):  # pragma: no cover - old kernels
            pidfd = None
        # While the import runs: the modules compiled here for the calls' processes, and the
        # next call's process forked (it runs nothing before its go, given once the import's
        # process and all it left are gone).
        self.compile_ahead(names)
        import gc

        gc.freeze()  # the code compiled: no call's process walks (and copies) it when it collects
        self.prefork()
        answered, status = self.wait_probe(pid, pidfd, tick_r)
        os.close(tick_r)
        if status is None:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            self.kill_strays(exiting=pidfd)
        finally:
            if pidfd is not None:
                os.close(pidfd)
        self.reap(block=True)
        if workdir is not None:
            sys.modules["shutil"].rmtree(workdir, ignore_errors=True)
        if not answered and status is not None:
            if os.WIFSIGNALED(status):
                sig = os.WTERMSIG(status)
                try:
                    signal.signal(sig, signal.SIG_DFL)
                except (OSError, ValueError):
                    pass
                os.kill(os.getpid(), sig)
                os._exit(128 + sig)
            os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 0)

    @staticmethod
    def wait_probe(pid: int, pidfd, tick_r: int) -> tuple[bool, int | None]:
        """(whether the import's process said it answered, its wait status when it ended
        without saying so). No deadline here: the grader kills the worker when an import
        overstays its own."""
        import select

        watch = [tick_r] + ([pidfd] if pidfd is not None else [])
        while True:
            ready = select.select(watch, [], [], None if pidfd is not None else 0.05)[0]
            if tick_r in ready:
                if os.read(tick_r, 1) == b"d":
                    return True, None
                watch.remove(tick_r)  # closed: only its end can tell now
                if pidfd is None:
                    watch = []
            if pidfd is None or pidfd in ready:
                try:
                    done, status = os.waitpid(pid, 0 if pidfd is not None else os.WNOHANG)
                except ChildProcessError:
                    return False, 0
                if done:
                    return False, status

    def compile_ahead(self, names) -> None:
        """Compile the modules ``names`` (and the package) here, where no module runs: every
        process that imports them afterwards runs this code. A source that fails to compile
        is left to each import, which reports it."""
        for name in ["exercises", *names]:
            path = self.module_path(name)
            if path in self.codes:
                continue
            try:
                with open(path, "rb") as f:
                    data = f.read(64 << 20)
                self.codes[path] = compile(data, path, "exec", dont_inherit=True)
            except BaseException:  # noqa: BLE001 - SyntaxError, RecursionError, MemoryError...
                continue
        # The import system's folder caches, filled here: each process finds the modules
        # without listing the folders again.
        import importlib.machinery as machinery

        try:
            spec = machinery.PathFinder.find_spec("exercises")
            where = list(spec.submodule_search_locations or ()) if spec is not None else []
            for name in names:
                if where:
                    machinery.PathFinder.find_spec(name, where)
        except Exception:  # noqa: BLE001 - only a cache: each import finds its own way
            pass

    def module_path(self, name: str) -> str:
        rest = name.split(".")[1:]
        return os.path.join(self.root, "exercises", *rest[:-1],
                            (rest[-1] + ".py") if rest else "__init__.py")

    def load_fresh(self, fullname: str) -> dict | None:
        """In a call's process: run a module of the submission from the code compiled ahead
        (as the import system would, without its search: a third of the cost), after its
        package; the import system when there is no such code. None when it imported, else
        ``import_module``'s reply."""
        import importlib.machinery as machinery

        if fullname in sys.modules:
            return None
        parent, _, leaf = fullname.rpartition(".")
        if parent and parent not in sys.modules:
            failed = self.load_fresh(parent)
            if failed is not None:
                return failed
        path = self.module_path(fullname)
        code = self.codes.get(path)
        if code is None:
            reply = self.import_module(fullname)
            return None if reply["import"] == "ok" else reply
        module = type(sys)(fullname)
        spec = machinery.ModuleSpec(fullname, None, origin=path, is_package=not parent)
        spec.has_location = True
        if not parent:
            spec.submodule_search_locations = [os.path.dirname(path)]
            module.__path__ = spec.submodule_search_locations
        module.__spec__ = spec
        module.__file__ = path
        module.__package__ = parent or fullname
        sys.modules[fullname] = module
        try:
            exec(code, module.__dict__)
        except BaseException as exc:  # noqa: BLE001 - SystemExit and friends too
            sys.modules.pop(fullname, None)
            error, tb = self.describe(exc)
            return {"import": "failed", "error": error, "traceback": tb}
        if parent:
            try:
                setattr(sys.modules[parent], leaf, sys.modules.get(fullname, module))
            except BaseException:  # noqa: BLE001 - a package may refuse attributes
                pass
        return None

    def do_import(self, fullname: str, also=None) -> None:
        """In the import's own process: import ``fullname``; then, when that worked, the
        modules ``also`` (the rest of the submission, which the grader asks for at the first
        import: one request instead of one per module). Each module's import is noted
        (start, done, fail); what an ``also`` module prints is dropped and noted
        ("printed")."""
        self.output_left[0] = self.output_bytes
        self.notes = True
        try:
            reply = self.import_module(fullname)
        finally:
            self.notes = False
        if reply["import"] == "ok" and type(also) is list:
            for other in also[:16]:
                if type(other) is str and MODULE_NAME.match(other):
                    self.import_ahead(other)
        self.ctl(reply)

    def import_ahead(self, fullname: str) -> None:
        """One ``also`` module of ``do_import``."""
        if fullname in sys.modules or fullname in self.poison:
            return
        self.output_left[0], asked = 0, self.output_left[1]
        self.notes = True
        try:
            self.import_module(fullname)  # a failure is noted by the loader ("fail")
        finally:
            self.notes = False
            self.output_left[0] = self.output_bytes
        if self.output_left[1] != asked:
            self.ctl({"note": "printed", "module": fullname})

    @staticmethod
    def _identity_of(pid: str):
        """((pid, start time), state) of a process, (None, None) when it has gone: a pid may
        be reused, the pair is not."""
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            return (pid, fields[19]), fields[0]
        except (OSError, IndexError):
            return None, None

    def _dying(self, ident) -> bool:
        """True while the process ``ident`` is still exiting (not yet a zombie, not gone)."""
        now, state = self._identity_of(ident[0])
        return now == ident and state not in (b"Z", b"X")

    def kill_strays(self, then=None, exiting=None) -> None:
        """Kill every process of the submission but this one and the next call's (which
        has run no student code). Killed means SIGKILL delivered, not gone: such a process
        never runs another instruction of its own, and cannot fork (the kernel fails a fork
        whose parent has a fatal signal pending), so nobody waits for its memory to be freed.
        ``then()`` runs once every process is killed, before the wait for them to be gone
        (with a pid namespace; without one, after)."""
        import select
        import signal

        me = os.getpid()
        keep = {me, 1}
        if self.spare is not None:
            keep.add(self.spare[0])
        if self.zygote is not None:
            keep.add(self.zygote)
        if self.kill_all:
            if self.spare is None and self.zygote is None:
                # As an unprivileged uid alone in our own pid namespace: kill(-1) reaches every
                # process of the submission but this one (and pid 1, bubblewrap's).
                try:
                    os.kill(-1, signal.SIGKILL)
                except ProcessLookupError:  # no process to signal, not even a zombie
                    if then is not None:
                        then()
                    self.libc.remove_ipc()
                    return
                except OSError:
                    pass
            # A scan of our pid namespace's /proc: every process not killed yet is killed,
            # until a scan finds none. A process started after a scan has a parent that was
            # alive and unkilled at that scan, so the next one finds that parent.
            killed: set = set()
            for _ in range(1000):
                fresh = []
                for name in os.listdir("/proc"):
                    if name.isdigit() and int(name) not in keep:
                        ident = self._identity_of(name)[0]
                        if ident is not None and ident not in killed:
                            fresh.append(ident)
                if not fresh:
                    break
                for ident in fresh:
                    killed.add(ident)
                    try:
                        os.kill(int(ident[0]), signal.SIGKILL)
                    except OSError:
                        pass
                self.reap(block=False)
            if then is not None:
                then()
            # Killed is not gone: until its exit has closed its files, a dying process still
            # holds its sockets (an abstract unix socket needs no file) and its name shows in
            # /proc, where the next call could read them. Wait until each is a zombie or gone:
            # for the call's process (``exiting``, its pidfd, readable once it has exited),
            # without polling; then every process killed is checked as before.
            if exiting is not None:
                try:
                    select.select([exiting], [], [], 1.0)
                except (OSError, ValueError):
                    pass
            for _ in range(50000):
                self.reap(block=False)
                if not any(self._dying(ident) for ident in killed):
                    break
                time.sleep(0.0001)
            self.libc.remove_ipc()
            return
        # rlimits: we are a child subreaper, so every orphan of a call becomes our child.
        for _ in range(100):
            kids = self._children(keep)
            if not kids:
                break
            for pid in kids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            for pid in kids:
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass
        if then is not None:
            then()

    @staticmethod
    def _children(keep: set) -> list[int]:
        """Our living and zombie children but those in ``keep`` (none when /proc fails)."""
        me = os.getpid()
        try:
            with open(f"/proc/{me}/task/{me}/children") as f:
                return [pid for pid in map(int, f.read().split()) if pid not in keep]
        except (OSError, ValueError):
            return []

    def reap(self, block: bool) -> None:
        """Collect our children that have ended (all of them but the spare when ``block``)."""
        spare = {p[0] for p in (self.spare, self.ready) if p is not None}
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                if not block:
                    return
                kids = self._children(spare)
                if not kids:
                    return
                try:
                    os.waitpid(kids[0], 0)
                except ChildProcessError:
                    pass

    # -- calls (each request in a fresh child) ----------------------------------------------------
    #
    # The process of the next call is forked as soon as the snapshot is clean (after the last
    # call's processes are gone, after an import): it sets itself up and reads the next
    # request from the grader itself, so a call costs the grader one hand-over, not two. Before
    # any student code runs it tells the snapshot, on its tick pipe, the request's size and
    # time limits (a fixed-size message: only trusted code wrote it); from then on every byte
    # on that pipe is a tick. A request that is not a call it passes to the snapshot whole,
    # and exits.

    def new_workdir(self):
        """rlimits: a fresh folder for the next process (None with a sandbox of its own)."""
        if self.workdir is None:
            return None
        self.calls += 1
        workdir = os.path.join(self.workdir, f"c{self.calls}")
        os.mkdir(workdir, 0o700)
        return workdir

    def fork_retrying(self) -> int:
        for attempt in range(400):
            try:
                return self.libc.fork()
            except OSError:
                # Out of processes for a moment (RLIMIT_NPROC counts every process of this
                # uid, and the last call's are still being reaped): wait a little.
                time.sleep(0.005)
        os._exit(0)  # the grader starts a new worker

    def prefork(self) -> None:
        tick_r, tick_w = os.pipe()
        go_r, go_w = os.pipe()
        workdir = self.new_workdir()
        pid = self.fork_retrying()
        if pid == 0:
            try:
                os.close(tick_r)
                os.close(go_w)
                self.spare_main(tick_w, go_r, workdir)
            finally:
                os._exit(71)
        os.close(tick_w)
        os.close(go_r)
        self.spare = (pid, tick_r, workdir, go_w)

    def release_spare(self) -> None:
        """The spare becomes the process that reads the grader's next request: nothing else
        reads that pipe now."""
        pid, tick_r, workdir, go_w = self.spare
        self.spare = None
        try:
            os.write(go_w, b"g")
        except OSError:
            pass  # it has died: serve() sees its tick pipe close
        os.close(go_w)
        self.ready = (pid, tick_r, workdir)

    def drop_spare(self) -> None:
        """Kill the spare (before an import: the next call's process is forked after the
        modules are compiled) and collect it."""
        import signal

        if self.spare is None:
            return
        pid, tick_r, workdir, go_w = self.spare
        self.spare = None
        for fd in (tick_r, go_w):
            os.close(fd)
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (OSError, ChildProcessError):
            pass
        if workdir is not None:
            sys.modules["shutil"].rmtree(workdir, ignore_errors=True)

    def spare_main(self, tick_w: int, go_r: int, workdir) -> None:
        """The next call's process: set up, then wait for the grader's request. It may be
        forked while the last call still runs (that process has the request pipe too, for
        its callbacks' answers), so it reads the pipe only once the snapshot says go."""
        self.setup_child(tick_w, workdir, go_r)
        try:
            if os.read(go_r, 1) != b"g":
                os._exit(0)
        except OSError:
            os._exit(0)
        os.close(go_r)
        while True:
            try:
                view, hlen = self.read_raw(self.req_fd)
                control = decode_header(view[:hlen])[0]
            except (EOFError, OSError, WireError):
                os._exit(0)  # the grader has gone (or broke the protocol): so does the snapshot
            op = control.get("op")
            if op == "cb":
                continue  # an answer to a callback whose call was over: nobody waits for it
            if op != "call":
                _write_all(tick_w, [b"F", PREFIX.pack(MAGIC, hlen, len(view) - hlen), view])
                os._exit(0)
            calls = control["calls"]
            os.write(tick_w, _START.pack(b"S", len(calls), float(control["deadline"]),
                                         float(control["total"])))
            _, values = decode(view[:hlen], view[hlen:], callback=self.make_proxy, copy=True)
            del view
            imports = control.get("imports")
            imports = [m for m in imports[:64] if type(m) is str and MODULE_NAME.match(m)] \
                if type(imports) is list else []
            self.child(calls, values, control.get("helpers") or [], tick_w, imports)

    def read_raw(self, fd: int):
        """One whole frame from ``fd``, undecoded: (bytes, header length)."""
        hlen, blen = parse_prefix(bytes(_read_exact(fd, PREFIX.size)), max_body=1 << 40)
        return memoryview(_read_exact(fd, hlen + blen)), hlen

    def reap_ready(self) -> None:
        pid, tick_r, workdir = self.ready
        self.ready = None
        os.close(tick_r)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        if workdir is not None:
            sys.modules["shutil"].rmtree(workdir, ignore_errors=True)

    def serve(self) -> None:
        self.ctl({"note": "hello", "pid": os.getpid()})
        self.prefork()
        self.release_spare()
        while True:
            if self.spare is None:
                self.prefork()  # while the ready process runs the next call
            tick_r = self.ready[1]
            try:
                kind = os.read(tick_r, 1)
                if kind == b"S":
                    n, deadline, total = _START.unpack(b"S" + bytes(
                        _read_exact(tick_r, _START.size - 1)))[1:]
                    self.do_call(n, deadline, total)
                    continue
                if kind != b"F":
                    raise EOFError
                view, hlen = self.read_raw(tick_r)
                control = decode_header(view[:hlen])[0]
            except (EOFError, OSError, WireError, struct.error):
                os._exit(0)  # the grader closed the pipe: the spare has gone too
            self.reap_ready()
            self.drop_spare()
            if control.get("op") == "import":
                self.probe_import(control["module"], control.get("also"))
                if self.spare is None:
                    self.prefork()
                self.release_spare()
            else:
                os._exit(0)

    def do_call(self, n: int, deadline: float, total: float) -> None:
        """Watch the spare run a request of ``n`` calls: deadlines, ticks, its end."""
        import select
        import signal

        start = time.monotonic()
        pid, tick_r, workdir = self.ready
        self.ready = None
        end_all = start + total
        end_call = min(start + deadline, end_all)
        ticks = 0
        try:
            pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):  # pragma: no cover - old kernels
            pidfd = None
        watch = [fd for fd in (pidfd, tick_r) if fd is not None]
        outcome = None
        while outcome is None:
            left = end_call - time.monotonic()
            if left <= 0:
                try:
                    os.kill(pid, signal.SIGKILL)  # collected with the strays, below
                except OSError:
                    pass
                outcome = {"end": "timeout", "call": ticks}
                break
            ready = select.select(watch, [], [], min(left, 0.05) if pidfd is None else left)[0]
            if tick_r in ready:
                got = os.read(tick_r, 64)
                if not got:
                    watch.remove(tick_r)
                for _ in got:
                    if ticks < n - 1:  # a forged tick can move on, never beyond the batch
                        ticks += 1
                        end_call = min(time.monotonic() + deadline, end_all)
                    else:
                        # The n-th tick: every answer was sent (or the student's code forged
                        # it, and ends its own request early). The process is killed now (it
                        # has no more to say) and collected with the strays, below.
                        outcome = {"end": "exit", "code": 0}
                if outcome is not None:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                    break
            if pidfd is None or pidfd in ready:
                done, status = os.waitpid(pid, 0 if pidfd is not None else os.WNOHANG)
                if done:
                    if os.WIFSIGNALED(status):
                        outcome = {"end": "signal", "signal": os.WTERMSIG(status)}
                    else:
                        outcome = {"end": "exit", "code": os.WEXITSTATUS(status)}
        os.close(tick_r)
        # The grader hears the outcome as soon as every process of the call has a SIGKILL
        # pending (none can read its next request), and sends that request while they exit;
        # the next call's process reads it only after go (release_spare), once they are gone.
        try:
            self.kill_strays(then=lambda: self.ctl(outcome), exiting=pidfd)
        finally:
            if pidfd is not None:
                os.close(pidfd)
        if workdir is not None:
            sys.modules["shutil"].rmtree(workdir, ignore_errors=True)
        self.release_spare()
        self.reap(block=True)

    def setup_child(self, tick_w: int, workdir, go_r, pipes=None) -> None:
        """In a call's process, before its request (or an import's, with ``pipes``): only
        our pipes and the boot-time stdin/stdout/stderr stay open; shared mappings become
        private."""
        os.dup2(self.null_keep, 0)
        os.dup2(self.out_keep, 1)
        os.dup2(self.out_keep, 2)
        pipes = (self.req_fd, self.resp_fd) if pipes is None else pipes
        keep = sorted({0, 1, 2, tick_w, *pipes} | ({go_r} if go_r is not None else set()))
        for lo, hi in zip(keep, keep[1:] + [1 << 20]):
            if hi > lo + 1:
                os.closerange(lo + 1, hi)
        for start, end, perms in self.shared:
            if not self.libc.make_private(start, end, perms):
                os._exit(72)
        if not self.kill_all:
            self.libc.prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
        if workdir is not None:
            os.chdir(workdir)
            os.environ["TMPDIR"] = workdir
            sys.modules["tempfile"].tempdir = workdir

    def child(self, calls, values, helpers, tick_w, imports=()) -> None:
        self.in_child = True
        # The modules the grader has seen import, in their order, imported afresh in this
        # process (from the code compiled ahead): nothing of another process's imports is
        # here. What they print at import is not this call's output.
        self.output_left[0] = 0
        for name in imports:
            if name not in sys.modules and name not in self.import_replies:
                reply = self.load_fresh(name)
                if reply is not None:
                    self.import_replies[name] = reply
        self.output_left[0] = self.output_bytes
        for name, token in helpers:
            self.substitute(name, token)
        for i, (module, function, return_args) in enumerate(calls):
            if i:
                os.write(tick_w, b"t")
            control, reply = self.run(module, function, values[f"a{i}"], return_args)
            _write_all(self.resp_fd, self.reply_frame(control, reply))
            del control, reply
        os.write(tick_w, b"t")  # all answered: the snapshot ends this process
        os._exit(0)

    def substitute(self, name: str, token: str) -> None:
        """Replace the student's own function ``name`` wherever a module refers to it: module
        attributes, and (bounded) inside module-level dicts, lists and tuples."""
        proxy = _proxy(token, name)
        self.proxies[id(proxy)] = (proxy, token)
        modules = []
        for key, m in list(sys.modules.items()):
            if (key == "exercises" or key.startswith("exercises.")) and m is not None:
                d = getattr(m, "__dict__", None)
                if type(d) is dict:
                    modules.append((key, d))
        originals = {}
        for key, d in modules:
            obj = d.get(name)
            if obj is not None and callable(obj) and getattr(obj, "__module__", None) == key:
                originals[id(obj)] = obj
        if not originals:
            return

        def swap(v, depth):
            """``v`` with the originals replaced, in place for dicts and lists."""
            if id(v) in originals:
                return proxy
            t = type(v)
            if depth == 0 or t not in (dict, list, tuple):
                return v
            if t is dict:
                for k, x in list(v.items())[:_MAX_SWAP]:
                    y = swap(x, depth - 1)
                    if y is not x:
                        v[k] = y
                return v
            items = [swap(x, depth - 1) for x in v[:_MAX_SWAP]]
            if t is list:
                for i, y in enumerate(items):
                    if y is not v[i]:
                        v[i] = y
                return v
            if any(y is not x for x, y in zip(v, items)):
                return tuple(items) + v[_MAX_SWAP:]
            return v

        for _, d in modules:
            for k, v in list(d.items()):
                y = swap(v, 3)  # a module attribute, and up to 3 levels of dict/list/tuple
                if y is not v:
                    d[k] = y

    def run(self, fullname: str, fname: str, args, return_args: bool):
        """Run one call; return the reply's (control, values)."""
        file = self.module_file(fullname)
        module = sys.modules.get(fullname)
        if module is None:
            reply = self.import_replies.get(fullname) or self.import_module(fullname)
            if reply["import"] != "ok":
                status = "missing" if reply["import"] == "missing" else "import"
                return {"status": status, "error": reply["error"],
                        "traceback": reply.get("traceback", "")}, None
            module = sys.modules.get(fullname)
        try:
            func = getattr(module, fname, None)
        except BaseException:  # noqa: BLE001 - a module __getattr__ may raise
            func = None
        if not callable(func):
            return {"status": "missing", "error": f"no function {fname} in {file}"}, None
        start, cpu = time.perf_counter(), time.process_time()
        with warnings.catch_warnings(record=True) as caught:
            # "default": once per code location, so a warning in a loop records one entry.
            warnings.simplefilter("default")
            try:
                value = func(*args)
            except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt too
                seconds = time.perf_counter() - start
                error, tb = self.describe(exc)
                return {"status": "exception", "error": error, "traceback": tb,
                        "seconds": seconds, "cpu": time.process_time() - cpu}, None
            seconds = time.perf_counter() - start
            cpu = time.process_time() - cpu
            lines = self.warning_lines(caught)
        # The decoder built fresh lists/dicts/arrays, so args now shows any mutation.
        reply = {"value": value}
        if return_args:
            reply["args"] = args
        return {"status": "ok", "seconds": seconds, "cpu": cpu, "warnings": lines}, reply

    def reply_frame(self, control, reply) -> list:
        try:
            return encode(control, reply, max_bytes=self.max_result_bytes,
                          token_of=self.token_of)
        except WireError as exc:
            what = str(exc)
            if reply and "args" in reply:
                try:
                    encode({}, {"value": reply["value"]}, max_bytes=self.max_result_bytes)
                    what = ("an argument was changed into something that cannot be "
                            "sent back: " + what)
                except WireError:
                    pass
            return encode({"status": "protocol", "error": what,
                           "seconds": control.get("seconds", 0.0)})
        except BaseException as exc:  # noqa: BLE001 - e.g. RecursionError, MemoryError
            return encode({"status": "protocol",
                           "error": f"the result could not be sent ({type(exc).__name__})"})

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


def main(config: dict) -> None:
    import gc
    import signal

    global _WORKER
    # A file bigger than RLIMIT_FSIZE fails with an error instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    libc = _Libc()
    if not config["kill_all"]:
        # Without a pid namespace: keep orphaned grandchildren as our descendants, so we
        # can find and kill them, and die with the host.
        libc.prctl(36, 1)  # PR_SET_CHILD_SUBREAPER
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    libc.prctl(4, 0)  # PR_SET_DUMPABLE 0: a call's process cannot ptrace or read this one
    libc.forbid_shared_state()  # no key rings, no setting another process's attributes
    if config.get("zygote_fd") is not None:
        zygote_main(config, libc)
    else:
        run_worker(config, libc)


def run_worker(config: dict, libc: _Libc) -> None:
    import gc

    global _WORKER
    worker = _WORKER = _Worker(config, libc)
    if worker.workdir is not None:
        import shutil  # noqa: F401 - for the folders of each call
        import tempfile  # noqa: F401 - a call's temporary files go to its own folder
    sys.stdout = sys.__stdout__ = _CappedText(1, worker.output_left)
    sys.stderr = sys.__stderr__ = _CappedText(2, worker.output_left)
    worker.install_finder()
    os.chdir(config["cwd"])
    worker.shared = _shared_mappings()  # none expected: a worker maps nothing shared
    gc.collect()
    gc.freeze()
    worker.serve()


# -- a zygote: one sandbox, one worker after another (``grade-all``) -----------------------------
#
# A process that grades a class launches one sandbox and boots the interpreter and numpy in it
# once: this process, which never imports student code, never reads anything a worker or a
# call wrote, and only forks. Its grader sends it, on a socket no other process holds:
#   b"fork" + the worker's configuration, with its four pipes (SCM_RIGHTS): a child becomes a
#       worker as if launched (``run_worker``); the answer is b"pid N", or b"busy" while any
#       other process of the sandbox is alive (one worker at a time, after a reset);
#   b"reset": every other process of the sandbox is killed and gone, System V IPC removed;
#       the answer is b"clean" (the grader then puts the next submission in the folder bound);
#   b"status N": the exit status of worker N once it has ended (b"status -", not yet).
# Student code can signal this process (same uid): killed or stopped, it answers nothing, and
# the grader kills the whole sandbox and launches another. It cannot ptrace or read it
# (not dumpable), nor set its limits or priority (the seccomp filter).


def zygote_main(config: dict, libc: _Libc) -> None:
    import gc
    import socket

    sock = socket.socket(fileno=config["zygote_fd"])
    os.chdir(config["cwd"])
    gc.collect()
    gc.freeze()
    statuses: dict[int, int] = {}
    me = os.getpid()
    sock.sendall(b"ready")
    while True:
        try:
            message, fds, _flags, _addr = socket.recv_fds(sock, 1 << 20, 4)
        except OSError:
            os._exit(0)
        if not message:
            os._exit(0)  # the grader has gone
        if message.startswith(b"fork") and len(fds) == 4 and _zygote_alone(me):
            worker_config = dict(config, **json.loads(message[4:]))
            worker_config.pop("zygote_fd", None)
            pid = libc.fork()
            if pid == 0:
                try:
                    sock.close()
                    # Nothing a worker writes may reach the zygote, hence the next worker.
                    for start, end, perms in _shared_mappings():
                        if not libc.make_private(start, end, perms):
                            os._exit(72)
                    req_r, resp_w, ctl_w, out_w = fds
                    os.dup2(out_w, 1)
                    os.dup2(out_w, 2)
                    os.close(out_w)
                    worker_config.update(req_fd=req_r, resp_fd=resp_w, ctl_fd=ctl_w, zygote=me)
                    # What Python shows of its arguments is what a launched worker's shows.
                    sys.argv[1:] = [json.dumps(worker_config)]
                    main_module = sys.modules.get("__main__")
                    if main_module is not None and hasattr(main_module, "_CONFIG"):
                        main_module._CONFIG = worker_config
                    run_worker(worker_config, libc)
                finally:
                    os._exit(70)
            for fd in fds:
                os.close(fd)
            sock.sendall(b"pid %d" % pid)
        elif message == b"reset":
            for fd in fds:
                os.close(fd)
            sock.sendall(b"clean" if _zygote_reset(libc, me, statuses) else b"dirty")
        elif message.startswith(b"status "):
            _zygote_reap(statuses)
            got = statuses.get(int(message[7:]) if message[7:].isdigit() else -1)
            sock.sendall(b"status -" if got is None else b"status %d" % got)
        elif message.startswith(b"fork"):  # a worker is still alive (or no pipes came)
            for fd in fds:
                os.close(fd)
            sock.sendall(b"busy")
        else:
            os._exit(0)  # only the grader writes here: anything else is a bug


def _shared_mappings() -> list:
    """(start, end, permissions) of each shared mapping of this process."""
    shared = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                fields = line.split(None, 5)
                if len(fields) >= 2 and fields[1][3:4] == "s":
                    lo, hi = fields[0].split("-")
                    shared.append((int(lo, 16), int(hi, 16), fields[1]))
    except (OSError, ValueError):
        pass
    return shared


def _zygote_reap(statuses: dict) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        statuses[pid] = os.waitstatus_to_exitcode(status)
        if len(statuses) > 64:
            statuses.pop(next(iter(statuses)))


def _zygote_alone(me: int) -> bool:
    """No process of the sandbox is alive but this one and pid 1 (one worker at a time)."""
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) not in (me, 1):
            state = _Worker._identity_of(name)[1]
            if state is not None and state not in (b"Z", b"X"):
                return False
    return True


def _zygote_reset(libc: _Libc, me: int, statuses: dict) -> bool:
    """Kill every process of the sandbox but this one (and pid 1, bubblewrap's), until a scan
    of /proc finds none alive, then wait until each is gone or a zombie, and remove System V
    IPC. A process started after a scan has a parent that was alive at that scan (killed
    then), and a process with a fatal signal pending cannot fork: the next scan finds it.
    False when some process was still alive after a thousand scans (the grader then kills
    the whole sandbox)."""
    import signal

    alive = True
    for _ in range(1000):
        try:
            os.kill(-1, signal.SIGKILL)  # as the sandbox's uid: every process but this one
        except OSError:
            pass
        _zygote_reap(statuses)
        alive = not _zygote_alone(me)
        if not alive:
            break
        time.sleep(0.0005)
    _zygote_reap(statuses)
    libc.remove_ipc()
    return not alive


if __name__ == "__main__":
    main(_CONFIG)
