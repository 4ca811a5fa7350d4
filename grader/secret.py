"""The course secret: where hidden inputs take their randomness from.

The package is public, so anything derived from its code alone (a fixed seed included) is
public too: a student could rebuild the hidden cases offline and hand in a table of answers.
Hidden inputs are therefore drawn from a secret that only the instructor holds. It is made on
first use (32 random bytes, hex) and kept with the instructor's settings, outside the course
repository, so that every regrade draws the same inputs:

1. ``$BPCOURSE_SECRET``: the secret itself (for CI and grading platforms, set from a
   protected variable), or
2. ``$BPCOURSE_SECRET_FILE``: a file holding it, or
3. ``$XDG_CONFIG_HOME/bpcourse/secret`` (``~/.config/bpcourse/secret``), created with mode
   0600 when missing.

``bpcourse check`` (the students' command) never reads it: public checks use the public seed.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

ENV_SECRET = "BPCOURSE_SECRET"
ENV_FILE = "BPCOURSE_SECRET_FILE"
MIN_CHARS = 16


class SecretError(Exception):
    """The secret cannot be read or made; ``str(exc)`` is one line for the user."""


def secret_path() -> Path:
    if os.environ.get(ENV_FILE):
        return Path(os.environ[ENV_FILE]).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(config) / "bpcourse" / "secret"


def _valid(text: str, where: str) -> str:
    text = text.strip()
    if len(text) < MIN_CHARS:
        raise SecretError(f"the course secret in {where} is shorter than {MIN_CHARS} characters")
    return text


def load_secret(create: bool = True) -> str:
    """The course secret (text); made and saved on first use when ``create``."""
    if os.environ.get(ENV_SECRET):
        return _valid(os.environ[ENV_SECRET], f"${ENV_SECRET}")
    path = secret_path()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        if not create:
            raise SecretError(f"no course secret at {path}") from None
        return _create(path)
    except OSError as exc:
        raise SecretError(f"cannot read the course secret {path}: {exc.strerror}") from None
    with os.fdopen(fd, "r", encoding="ascii", errors="replace") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise SecretError(f"the course secret {path} is not a regular file")
        return _valid(f.read(4096), str(path))


def _create(path: Path) -> str:
    text = os.urandom(32).hex()  # what secrets.token_hex(32) does, without importing random
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:  # made by a parallel grader meanwhile: use theirs
        return load_secret(create=False)
    except OSError as exc:
        raise SecretError(f"cannot make the course secret {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(text + "\n")
    return text


def seed_words(secret: str) -> list[int]:
    """Four 32-bit words of entropy for numpy's SeedSequence, derived from the secret."""
    try:  # the interpreter's own SHA-256: hashlib would load OpenSSL (3 ms) for one digest
        from _sha256 import sha256
    except ImportError:  # pragma: no cover - another interpreter
        from hashlib import sha256
    digest = sha256(b"bpcourse-hidden-inputs\0" + secret.encode()).digest()
    return [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4)]
