"""WeChat callback security: the URL and message signatures, and the WXBizMsgCrypt AES envelope.

The scheme is Tencent's: AES-256-CBC with key = base64(EncodingAESKey + "="), IV = key[:16], and
plaintext = 16 random bytes | 4-byte big-endian length | message | appid, PKCS#7-padded to 32 bytes.
``decrypt`` checks the signature (in constant time) before it touches the ciphertext, so nobody without
the token can use our padding or length checks as an oracle.

Every refusal is a ``CallbackRejected`` whose message is fixed text, safe to return to the caller.
Nothing here knows about the hub.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAD_BLOCK = 32  # WXBizMsgCrypt pads to 32 bytes, not to AES's 16
AES_BLOCK = 16
TIMESTAMP_WINDOW_S = 300
_KEY_SHAPE = re.compile(r"[A-Za-z0-9+/]{43}")
_TIMESTAMP_SHAPE = re.compile(r"[0-9]{1,12}")


class CallbackRejected(Exception):
    """A callback we refuse; the message is fixed text, safe to show."""


class BadSignature(CallbackRejected):
    """The signature does not match: wrong token, or the request was altered."""


class StaleTimestamp(CallbackRejected):
    """The timestamp is not a number, or lies outside the accepted window (a replay or a bad clock)."""


class WrongAppId(CallbackRejected):
    """The message decrypted, but it was sealed for another account."""


class BadCiphertext(CallbackRejected):
    """The encrypted part is not base64, not whole AES blocks, or its padding or length is wrong."""


def _sha1_of_sorted(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def url_signature(token: str, timestamp: str, nonce: str) -> str:
    """The ``signature`` WeChat sends on every callback URL: SHA-1 of the three strings, sorted."""
    return _sha1_of_sorted(token, timestamp, nonce)


def msg_signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    """The ``msg_signature`` of an encrypted callback or reply: SHA-1 of the four strings, sorted."""
    return _sha1_of_sorted(token, timestamp, nonce, encrypted)


def _require_same(expected: str, given: str) -> None:
    if not hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8")):
        raise BadSignature("the signature does not match")


def check_url_signature(token: str, signature: str, timestamp: str, nonce: str) -> None:
    """Raise ``BadSignature`` unless ``signature`` is the URL signature of this request."""
    _require_same(url_signature(token, timestamp, nonce), signature)


def check_timestamp(timestamp: str, now: float, window_s: float = TIMESTAMP_WINDOW_S) -> int:
    """The timestamp as an int, when it is within ``window_s`` seconds of ``now`` either way."""
    if not _TIMESTAMP_SHAPE.fullmatch(timestamp):
        raise StaleTimestamp("the timestamp is not a number")
    value = int(timestamp)
    if value < now - window_s:
        raise StaleTimestamp("the timestamp is too old")
    if value > now + window_s:
        raise StaleTimestamp("the timestamp is in the future")
    return value


def _aes_key(encoding_aes_key: str) -> bytes:
    if not _KEY_SHAPE.fullmatch(encoding_aes_key):
        raise ValueError("the EncodingAESKey must be 43 characters of base64 (A-Z, a-z, 0-9, + and /)")
    return base64.b64decode(encoding_aes_key + "=")


def _pad(data: bytes) -> bytes:
    size = PAD_BLOCK - len(data) % PAD_BLOCK
    return data + bytes([size]) * size


def _unpad(data: bytes) -> bytes:
    size = data[-1]
    if not 1 <= size <= PAD_BLOCK or size > len(data) or data[-size:] != bytes([size]) * size:
        raise BadCiphertext("the encrypted message is not valid")
    return data[:-size]


def _b64decode(text: str) -> bytes:
    try:
        data = base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error, or a str that is not ASCII
        raise BadCiphertext("the encrypted message is not valid base64") from None
    if not data or len(data) % AES_BLOCK:
        raise BadCiphertext("the encrypted message is not valid")
    return data


class WeChatCrypto:
    """Seal and open WXBizMsgCrypt envelopes for one account (its token, EncodingAESKey and appid)."""

    def __init__(self, token: str, encoding_aes_key: str, appid: str) -> None:
        self._token = token
        self._key = _aes_key(encoding_aes_key)
        self._appid = appid.encode("utf-8")

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:AES_BLOCK]))

    def encrypt(
        self, xml_text: str, nonce: str, timestamp: str, random16: bytes | None = None
    ) -> tuple[str, str]:
        """``(Encrypt, MsgSignature)`` for a reply; ``random16`` is for reproducible tests only."""
        prefix = os.urandom(16) if random16 is None else random16
        if len(prefix) != 16:
            raise ValueError("random16 must be exactly 16 bytes")
        message = xml_text.encode("utf-8")
        plain = prefix + len(message).to_bytes(4, "big") + message + self._appid
        encryptor = self._cipher().encryptor()
        sealed = encryptor.update(_pad(plain)) + encryptor.finalize()
        encrypted = base64.b64encode(sealed).decode("ascii")
        return encrypted, msg_signature(self._token, timestamp, nonce, encrypted)

    def decrypt(self, encrypted_b64: str, msg_signature: str, timestamp: str, nonce: str) -> str:
        """The message inside ``encrypted_b64``, once its signature, padding, length and appid check out."""
        _require_same(_sha1_of_sorted(self._token, timestamp, nonce, encrypted_b64), msg_signature)
        decryptor = self._cipher().decryptor()
        plain = _unpad(decryptor.update(_b64decode(encrypted_b64)) + decryptor.finalize())
        return self._unwrap(plain)

    def _unwrap(self, plain: bytes) -> str:
        if len(plain) < 20:
            raise BadCiphertext("the encrypted message is not valid")
        end = 20 + int.from_bytes(plain[16:20], "big")
        if end > len(plain):
            raise BadCiphertext("the encrypted message is not valid")
        if not hmac.compare_digest(plain[end:], self._appid):
            raise WrongAppId("the message is for another account")
        try:
            return plain[20:end].decode("utf-8")
        except UnicodeDecodeError:
            raise BadCiphertext("the encrypted message is not valid UTF-8") from None
