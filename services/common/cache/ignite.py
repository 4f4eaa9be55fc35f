"""The shared cache on Apache Ignite, through pyignite's asyncio thin client (no thread pool needed).

Each call runs under a short deadline; failures and timeouts feed a circuit breaker, and while it is
open every call answers at once as if the cache were empty (callers read PostgreSQL). After the
breaker's pause one call probes a fresh connection; when it succeeds the cache is used again and the
`on_recovered` callbacks run (what was written meanwhile went to PostgreSQL only, so callers drop
what may have gone stale), after which entries are rebuilt lazily, on the next misses.
"""

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pyignite import AioClient
from pyignite.datatypes import String
from pyignite.datatypes.cache_config import CacheAtomicityMode, CacheMode
from pyignite.datatypes.expiry_policy import ExpiryPolicy
from pyignite.datatypes.prop_codes import (
    PROP_BACKUPS_NUMBER, PROP_CACHE_ATOMICITY_MODE, PROP_CACHE_MODE, PROP_EXPIRY_POLICY, PROP_NAME,
)

from services.common.cache.breaker import CircuitBreaker
from services.common.cache.store import CACHES

log = logging.getLogger(__name__)
T = TypeVar("T")
CONNECT_SECONDS = 1.0


def parse_addresses(addresses: str) -> list[tuple[str, int]]:
    nodes = []
    for item in addresses.split(","):
        host, _, port = item.strip().rpartition(":")
        if item.strip():
            nodes.append((host or "127.0.0.1", int(port or 10800)))
    return nodes


def cache_config(name: str, ttl_seconds: float) -> dict:
    ttl = dt.timedelta(seconds=ttl_seconds)
    return {
        PROP_NAME: name,
        PROP_CACHE_MODE: CacheMode.PARTITIONED,
        PROP_BACKUPS_NUMBER: 1,  # a node lost in the cluster loses no entry (a lost entry is only a miss)
        PROP_CACHE_ATOMICITY_MODE: CacheAtomicityMode.ATOMIC,  # replace_if_equals is atomic per key
        PROP_EXPIRY_POLICY: ExpiryPolicy(create=ttl, update=ttl),
    }


class IgniteCache:
    backend = "ignite"

    def __init__(self, addresses: str, *, deadline_seconds: float = 0.5, prefix: str = "loyalty",
                 breaker: CircuitBreaker | None = None):
        self._nodes = parse_addresses(addresses)
        self._deadline = deadline_seconds
        self._prefix = prefix
        self.breaker = breaker or CircuitBreaker()
        self._client: AioClient | None = None
        self._caches: dict[str, object] = {}
        self._connecting: asyncio.Lock | None = None
        self._recovered: list[Callable[[], None]] = []

    @property
    def available(self) -> bool:
        return self.breaker.state == "closed"

    def on_recovered(self, callback: Callable[[], None]) -> None:
        self._recovered.append(callback)

    def health(self) -> dict:
        return {"backend": "ignite", "nodes": [f"{h}:{p}" for h, p in self._nodes], **self.breaker.snapshot()}

    # --- the calls ---------------------------------------------------------------------------------

    async def get(self, cache: str, key: str) -> str | None:
        return await self._call(cache, lambda c: c.get(key, key_hint=String), None)

    async def put(self, cache: str, key: str, value: str) -> bool:
        return await self._call(cache, lambda c: _true(c.put(key, value, key_hint=String, value_hint=String)), False)

    async def remove(self, cache: str, key: str) -> bool:
        return await self._call(cache, lambda c: _true(c.remove_key(key, key_hint=String)), False)

    async def compare_and_set(self, cache: str, key: str, expected: str | None, value: str) -> bool | None:
        if expected is None:
            op = lambda c: c.put_if_absent(key, value, key_hint=String, value_hint=String)  # noqa: E731
        else:
            op = lambda c: c.replace_if_equals(key, expected, value, key_hint=String, sample_hint=String,  # noqa: E731
                                               value_hint=String)
        return await self._call(cache, op, None)

    async def clear(self, cache: str) -> bool:
        return await self._call(cache, lambda c: _true(c.clear()), False)

    async def close(self) -> None:
        await self._drop()

    # --- the machinery -----------------------------------------------------------------------------

    async def _call(self, cache: str, op: Callable[[object], Awaitable[T]], fallback: T) -> T:
        if not self.breaker.allow():
            return fallback
        try:
            handle = await self._cache(cache)
            result = await asyncio.wait_for(op(handle), timeout=self._deadline)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # timeouts, a lost connection, a node restarting: all mean "ask PostgreSQL"
            if self.breaker.failed():
                log.warning("cache unavailable (%s: %s): answering from PostgreSQL", type(exc).__name__, exc)
            if not isinstance(exc, TimeoutError) or self.breaker.state != "closed":
                # a lost connection (or a probe that failed) is made anew by the next call the breaker lets
                # through; a slow answer on a live connection is not a reason to reconnect (that costs more)
                await self._drop()
            return fallback
        if self.breaker.succeeded():
            log.info("cache available again: rebuilt lazily from here")
            for callback in self._recovered:
                try:
                    callback()
                except Exception:
                    log.exception("cache recovery callback failed")
        return result

    async def _cache(self, name: str):
        handle = self._caches.get(name)
        if handle is not None and self._client is not None:
            return handle
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._client is None:
                client = AioClient(partition_aware=False)
                await asyncio.wait_for(client.connect(self._nodes), timeout=CONNECT_SECONDS)
                self._client, self._caches = client, {}
            handle = self._caches.get(name)
            if handle is None:
                full = f"{self._prefix}_{name}"
                handle = await asyncio.wait_for(
                    self._client.get_or_create_cache(cache_config(full, CACHES.get(name, 600.0))),
                    timeout=CONNECT_SECONDS)
                self._caches[name] = handle
            return handle

    async def _drop(self) -> None:
        client, self._client, self._caches = self._client, None, {}
        if client is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.close(), timeout=CONNECT_SECONDS)


async def _true(awaitable: Awaitable) -> bool:
    await awaitable
    return True
