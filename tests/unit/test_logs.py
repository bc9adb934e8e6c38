from __future__ import annotations

import logging

from hub.logs import RedactTokens, redact


def test_tokens_in_request_lines_are_masked() -> None:
    assert redact('"WebSocket /ws/agent?token=abc.123.xyz" [accepted]') == \
        '"WebSocket /ws/agent?token=[redacted]" [accepted]'
    assert redact("/x?a=1&token=s3cret&b=2") == "/x?a=1&token=[redacted]&b=2"


def test_the_filter_masks_log_arguments() -> None:
    record = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, '%s - "WebSocket %s" [accepted]',
                               ("127.0.0.1:5", "/ws/agent?token=abc.1.sig"), None)
    RedactTokens().filter(record)
    assert "abc.1.sig" not in record.getMessage() and "[redacted]" in record.getMessage()
