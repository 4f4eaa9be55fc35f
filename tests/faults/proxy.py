"""A TCP fault proxy: put it between two real processes and make the wire misbehave.

Modes: "pass" (forward), "latency" (every chunk held `latency` seconds each way), "blackhole"
(connections accepted and read, nothing forwarded or answered: a frozen peer) and "refuse" (new
connections reset at once). `reset()` aborts every open connection with a TCP RST, as a crashed
peer or a middlebox would. The proxy runs its own event loop in a thread, so it keeps forwarding
while a test blocks.
"""

import asyncio
import socket
import struct
import threading


class FaultProxy:
    def __init__(self, target_port: int, *, name: str, target_host: str = "127.0.0.1"):
        self.name = name
        self.target = (target_host, target_port)
        self.mode = "pass"
        self.latency = 0.0
        self._loop = asyncio.new_event_loop()
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"proxy-{name}", daemon=True)
        self._thread.start()
        self.port = self._call(self._start())
        self.connections = 0

    def _call(self, coroutine, timeout: float = 10):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    async def _start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self._server.sockets[0].getsockname()[1]

    def set(self, mode: str, *, latency: float = 0.0) -> None:
        assert mode in ("pass", "latency", "blackhole", "refuse"), mode
        self.mode, self.latency = mode, latency

    def reset(self) -> None:
        """RST every open connection (both sides)."""
        self._call(self._reset_all())

    def close(self) -> None:
        self._call(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    async def _close(self) -> None:
        self._server.close()
        await self._reset_all()

    async def _reset_all(self) -> None:
        for writer in list(self._writers):
            _abort(writer)
        self._writers.clear()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.mode == "refuse":
            _abort(client_writer)
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            _abort(client_writer)
            return
        self._writers |= {client_writer, upstream_writer}
        try:
            await asyncio.gather(self._pump(client_reader, upstream_writer), self._pump(upstream_reader, client_writer))
        finally:
            for writer in (client_writer, upstream_writer):
                self._writers.discard(writer)
                if not writer.is_closing():
                    writer.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                while self.mode == "blackhole":  # hold everything while frozen
                    await asyncio.sleep(0.05)
                if self.mode == "latency" and self.latency:
                    await asyncio.sleep(self.latency)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if not writer.is_closing():
                try:
                    writer.write_eof()
                except (OSError, RuntimeError):
                    writer.close()


def _abort(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:  # linger 0: close sends RST, not FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()
