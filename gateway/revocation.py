"""The revocation feed: how every gateway replica learns at once that a session or an API key is dead.

`RevocationFeed` is the interface the gateway's authentication uses; `IdentityRevocationFeed` is the
PostgreSQL-backed implementation (the identity service LISTENs on the `loyalty_revocations` channel,
which its sessions table and the member service's API-key table NOTIFY on commit, and streams it to
every watching gateway). Another store (an Ignite cache, say) implements the same four members.

While the feed is not live the gateway caches no API key and asks the identity service about each
session, so nothing revoked is ever honoured because an event was missed.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Protocol

from loyalty.identity.v1 import identity_service_pb2 as identity_pb
from loyalty.identity.v1 import identity_service_pb2_grpc

log = logging.getLogger(__name__)


class RevocationFeed(Protocol):
    @property
    def live(self) -> bool: ...

    def session_revoked(self, session_id: str) -> bool: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class IdentityRevocationFeed:
    def __init__(self, stub: identity_service_pb2_grpc.IdentityServiceStub, *, on_api_key_revoked: Callable[[str], None], on_reset: Callable[[], None],
                 remember_seconds: float):
        self._stub: identity_service_pb2_grpc.IdentityServiceStub = stub
        self._on_key = on_api_key_revoked
        self._on_reset = on_reset
        self._remember = remember_seconds  # an access token's lifetime: older sessions' tokens are dead anyway
        self._sessions: dict[str, float] = {}
        self._live = False
        self._task: asyncio.Task | None = None

    @property
    def live(self) -> bool:
        return self._live

    def session_revoked(self, session_id: str) -> bool:
        return session_id in self._sessions

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="revocation-feed")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _prune(self) -> None:
        cutoff = time.monotonic() - self._remember
        if len(self._sessions) > 1000:
            self._sessions = {k: v for k, v in self._sessions.items() if v > cutoff}

    async def _run(self) -> None:
        while True:
            try:
                call = self._stub.WatchRevocations(
                    identity_pb.WatchRevocationsRequest(since_seconds=int(self._remember) + 60))
                async for event in call:
                    if event.kind == "session":
                        self._sessions[event.id] = time.monotonic()
                        self._prune()
                    elif event.kind == "api_key":
                        self._on_key(event.id)
                    elif event.kind == "snapshot_done":
                        self._on_reset()  # whatever was cached before may have been revoked meanwhile
                        self._live = True
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.info("revocation feed interrupted (%s); reconnecting", type(exc).__name__)
            self._live = False
            self._on_reset()
            await asyncio.sleep(0.5)
