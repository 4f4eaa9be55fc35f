"""uvicorn's httptools protocol, each answer sent with one write.

uvicorn writes an answer's head when the application starts it and its body when the application
sends it: two `send` system calls per answer, and on the client's side the head and the body arrive
apart (two wake-ups, two reads). The application sends both in one step of its task, so the
connection's writes of one turn of the event loop are joined and sent once at the end of the turn.
A turn's writes past WRITE_THROUGH bytes go at once, so a large streamed answer keeps the
transport's flow control (its buffer limits pause the application as before).
"""

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

WRITE_THROUGH = 65_536


class TurnWrites:
    """A connection's transport whose writes of one event-loop turn leave as one."""

    __slots__ = ("_transport", "_loop", "_pending", "_size")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] | None = None
        self._size = 0

    def write(self, data: bytes) -> None:
        if self._pending is None:
            self._pending = [data]
            self._size = len(data)
            self._loop.call_soon(self.flush)
        else:
            self._pending.append(data)
            self._size += len(data)
        if self._size > WRITE_THROUGH:
            self.flush()

    def flush(self) -> None:
        pending, self._pending = self._pending, None
        if pending and not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def close(self) -> None:
        self.flush()  # an answer written just before a close still leaves
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def __getattr__(self, name: str):  # reading, flow control, extra info: the transport's own
        return getattr(self._transport, name)


class OneWriteHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(TurnWrites(transport, self.loop))  # type: ignore[arg-type]
