"""Where a delivery may connect: the check is made on the addresses the connection is opened to, so a
host that resolves to a private address at delivery time (a DNS answer changed after the
subscription was saved) is refused without a connection being made, and deliveries pay no lookup of
their own. Against a real local receiver that counts the connections it is offered."""

import asyncio
import datetime as dt
import socket
import uuid

import aiohttp
import pytest

from services.notifications import targets
from services.notifications.dispatch import Options, post

ROW = {"id": uuid.uuid4(), "attempts": 0, "sequence": 1, "event_id": uuid.uuid4(), "type": "LOY_OPT_IN",
       "version": 1, "occurred_at": dt.datetime(2026, 12, 3, tzinfo=dt.timezone.utc), "member_id": None,
       "loyalty_number": None, "data": {}, "program_id": uuid.uuid4()}


class CountingReceiver:
    """A bare HTTP/1.1 receiver on 127.0.0.1 answering 204; counts the connections it accepts."""

    def __init__(self) -> None:
        self.connections = 0
        self._server: asyncio.base_events.Server | None = None

    async def __aenter__(self) -> "CountingReceiver":
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc) -> None:
        self._server.close()
        await self._server.wait_closed()

    @property
    def port(self) -> int:
        return self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        head = await reader.readuntil(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        await reader.readexactly(length)
        writer.write(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
        await writer.drain()
        writer.close()


async def _deliver(url: str, *, allow_private: bool):
    options = Options(timeout_seconds=10, allow_private_targets=allow_private)
    connector = targets.connector(allow_private=allow_private)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10), connector=connector) as session:
        return await post(session, url=url, secrets=["s" * 32], row=ROW, options=options)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
async def test_a_delivery_to_a_private_address_is_refused_before_any_connection(host):
    async with CountingReceiver() as receiver:
        outcome = await _deliver(f"http://{host}:{receiver.port}/hook", allow_private=False)
        assert not outcome.ok and outcome.status_code is None
        assert outcome.error.startswith("refused: ") and "non-public address" in outcome.error
        assert receiver.connections == 0


async def test_the_operator_may_allow_private_addresses():
    async with CountingReceiver() as receiver:
        outcome = await _deliver(f"http://localhost:{receiver.port}/hook", allow_private=True)
        assert outcome.ok and outcome.status_code == 204 and receiver.connections == 1


class _Answers:
    """Stands in for DNS (no resolver we control runs here): answers what a test says a name resolves to."""

    def __init__(self, addresses: list[str]) -> None:
        self.addresses = addresses

    async def resolve(self, host, port=0, family=socket.AF_INET):
        return [{"hostname": host, "host": a, "port": port, "family": family, "proto": 0, "flags": 0}
                for a in self.addresses]

    async def close(self) -> None:
        pass


@pytest.mark.parametrize(("addresses", "refused"), [
    (["93.184.216.34"], None),
    (["93.184.216.34", "10.0.0.7"], "10.0.0.7"),  # one internal answer among public ones
    (["169.254.169.254"], "169.254.169.254"),  # cloud metadata
    (["::ffff:127.0.0.1"], "::ffff:127.0.0.1"),
])
async def test_the_resolver_refuses_a_name_with_any_non_public_answer(addresses, refused):
    resolver = targets.PublicOnlyResolver()
    resolver._inner = _Answers(addresses)
    if refused is None:
        assert [r["host"] for r in await resolver.resolve("hooks.example.com", 443)] == addresses
    else:
        with pytest.raises(targets.TargetRefused, match=f"non-public address \\({refused}\\)"):
            await resolver.resolve("hooks.example.com", 443)
    await resolver.close()
