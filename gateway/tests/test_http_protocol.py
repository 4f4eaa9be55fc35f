"""Each answer in one write: a real uvicorn server on uvloop, a real socket client, and the kernel's own
count of this process's write system calls (/proc/self/io `syscw`)."""

import asyncio
import pathlib

import pytest
import uvicorn
import uvloop
from starlette.applications import Starlette
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from gateway.http_protocol import WRITE_THROUGH, OneWriteHttpToolsProtocol

REQUEST = b"POST /json HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
CHUNK = b"x" * 16_384
CHUNKS = 64  # 1 MiB streamed: past WRITE_THROUGH many times over


async def json_answer(request):
    return JSONResponse({"data": {"ok": True}})


async def streamed(request):
    async def body():
        for _ in range(CHUNKS):
            yield CHUNK
    return StreamingResponse(body(), media_type="text/plain")


async def closing(request):
    return JSONResponse({"bye": True}, headers={"connection": "close"})


def write_syscalls() -> int:
    for line in pathlib.Path("/proc/self/io").read_text().splitlines():
        if line.startswith("syscw:"):
            return int(line.split()[1])
    raise AssertionError("no syscw in /proc/self/io")


async def serve(protocol, scenario):
    app = Starlette(routes=[Route("/json", json_answer, methods=["POST"]), Route("/stream", streamed),
                            Route("/close", closing)])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, http=protocol, loop="none",
                                           log_config=None, access_log=False, lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        return await scenario(reader, writer)
    finally:
        writer.close()
        server.should_exit = True
        await task


async def answer(reader, writer, request: bytes = REQUEST) -> tuple[bytes, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
    return head, await reader.readexactly(length)


def writes_per_answer(protocol) -> float:
    async def scenario(reader, writer):
        await answer(reader, writer)
        before = write_syscalls()
        for _ in range(100):
            head, body = await answer(reader, writer)
            assert head.startswith(b"HTTP/1.1 200") and body == b'{"data":{"ok":true}}'
        return (write_syscalls() - before) / 100

    return uvloop.run(serve(protocol, scenario))


def test_an_answer_leaves_in_one_write_where_uvicorn_makes_two():
    # per request: the client's one write, then the server's (head and body: two, or joined: one)
    assert writes_per_answer(HttpToolsProtocol) == pytest.approx(3.0, abs=0.05)
    assert writes_per_answer(OneWriteHttpToolsProtocol) == pytest.approx(2.0, abs=0.05)


def test_a_large_streamed_answer_arrives_whole_and_writes_as_it_goes():
    async def scenario(reader, writer):
        before = write_syscalls()
        writer.write(b"GET /stream HTTP/1.1\r\nhost: t\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        assert b"transfer-encoding: chunked" in head
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            data = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += data[:-2]
        assert body == CHUNK * CHUNKS
        # written as it goes (each past WRITE_THROUGH at once), not held for the whole answer
        assert write_syscalls() - before >= len(body) // WRITE_THROUGH
        head, json_body = await answer(reader, writer)  # the connection is still good for the next request
        assert json_body == b'{"data":{"ok":true}}'

    uvloop.run(serve(OneWriteHttpToolsProtocol, scenario))


def test_an_answer_that_closes_the_connection_is_sent_before_the_close():
    async def scenario(reader, writer):
        head, body = await answer(reader, writer, b"GET /close HTTP/1.1\r\nhost: t\r\n\r\n")
        assert b"connection: close" in head.lower() and body == b'{"bye":true}'
        assert await reader.read() == b""  # then the server closed it

    uvloop.run(serve(OneWriteHttpToolsProtocol, scenario))


def test_a_request_that_does_not_parse_gets_uvicorns_400_before_the_close():
    # uvicorn writes its 400 and closes at once: the held write must leave first
    async def scenario(reader, writer):
        writer.write(b"GARBAGE \x00\xff /// HTTP/9\r\n\r\n")
        return await reader.read()

    answered = uvloop.run(serve(OneWriteHttpToolsProtocol, scenario))
    assert answered.startswith(b"HTTP/1.1 400 Bad Request") and answered.endswith(b"Invalid HTTP request received.")
