"""Landlock (Linux ≥ 5.13): an unprivileged process restricts its own file access for good.

Run as a script, this file is the first thing the worker of the ``user`` isolation mode
executes (as its unprivileged uid, after ``setpriv --no-new-privs``)::

    python -I -S landlock.py RULES_JSON worker.py CONFIG

It restricts itself to ``RULES_JSON`` ({"read": [...], "write": [...], "files": [...]}): read
and execute beneath ``read``, everything beneath ``write`` (the sandbox's own folder), read and
write of the single ``files`` (/dev/null…); no TCP bind or connect (ABI 4), no signals or
abstract sockets beyond its own domain (ABI 6). Then it runs ``worker.py`` as ``__main__``.
Every child inherits the restriction; nothing can lift it. When the kernel has no Landlock
(or a seccomp filter forbids it) the script exits 97 if ``"required"`` is set, else runs the
worker unrestricted. Standard library only: it runs before numpy is importable.
"""
from __future__ import annotations

import ctypes
import json
import os
import sys

SYS_CREATE, SYS_ADD_RULE, SYS_RESTRICT = 444, 445, 446  # the same on every architecture
RULE_PATH_BENEATH = 1
CREATE_RULESET_VERSION = 1

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
READ = EXECUTE | READ_FILE | READ_DIR
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1
MISSING = 97


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def abi() -> int:
    """Landlock's ABI version here, 0 when unavailable (no kernel support, or seccomp)."""
    try:
        version = _libc().syscall(SYS_CREATE, None, ctypes.c_size_t(0),
                                  ctypes.c_uint32(CREATE_RULESET_VERSION))
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return 0
    return max(int(version), 0)


def handled_fs(version: int) -> int:
    mask = (1 << 13) - 1  # ABI 1: execute … make_sym
    if version >= 2:
        mask |= REFER
    if version >= 3:
        mask |= TRUNCATE
    if version >= 5:
        mask |= IOCTL_DEV
    return mask


def restrict(rules: dict) -> int:
    """Apply ``rules`` to this process and its future children; the ABI used (0: not done)."""
    version = abi()
    if version < 1:
        return 0
    libc = _libc()
    fs = handled_fs(version)
    attr = [fs]
    if version >= 4:
        attr.append(NET_BIND_TCP | NET_CONNECT_TCP)
    if version >= 6:
        attr.append(SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL)
    buf = (ctypes.c_uint64 * len(attr))(*attr)
    ruleset = libc.syscall(SYS_CREATE, ctypes.byref(buf), ctypes.c_size_t(ctypes.sizeof(buf)),
                           ctypes.c_uint32(0))
    if ruleset < 0:
        return 0
    file_rights = (READ_FILE | WRITE_FILE | TRUNCATE | IOCTL_DEV) & fs
    for key, rights in (("read", READ), ("write", fs), ("files", file_rights)):
        for path in rules.get(key, ()):
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # a folder this system lacks
            allowed = rights if key != "read" or os.path.isdir(path) else rights & ~READ_DIR
            rule = _PathBeneath(allowed, fd)
            done = libc.syscall(SYS_ADD_RULE, ctypes.c_int(ruleset),
                                ctypes.c_int(RULE_PATH_BENEATH), ctypes.byref(rule),
                                ctypes.c_uint32(0))
            os.close(fd)
            if done < 0:
                os.close(ruleset)
                return 0
    ok = libc.syscall(SYS_RESTRICT, ctypes.c_int(ruleset), ctypes.c_uint32(0)) == 0
    os.close(ruleset)
    return version if ok else 0


def _main() -> None:
    rules = json.loads(sys.argv[1])
    if not restrict(rules) and rules.get("required"):
        os.write(2, b"landlock: not available here\n")
        os._exit(MISSING)
    sys.argv = sys.argv[2:]
    import runpy

    runpy.run_path(sys.argv[0], run_name="__main__")


if __name__ == "__main__":
    _main()
