"""Process I/O: one running worker, its four pipes, its frames, and killing all of it.

Pipes: ``req`` (grader -> worker: requests and callback answers), ``resp`` (a call's process ->
grader: answers and callback requests), ``ctl`` (the worker itself -> grader: hello, import
notes, how a call's process ended; no call's process holds it) and ``out`` (everything printed).
Frames are read as they arrive, each size checked from its prefix before a byte of it is
stored; nothing is kept beyond the frame being read.
"""
from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from pathlib import Path

from grader.limits import Limits
from grader.sandbox import worker as _wire
from grader.sandbox.launch import Launcher, Started, pidfd
from grader.sandbox.worker import WireError

PREFIX_SIZE = _wire.PREFIX.size
CTL_HEADER = 64 << 10  # the worker's own messages are small


class Timeout(Exception):
    pass


class Died(Exception):
    pass


class Output:
    """What the student printed during one call, capped; the rest is read and dropped."""

    def __init__(self, cap: int):
        self.cap = cap
        self.data = bytearray()

    def feed(self, chunk: bytes) -> None:
        room = self.cap - len(self.data)
        if room > 0:
            self.data += chunk[:room]

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


class _Stream:
    """Frames arriving on one pipe: a bounded prefix, then exactly the announced bytes."""

    def __init__(self, fd: int, max_header: int):
        self.fd = fd
        self.max_header = max_header
        self.max_body = 0
        self.prefix = bytearray()
        self.data: bytearray | None = None
        self.got = 0
        self.hlen = 0
        self.eof = False

    def idle(self) -> bool:
        return not self.prefix and self.data is None

    def feed(self) -> tuple | None:
        """Read what is waiting (never blocks); a complete (header, body) or None."""
        while True:
            chunk = b""
            try:
                if self.data is None:
                    chunk = os.read(self.fd, PREFIX_SIZE - len(self.prefix))
                    n = len(chunk)
                else:
                    n = os.readv(self.fd, [memoryview(self.data)[self.got:]])
            except BlockingIOError:
                return None
            except OSError:
                n = 0
            if n == 0:
                self.eof = True
                return None
            if self.data is None:
                self.prefix += chunk
                if len(self.prefix) < PREFIX_SIZE:
                    continue
                hlen, blen = _wire.parse_prefix(bytes(self.prefix), max_body=self.max_body,
                                                max_header=self.max_header)
                self.prefix.clear()
                if hlen == 0:
                    raise WireError("the worker sent a frame without a header")
                self.hlen, self.got = hlen, 0
                self.data = bytearray(hlen + blen)
                continue
            self.got += n
            if self.got == len(self.data):
                data, self.data = self.data, None
                view = memoryview(data)
                return view[:self.hlen], view[self.hlen:]


class WorkerProcess:
    """One running worker. Not thread-safe."""

    def __init__(self, launcher: Launcher, limits: Limits, poison: dict,
                 started: Started | None = None):
        """The worker ``started`` already (by ``Started``), else one started now."""
        self.launcher = launcher
        self.limits = limits
        self.owed: float | None = None  # deadline of an end still to take (machine.settle)
        self.hello = False
        self.dead = False
        started = started or launcher.start(limits, poison)
        self.proc = started.proc
        self.req_w, self.resp_r, self.ctl_r, self.out_r = (
            started.req_w, started.resp_r, started.ctl_r, started.out_r)
        self.pidfd = pidfd(self.proc.pid)
        for fd in (self.req_w, self.resp_r, self.ctl_r, self.out_r):
            os.set_blocking(fd, False)
        self.resp = _Stream(self.resp_r, max(1 << 20, min(_wire.MAX_HEADER_BYTES,
                                                          limits.max_result_bytes // 4)))
        self.resp.max_body = limits.max_result_bytes
        self.ctl = _Stream(self.ctl_r, CTL_HEADER)
        self.poll = select.poll()
        for fd in (self.resp_r, self.ctl_r, self.out_r):
            self.poll.register(fd, select.POLLIN)
        if self.pidfd is not None:
            self.poll.register(self.pidfd, select.POLLIN)
        self.out_open = True

    # -- output ---------------------------------------------------------------------------------
    def drain(self, sink: Output | None, limit: int = 1 << 20) -> None:
        """Read what is waiting on the student's stdout/stderr pipe (without blocking)."""
        got = 0
        while self.out_open and got < limit:
            try:
                chunk = os.read(self.out_r, 1 << 16)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self.out_open = False
                self.poll.unregister(self.out_r)
                return
            got += len(chunk)
            if sink is not None:
                sink.feed(chunk)

    # -- frames ---------------------------------------------------------------------------------
    def next_frame(self, deadline: float, sink: Output):
        """The next frame from the worker, as ("resp" | "ctl", control, values).

        Values are decoded by the caller (``decode``), which knows what it may contain.
        Raises Timeout at the deadline, Died when the worker is gone, WireError for bytes
        that are not a frame within the limits.
        """
        while True:
            for name, stream in (("ctl", self.ctl), ("resp", self.resp)):
                frame = stream.feed()
                if frame is not None:
                    return name, frame
            if self.ctl.eof or (self.dead and self.resp.eof):
                raise Died
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Timeout
            for fd, _event in self.poll.poll(max(1, int(remaining * 1000 + 0.999))):
                if fd == self.out_r:
                    self.drain(sink)
                elif fd == self.pidfd:
                    self.dead = True
                    self.poll.unregister(self.pidfd)
            if self.pidfd is None and self.proc.poll() is not None:
                self.dead = True

    def pending_resp(self):
        """A frame already waiting on the response pipe (after a call's process ended)."""
        return self.resp.feed()

    def write(self, chunks: list, deadline: float, sink: Output) -> None:
        try:
            done = os.writev(self.req_w, chunks) if len(chunks) < 512 else 0
        except BlockingIOError:
            done = 0
        except OSError:  # BrokenPipeError: the worker is gone
            raise Died from None
        if done == sum(map(len, chunks)):
            return
        view = memoryview(b"".join(chunks))[done:]
        wpoll = select.poll()
        wpoll.register(self.req_w, select.POLLOUT)
        if self.out_open:
            wpoll.register(self.out_r, select.POLLIN)
        while view:
            try:
                view = view[os.write(self.req_w, view):]
                continue
            except BlockingIOError:
                pass
            except OSError:
                raise Died from None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Timeout
            for fd, _ in wpoll.poll(max(1, int(remaining * 1000 + 0.999))):
                if fd == self.out_r:
                    self.drain(sink)
                    if not self.out_open:
                        wpoll.unregister(self.out_r)
            if self.proc.poll() is not None:
                raise Died

    def on_hello(self) -> None:
        self.hello = True
        self.launcher.on_hello(self.proc)

    # -- ending ---------------------------------------------------------------------------------
    def exit_description(self) -> str:
        try:
            rc = self.proc.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            return "it closed its connection to the grader"
        return describe_exit(self.launcher.exit_code(rc))

    def kill(self) -> None:
        """Kill every process of this worker and wait until none is left."""
        try:
            self.launcher.kill(self.proc)
        finally:
            for name in ("req_w", "resp_r", "ctl_r", "out_r", "pidfd"):
                fd = getattr(self, name)
                if fd is not None:
                    try:
                        os.close(fd)
                    except OSError:
                        pass
                    setattr(self, name, None)


def describe_exit(rc: int) -> str:
    if rc < 0:
        try:
            name = signal.Signals(-rc).name
        except ValueError:
            name = "?"
        return f"signal {-rc}, {name}"
    return f"exit code {rc}"


def decode(frame, callback=None):
    header, body = frame
    return _wire.decode(header, body, callback=callback)
