"""Run student code in an isolated worker process, each call in a fresh process.

``worker.py`` is the only code that runs inside the sandbox (stdlib + numpy, nothing from
``grader``) and defines the wire format. The trusted side, along its seams:
``plan`` (what the sandbox sees), ``launch`` (one launcher per isolation mode), ``process``
(pipes, frames, killing), ``machine`` (the call state machine) and ``host`` (the public
``Sandbox``).
"""

from grader.limits import Limits
from grader.sandbox.host import CallResult, Callback, Sandbox, SandboxUnavailable, sandbox_available

__all__ = ["CallResult", "Callback", "Limits", "Sandbox", "SandboxUnavailable",
           "sandbox_available"]
