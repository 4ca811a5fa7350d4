"""Run student code in an isolated worker process, each call in a fresh process.

``worker.py`` is the only code that runs inside the sandbox (stdlib + numpy, nothing from
``grader``) and defines the wire format. The trusted side, along its seams:
``plan`` (what the sandbox sees), ``launch`` (one launcher per isolation mode), ``process``
(pipes, frames, killing), ``machine`` (the call state machine) and ``host`` (the public
``Sandbox``).
"""

from grader.limits import Limits

__all__ = ["CallResult", "Callback", "Limits", "Sandbox", "SandboxUnavailable",
           "sandbox_available"]


def __getattr__(name: str):
    """``host`` (and numpy with it) loads at the first use of its names, not with the package:
    ``launch`` starts a worker without numpy, before the grader imports it (``start_early``)."""
    if name in __all__:
        from grader.sandbox import host

        return getattr(host, name)
    raise AttributeError(f"module 'grader.sandbox' has no attribute {name!r}")
