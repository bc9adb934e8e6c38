from __future__ import annotations

import pytest

from hub.auth import Tokens, hash_password, load_secret, token_fingerprint, verify_password
from hub.errors import Unauthorized


def test_password_hash_is_salted_and_verifies() -> None:
    first, second = hash_password("s3cret"), hash_password("s3cret")
    assert first != second and first.startswith("scrypt$")
    assert verify_password("s3cret", first) and verify_password("s3cret", second)
    assert not verify_password("s3cret!", first)
    assert not verify_password("s3cret", "garbage") and not verify_password("x", "md5$1$2$3$aa$bb")


def test_tokens_verify_and_refuse_forgery_and_expiry() -> None:
    tokens = Tokens(b"key", ttl_s=60)
    token = tokens.issue("user-1", now=1000)
    assert tokens.verify(token, now=1030) == "user-1"
    with pytest.raises(Unauthorized, match="expired"):
        tokens.verify(token, now=1061)
    with pytest.raises(Unauthorized):
        Tokens(b"other key", ttl_s=60).verify(token, now=1030)
    forged = "user-2" + token[len("user-1"):]
    with pytest.raises(Unauthorized):
        tokens.verify(forged, now=1030)
    for bad in ("", "abc", "a.b.c", "a.1", "a..sig"):
        with pytest.raises(Unauthorized):
            tokens.verify(bad)


def test_generated_secret_is_kept_private_and_stable(tmp_path) -> None:
    first = load_secret(None, tmp_path)
    assert load_secret(None, tmp_path) == first and len(first) > 40
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
    assert load_secret("configured-secret-key", tmp_path) == b"configured-secret-key"
    with pytest.raises(ValueError, match="HUB_SECRET_KEY"):
        load_secret("short", tmp_path)


def test_customer_tokens_are_stored_only_as_fingerprints() -> None:
    assert token_fingerprint("abc") != "abc" and len(token_fingerprint("abc")) == 64
