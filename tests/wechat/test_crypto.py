"""WXBizMsgCrypt against Tencent's and the SDKs' public vectors, and every way a callback is refused."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from connectors.wechat.crypto import (
    BadCiphertext,
    BadSignature,
    CallbackRejected,
    StaleTimestamp,
    WeChatCrypto,
    WrongAppId,
    check_timestamp,
    check_url_signature,
    msg_signature,
    url_signature,
)
from connectors.wechat.payloads import encrypted_reply, parse_encrypted

VECTORS: dict[str, dict[str, Any]] = {
    vector["id"]: vector
    for vector in json.loads((Path(__file__).parent / "fixtures" / "vectors.json").read_text("utf-8"))["vectors"]
}
OFFICIAL = VECTORS["mp_official_python_sample_decrypt"]
DECRYPT_VECTORS = ["mp_official_python_sample_decrypt", "wecom_official_csharp_sample_decrypt", "wechatpy_work_decrypt"]
TOKEN, KEY, APPID = "hubtoken", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx0123456789abcdef"


def _crypto_for(vector: dict[str, Any]) -> WeChatCrypto:
    return WeChatCrypto(vector["token"], vector["EncodingAESKey"], vector.get("appid") or vector["appid_or_corpid"])


def _seal_raw(plain: bytes, key: str = KEY) -> str:
    """AES-256-CBC with WeChat's key and IV but no padding of ours: for crafting broken envelopes."""
    aes_key = base64.b64decode(key + "=")
    encryptor = Cipher(algorithms.AES(aes_key), modes.CBC(aes_key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def _decrypt_signed(encrypted: str, crypto: WeChatCrypto | None = None) -> str:
    signature = msg_signature(TOKEN, "1700000000", "nonce", encrypted)
    return (crypto or WeChatCrypto(TOKEN, KEY, APPID)).decrypt(encrypted, signature, "1700000000", "nonce")


def test_url_signature_matches_the_wechatpy_vector() -> None:
    vector = VECTORS["wechatpy_mp_url_signature"]
    assert url_signature(vector["token"], vector["timestamp"], vector["nonce"]) == vector["signature"]
    check_url_signature(vector["token"], vector["signature"], vector["timestamp"], vector["nonce"])


def test_url_signature_that_differs_in_one_digit_is_rejected() -> None:
    vector = VECTORS["wechatpy_mp_url_signature"]
    with pytest.raises(BadSignature):
        check_url_signature(vector["token"], vector["negative_case"]["signature"], vector["timestamp"], vector["nonce"])


def test_url_signature_that_is_not_ascii_is_rejected_not_crashed() -> None:
    with pytest.raises(BadSignature):
        check_url_signature("test", "签名", "1410685589", "test")


def test_encrypted_echostr_verifies_and_decrypts_to_the_echo() -> None:
    vector = VECTORS["wechatpy_work_url_verify_echostr"]
    echo = _crypto_for(vector).decrypt(vector["echostr"], vector["msg_signature"], vector["timestamp"], vector["nonce"])
    assert echo == vector["echostr_decrypted"]


def test_encrypted_echostr_with_another_nonce_is_rejected() -> None:
    vector = VECTORS["wechatpy_work_url_verify_echostr"]
    with pytest.raises(BadSignature):
        _crypto_for(vector).decrypt(
            vector["echostr"], vector["msg_signature"], vector["timestamp"], vector["negative_case"]["nonce"]
        )


def test_official_sample_signature_is_the_sha1_of_the_four_sorted_strings() -> None:
    encrypted = parse_encrypted(OFFICIAL["post_body_xml"]).encrypt
    assert msg_signature(OFFICIAL["token"], OFFICIAL["timestamp"], OFFICIAL["nonce"], encrypted) == (
        OFFICIAL["msg_signature"]
    )


@pytest.mark.parametrize("vector_id", DECRYPT_VECTORS)
def test_published_callbacks_decrypt_to_their_plaintext(vector_id: str) -> None:
    vector = VECTORS[vector_id]
    encrypted = parse_encrypted(vector["post_body_xml"]).encrypt
    plain = _crypto_for(vector).decrypt(encrypted, vector["msg_signature"], vector["timestamp"], vector["nonce"])
    assert plain == vector["plaintext_decrypted"]


def test_official_compat_mode_body_carries_the_same_message_in_clear_and_encrypted() -> None:
    plain = _crypto_for(OFFICIAL).decrypt(
        parse_encrypted(OFFICIAL["post_body_xml"]).encrypt, OFFICIAL["msg_signature"], OFFICIAL["timestamp"],
        OFFICIAL["nonce"],
    )
    assert "<Content><![CDATA[abcdteT]]></Content>" in plain
    assert "<Content><![CDATA[abcdteT]]></Content>" in OFFICIAL["post_body_xml"]


@pytest.mark.parametrize("vector_id", ["mp_official_java_sample_aes_only_1", "mp_official_java_sample_aes_only_2"])
def test_deterministic_encrypt_reproduces_the_java_demo_ciphertext(vector_id: str) -> None:
    vector = VECTORS[vector_id]
    crypto = _crypto_for(vector)
    encrypted, signature = crypto.encrypt(vector["plaintext"], "nonce", "1409304348", vector["random16"].encode())
    assert encrypted == vector["ciphertext_b64"]
    assert crypto.decrypt(encrypted, signature, "1409304348", "nonce") == vector["plaintext"]


def test_deterministic_encrypt_reproduces_the_expected_reply_envelope_and_signature() -> None:
    vector = VECTORS["wechatpy_work_encrypt_deterministic"]
    encrypted, signature = _crypto_for(vector).encrypt(
        vector["reply_plaintext"], vector["nonce"], vector["timestamp"], vector["random16"].encode()
    )
    assert signature == "407518b7649e86ef23978113f92d27afa9296533"
    assert encrypted_reply(encrypted, signature, vector["timestamp"], vector["nonce"]) == (
        vector["expected_encrypted_reply_xml"]
    )


def test_round_trip_keeps_chinese_text_and_counts_its_length_in_bytes() -> None:
    crypto = WeChatCrypto(TOKEN, KEY, APPID)
    text = "<xml><Content><![CDATA[您好，我想转人工客服 🙂]]></Content></xml>"
    encrypted, signature = crypto.encrypt(text, "nonce", "1700000000", b"0123456789abcdef")
    raw = base64.b64decode(encrypted)
    assert len(raw) % 32 == 0
    assert crypto.decrypt(encrypted, signature, "1700000000", "nonce") == text


def test_each_encryption_uses_a_fresh_random_prefix() -> None:
    crypto = WeChatCrypto(TOKEN, KEY, APPID)
    first, _ = crypto.encrypt("<xml/>", "nonce", "1700000000")
    second, _ = crypto.encrypt("<xml/>", "nonce", "1700000000")
    assert first != second
    assert _decrypt_signed(first) == _decrypt_signed(second) == "<xml/>"


def test_tampered_signature_is_rejected() -> None:
    encrypted = parse_encrypted(OFFICIAL["post_body_xml"]).encrypt
    tampered = OFFICIAL["msg_signature"][:-1] + "0"
    with pytest.raises(BadSignature):
        _crypto_for(OFFICIAL).decrypt(encrypted, tampered, OFFICIAL["timestamp"], OFFICIAL["nonce"])


def test_signature_from_another_token_is_rejected() -> None:
    encrypted = parse_encrypted(OFFICIAL["post_body_xml"]).encrypt
    crypto = WeChatCrypto("othertoken", OFFICIAL["EncodingAESKey"], OFFICIAL["appid"])
    with pytest.raises(BadSignature):
        crypto.decrypt(encrypted, OFFICIAL["msg_signature"], OFFICIAL["timestamp"], OFFICIAL["nonce"])


def test_message_sealed_for_another_appid_is_rejected() -> None:
    encrypted = parse_encrypted(OFFICIAL["post_body_xml"]).encrypt
    crypto = WeChatCrypto(OFFICIAL["token"], OFFICIAL["EncodingAESKey"], "wx0000000000000000")
    with pytest.raises(WrongAppId):
        crypto.decrypt(encrypted, OFFICIAL["msg_signature"], OFFICIAL["timestamp"], OFFICIAL["nonce"])


def test_appid_that_is_only_a_prefix_of_ours_is_rejected() -> None:
    sealed, _ = WeChatCrypto(TOKEN, KEY, APPID[:-1]).encrypt("<xml/>", "nonce", "1700000000")
    with pytest.raises(WrongAppId):
        _decrypt_signed(sealed)


def test_tampered_ciphertext_is_rejected_even_with_a_matching_signature() -> None:
    encrypted, _ = WeChatCrypto(TOKEN, KEY, APPID).encrypt("<xml>hello</xml>", "nonce", "1700000000")
    raw = bytearray(base64.b64decode(encrypted))
    raw[0] ^= 0x80  # CBC: flips the top bit of the next block's first byte, the length prefix
    with pytest.raises(BadCiphertext):
        _decrypt_signed(base64.b64encode(bytes(raw)).decode())


@pytest.mark.parametrize("encrypted", ["not base64!", "", "QUJD", base64.b64encode(b"x" * 40).decode(), "密文"])
def test_encrypted_part_that_is_not_whole_aes_blocks_of_base64_is_rejected(encrypted: str) -> None:
    with pytest.raises(BadCiphertext):
        _decrypt_signed(encrypted)


@pytest.mark.parametrize(
    "tail",
    [b"\x00" * 32, b"\x21" * 32, b"A" * 31 + b"\x03", b"A" * 30 + b"\x01\x02"],
    ids=["zero", "over 32", "too few pad bytes", "mixed pad bytes"],
)
def test_bad_padding_is_rejected(tail: bytes) -> None:
    body = b"r" * 16 + (4).to_bytes(4, "big") + b"<x/>" + APPID.encode()
    plain = body + b"A" * (-len(body) % 32) + tail
    with pytest.raises(BadCiphertext):
        _decrypt_signed(_seal_raw(plain))


def test_length_prefix_pointing_past_the_end_is_rejected() -> None:
    body = b"r" * 16 + (10_000).to_bytes(4, "big") + b"<x/>" + APPID.encode()
    padding = 32 - len(body) % 32
    with pytest.raises(BadCiphertext):
        _decrypt_signed(_seal_raw(body + bytes([padding]) * padding))


def test_message_that_is_not_utf8_is_rejected() -> None:
    body = b"r" * 16 + (2).to_bytes(4, "big") + b"\xff\xfe" + APPID.encode()
    padding = 32 - len(body) % 32
    with pytest.raises(BadCiphertext):
        _decrypt_signed(_seal_raw(body + bytes([padding]) * padding))


def test_timestamp_within_the_window_is_accepted() -> None:
    assert check_timestamp("1700000000", now=1700000299.5) == 1700000000
    assert check_timestamp("1700000290", now=1700000000.0) == 1700000290


def test_stale_timestamp_is_rejected() -> None:
    with pytest.raises(StaleTimestamp, match="too old"):
        check_timestamp("1700000000", now=1700000301.0)


def test_future_timestamp_is_rejected() -> None:
    with pytest.raises(StaleTimestamp, match="future"):
        check_timestamp("1700000400", now=1700000000.0)


def test_window_can_be_narrowed() -> None:
    with pytest.raises(StaleTimestamp):
        check_timestamp("1700000000", now=1700000061.0, window_s=60)


@pytest.mark.parametrize("timestamp", ["", "abc", "17e8", "-5", "1700000000.5", " 1700000000", "１７００", "9" * 30])
def test_timestamp_that_is_not_plain_digits_is_rejected(timestamp: str) -> None:
    with pytest.raises(StaleTimestamp, match="not a number"):
        check_timestamp(timestamp, now=1700000000.0)


@pytest.mark.parametrize("key", [KEY[:-1], KEY + "H", KEY[:-1] + "=", KEY[:-1] + "_", ""])
def test_encoding_aes_key_of_the_wrong_shape_is_refused_at_construction(key: str) -> None:
    with pytest.raises(ValueError, match="43 characters"):
        WeChatCrypto(TOKEN, key, APPID)


def test_random_prefix_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        WeChatCrypto(TOKEN, KEY, APPID).encrypt("<xml/>", "nonce", "1700000000", b"short")


def test_every_refusal_is_a_callback_rejection_whose_text_reveals_nothing() -> None:
    refusals = [BadSignature, StaleTimestamp, WrongAppId, BadCiphertext]
    assert all(issubclass(kind, CallbackRejected) for kind in refusals)
    with pytest.raises(CallbackRejected) as raised:
        _crypto_for(OFFICIAL).decrypt("AAAA", "0" * 40, OFFICIAL["timestamp"], OFFICIAL["nonce"])
    shown = str(raised.value)
    assert OFFICIAL["token"] not in shown and OFFICIAL["EncodingAESKey"] not in shown and "AAAA" not in shown
