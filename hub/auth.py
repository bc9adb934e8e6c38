"""Passwords (scrypt, a slow KDF) and signed bearer tokens that any hub process can check.

A token is ``user_id.expiry.signature`` with an HMAC-SHA256 signature under the hub's secret key
(``HUB_SECRET_KEY``; the embedded default keeps a generated key in the data directory). Every process
of one deployment must share the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import time
from pathlib import Path

from hub.errors import InvalidInput, Unauthorized

_N, _R, _P = 2**14, 8, 1


USERNAME = re.compile(r"[A-Za-z0-9_.@\-]{1,64}")  # what people type at sign-in: no spaces, nothing to confuse
MIN_PASSWORD = 8


def check_new_user(username: str, password: str) -> None:
    """A new user's name and password, the same rules wherever a user is added (API or ``hub user add``)."""
    if not USERNAME.fullmatch(username):
        raise InvalidInput("a username is 1 to 64 letters, digits or _ . @ -", code="invalid_username")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password must be at least {MIN_PASSWORD} characters", code="weak_password")


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        candidate = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate.hex(), digest)


MIN_SECRET_CHARS = 16


def load_secret(configured: str | None, data_dir: Path) -> bytes:
    """The key that signs agent tokens: configured, or generated once into the data directory.

    The generated file appears complete or not at all (written aside, then linked into place), so
    processes starting together never read a half-written key.
    """
    if configured is not None:
        if len(configured) < MIN_SECRET_CHARS:
            raise ValueError(f"HUB_SECRET_KEY must be at least {MIN_SECRET_CHARS} characters")
        return configured.encode()
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        aside = data_dir / f".secret.key.{os.getpid()}"
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(aside, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            aside.unlink()
    return path.read_text().strip().encode()


class Tokens:
    def __init__(self, secret: bytes, ttl_s: int) -> None:
        self._secret = secret
        self._ttl_s = ttl_s

    def _sign(self, body: str) -> str:
        mac = hmac.new(self._secret, body.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def issue(self, user_id: str, now: float | None = None) -> str:
        body = f"{user_id}.{int((now or time.time()) + self._ttl_s)}"
        return f"{body}.{self._sign(body)}"

    def verify(self, token: str, now: float | None = None) -> str:
        """The user id the token was issued to; Unauthorized if forged or expired."""
        user_id, _, rest = token.partition(".")
        expiry, _, signature = rest.partition(".")
        if not (user_id and expiry.isdigit() and signature):
            raise Unauthorized("invalid token")
        if not hmac.compare_digest(self._sign(f"{user_id}.{expiry}"), signature):
            raise Unauthorized("invalid token")
        if int(expiry) < (now or time.time()):
            raise Unauthorized("token expired")
        return user_id


def customer_token() -> str:
    return secrets.token_urlsafe(24)


def token_fingerprint(token: str) -> str:
    """What the store keeps of a customer's resume token: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()
