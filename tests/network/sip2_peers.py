"""Small SIP2 peers for tests: an asyncio server in a thread that answers as told (slowly,
wrongly, not at all), and a port nothing listens on."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Awaitable, Callable

from navette.network.connectors.sip2 import checksum


class Peer:
    """A tiny asyncio SIP2 peer in a thread: ``answer(frame)`` returns the bytes to send
    back (or None to close the connection)."""

    def __init__(self, answer: Callable[[bytes], Awaitable[bytes | None]]) -> None:
        self.answer = answer
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.connections = 0
        self.server: asyncio.Server | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            while True:
                frame = await reader.readuntil(b"\r")
                reply = await self.answer(frame)
                if reply is None:
                    break
                writer.write(reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self.tasks.discard(task)

    async def _start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)

    def __enter__(self) -> Peer:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(5)
        return self

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            assert self.server is not None
            self.server.close()
            for task in list(self.tasks):
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
            await asyncio.sleep(0)

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


def framed(body: str, sequence: int | None) -> bytes:
    data = body.encode() + (b"AY%dAZ" % sequence if sequence is not None else b"AZ")
    return data + checksum(data).encode() + b"\r"


def sequence_of(frame: bytes) -> int | None:
    """The AY of a request frame."""
    at = frame.rfind(b"AY")
    return int(frame[at + 2 : at + 3]) if at >= 0 else None


T = "20260303    143000"


def patron_reply(frame: bytes, *, flags: str = " " * 14, extra: str = "") -> bytes:
    seq = sequence_of(frame)
    return framed(f"24{flags}000{T}AOrelire|AA29000001|AEM. Test|BLY|CQY|{extra}", seq)


def login_then(
    reply: Callable[[bytes], bytes], *, delay: float = 0.0, login_ok: bool = True
) -> Callable[[bytes], Awaitable[bytes | None]]:
    async def answer(frame: bytes) -> bytes | None:
        if frame.startswith(b"93"):
            return framed("94" + ("1" if login_ok else "0"), sequence_of(frame))
        await asyncio.sleep(delay)
        return reply(frame)

    return answer


def free_port() -> int:
    """A port nothing listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
