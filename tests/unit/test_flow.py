"""A websocket's outbox and token bucket (hub/flow.py), against an in-memory socket."""

from __future__ import annotations

import asyncio

from hub.flow import RESYNC, RESYNC_CLOSE, Outbox, TokenBucket


class Socket:
    def __init__(self, slow: bool = False, fail_on: str | None = None) -> None:
        self.sent: list[str] = []
        self.closed: tuple[int, str] | None = None
        self._slow = slow
        self._fail_on = fail_on

    async def send(self, frame: str) -> None:
        if self._slow:
            await asyncio.sleep(0.001)  # a send that yields, as one to a slow client does
        if frame == self._fail_on:
            raise ConnectionError("the client went away")
        self.sent.append(frame)

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


async def _settle() -> None:
    for _ in range(50):
        await asyncio.sleep(0.002)


async def test_frames_leave_in_the_order_they_were_pushed_from_wherever_they_come() -> None:
    socket = Socket(slow=True)
    outbox = Outbox(socket.send)
    outbox.start()
    outbox.push("a")
    await asyncio.sleep(0)  # the writer takes "a" and is in the middle of sending it
    for frame in "bcd":
        outbox.push(frame)
    await _settle()
    outbox.push("e")  # to a writer that had gone idle
    await _settle()
    assert socket.sent == list("abcde")
    await outbox.close()


async def test_held_frames_wait_behind_what_release_puts_first() -> None:
    socket = Socket()
    outbox = Outbox(socket.send)
    outbox.start()
    outbox.hold()
    outbox.push("live event")
    await _settle()
    assert socket.sent == []
    outbox.release("welcome", "status")
    await _settle()
    assert socket.sent == ["welcome", "status", "live event"]
    await outbox.close()


async def test_a_client_that_reads_nothing_overflows_the_outbox_and_nothing_more_is_queued() -> None:
    socket = Socket()
    outbox = Outbox(socket.send, limit=3)  # the writer is not started: nothing leaves
    for n in range(3):
        outbox.push(str(n))
    assert not outbox.overflowed
    outbox.push("3")
    assert outbox.overflowed
    outbox.start()
    await _settle()
    assert socket.sent == ["0", "1", "2"]
    await outbox.close()


async def test_an_overflowing_outbox_closes_its_socket_at_once_so_the_client_reconnects_and_catches_up() -> None:
    socket = Socket()
    outbox = Outbox(socket.send, limit=3, close=socket.close)  # the writer is not started: nothing leaves
    for n in range(5):
        outbox.push(str(n))
    await _settle()
    assert outbox.overflowed and socket.closed == RESYNC_CLOSE


async def test_resync_closes_the_socket_once_the_frames_before_it_are_out() -> None:
    socket = Socket(slow=True)
    outbox = Outbox(socket.send, close=socket.close)
    outbox.start()
    for frame in ("a", "b", RESYNC, "after"):
        outbox.push(frame)
    await _settle()
    assert socket.sent == ["a", "b"]
    assert socket.closed == RESYNC_CLOSE


async def test_a_failed_send_stops_the_writer_quietly() -> None:
    socket = Socket(fail_on="b")
    outbox = Outbox(socket.send)
    outbox.start()
    for frame in "abc":
        outbox.push(frame)
    await _settle()
    assert socket.sent == ["a"]
    await outbox.close()  # and closing it after that is fine


def test_the_bucket_allows_a_burst_then_the_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=2, burst=3, clock=lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] += 0.5  # one token back
    assert [bucket.take() for _ in range(2)] == [True, False]
