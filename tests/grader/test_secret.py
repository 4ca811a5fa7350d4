"""The course secret: made once, private, reused; and it decides the hidden inputs."""
import os
import stat

import numpy as np
import pytest

from grader import secret
from grader.checks import Context
from grader.exercises import BY_NAME
from grader.settings import GRADE


@pytest.fixture
def secret_file(tmp_path, monkeypatch):
    monkeypatch.delenv(secret.ENV_SECRET, raising=False)
    path = tmp_path / "config" / "bpcourse" / "secret"
    monkeypatch.setenv(secret.ENV_FILE, str(path))
    return path


def test_made_on_first_use_private_and_then_reused(secret_file):
    first = secret.load_secret()
    assert secret_file.exists() and stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert secret.load_secret() == first  # regrades draw the same inputs


def test_not_made_when_asked_not_to(secret_file):
    with pytest.raises(secret.SecretError, match="no course secret"):
        secret.load_secret(create=False)
    assert not secret_file.exists()


def test_the_environment_wins_and_short_secrets_are_refused(secret_file, monkeypatch):
    monkeypatch.setenv(secret.ENV_SECRET, "x" * 40)
    assert secret.load_secret() == "x" * 40
    monkeypatch.setenv(secret.ENV_SECRET, "short")
    with pytest.raises(secret.SecretError, match="shorter"):
        secret.load_secret()
    assert not secret_file.exists()


def test_a_symlink_is_not_followed(secret_file, tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("y" * 40)
    secret_file.parent.mkdir(parents=True)
    os.symlink(target, secret_file)
    with pytest.raises(secret.SecretError):
        secret.load_secret()


def _hidden_inputs(text: str | None):
    seed = tuple(secret.seed_words(text)) if text else ()  # () means the public seed
    ctx = Context(None, None, GRADE, seed=seed)
    check = next(c for c in BY_NAME["backward"].checks if c.kind == "reference")
    return ctx.rng("backward" + check.name).normal(size=8)


def test_hidden_inputs_follow_the_secret_not_the_public_seed():
    a, b = "a" * 40, "b" * 40
    np.testing.assert_array_equal(_hidden_inputs(a), _hidden_inputs(a))
    assert not np.allclose(_hidden_inputs(a), _hidden_inputs(b))
    assert not np.allclose(_hidden_inputs(a), _hidden_inputs(None))
