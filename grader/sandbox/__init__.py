"""Run student code in an isolated worker process.

``worker.py`` is the only code that runs inside the sandbox (stdlib + numpy, nothing from
``grader``) and defines the wire format; ``host.py`` is the trusted side that starts it.
"""

from grader.sandbox.host import (
    CallResult,
    Limits,
    Sandbox,
    SandboxUnavailable,
    WorkerFunction,
    sandbox_available,
)

__all__ = ["CallResult", "Limits", "Sandbox", "SandboxUnavailable", "WorkerFunction",
           "sandbox_available"]
