"""Fixtures for the sandbox tests: throwaway submissions and sandboxes in both isolations.

Tests that need bubblewrap are skipped when it is unavailable, unless
BPCOURSE_REQUIRE_SANDBOX=1 (CI), in which case they fail.
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import replace

import pytest

from grader.sandbox import Limits, Sandbox, sandbox_available
from grader.sandbox.plan import probe

# Short limits keep the whole suite fast; budgets are generous unless a test is about them.
# Deadlines far above what any call that should finish needs on a loaded 2-core machine
# (a test that wants a timeout sets its own, and bounds the work, not the clock).
FAST = Limits(call_timeout=10.0, import_timeout=10.0, exercise_budget=60.0, budget=120.0)


def require_bubblewrap() -> None:
    if sandbox_available():
        return
    message = f"bubblewrap sandbox unavailable: {probe()}"
    if os.environ.get("BPCOURSE_REQUIRE_SANDBOX") == "1":
        pytest.fail(message + " (BPCOURSE_REQUIRE_SANDBOX=1)")
    pytest.skip(message)


@pytest.fixture
def make_submission(tmp_path):
    """make_submission(name=source, ...) -> a submission root holding exercises/<name>.py."""

    def make(**modules: str):
        root = tmp_path / "submission"
        package = root / "exercises"
        package.mkdir(parents=True, exist_ok=True)
        if "__init__" not in modules:
            (package / "__init__.py").write_text("")
        for name, source in modules.items():
            (package / f"{name}.py").write_text(textwrap.dedent(source))
        return root

    return make


def require_user_mode(worker_runtime) -> None:
    """The ``user`` isolation (an unprivileged uid, no namespaces) works here."""
    from grader.sandbox.launch import SandboxUnavailable, UserLauncher

    try:
        UserLauncher(".", FAST).close()
    except SandboxUnavailable as exc:
        message = f"user isolation unavailable: {exc}"
        if os.environ.get("BPCOURSE_REQUIRE_SANDBOX") == "1":
            pytest.fail(message + " (BPCOURSE_REQUIRE_SANDBOX=1)")
        pytest.skip(message)


@pytest.fixture(params=["bubblewrap", "rlimits", "user"])
def isolation(request) -> str:
    if request.param == "bubblewrap":
        require_bubblewrap()
    if request.param == "user":
        require_user_mode(request.getfixturevalue("worker_runtime"))
    return request.param


@pytest.fixture
def bwrap_only() -> str:
    require_bubblewrap()
    return "bubblewrap"


def _factory(isolation: str):
    created = []

    def make(root, **limits) -> Sandbox:
        sandbox = Sandbox(root, limits=replace(FAST, **limits), isolation=isolation)
        created.append(sandbox)
        return sandbox

    return make, created


@pytest.fixture
def sandbox(isolation):
    """sandbox(root, **limit overrides) -> a Sandbox in the parametrized isolation."""
    make, created = _factory(isolation)
    yield make
    for s in created:
        s.close()


@pytest.fixture
def bwrap_sandbox(bwrap_only):
    make, created = _factory(bwrap_only)
    yield make
    for s in created:
        s.close()
