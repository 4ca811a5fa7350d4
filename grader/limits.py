"""Every limit on a student's code, declared once (pure data: imports nothing of the grader).

With the defaults the grader's own wall time stays under 60 s for any submission: boot
(``start_timeout``, not charged to the student) aside, imports and calls together stop at
``budget``, and a call's deadline is min(``call_timeout``, what is left of its exercise's
``exercise_budget``, what is left of ``budget``).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    call_timeout: float = 3.0  # wall-clock seconds per call of a student function
    import_timeout: float = 3.0  # wall-clock seconds to import one module (and what it imports)
    exercise_budget: float = 4.0  # seconds of calls per budget key (exercise); then "skipped"
    budget: float = 40.0  # seconds of imports and calls for the whole submission (with staging
    # and start-up, a submission that sleeps everywhere still ends well inside 60 s)
    start_timeout: float = 30.0  # for a new worker to boot (numpy import); nobody's fault
    memory_bytes: int = 1 << 30  # RLIMIT_AS of the worker and of each call's process
    max_result_bytes: int = 8 << 20  # array bytes of one answer (or callback); more: "protocol"
    max_callbacks: int = 200_000  # callback frames (helpers, Callback arguments) per request
    output_bytes: int = 64 << 10  # what a call prints beyond this is discarded silently
    cpu_seconds: int = 60  # RLIMIT_CPU of every process of the worker
    file_bytes: int = 16 << 20  # RLIMIT_FSIZE: the largest file the worker may write
    processes: int = 256  # RLIMIT_NPROC for uid nobody (bubblewrap)
    max_restarts: int = 20  # worker restarts (after a protocol error, a hung import, ...)
