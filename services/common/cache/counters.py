"""Counters and rate limits every replica shares, made of the cache's compare-and-set.

`incr` is a counter; `take` is a token bucket (GCRA: the entry is the bucket's "theoretical arrival
time", so one compare-and-set per request), with the token-bucket semantics of gateway/limits.py's
in-process limiter. Both answer None when the cache cannot: the caller then uses its local one.
"""

import asyncio
import random
import time

from services.common.cache.store import SharedCache

ATTEMPTS = 64  # compare-and-set rounds before giving up (the caller then decides locally)


async def _backoff(attempt: int) -> None:
    """After a lost race: a short random pause, so contenders do not collide again in lockstep."""
    await asyncio.sleep(random.uniform(0, 0.0005 * min(attempt + 1, 8)))


async def incr(cache: SharedCache, key: str, *, by: int = 1, name: str = "counters") -> int | None:
    for attempt in range(ATTEMPTS):
        current = await cache.get(name, key)
        if current is None and not cache.available:
            return None
        value = (int(current) if current and current.lstrip("-").isdigit() else 0) + by
        swapped = await cache.compare_and_set(name, key, current, str(value))
        if swapped is None:
            return None
        if swapped:
            return value
        await _backoff(attempt)
    return None


async def take(cache: SharedCache, key: str, *, rate: float, burst: int, cost: int = 1,
               clock=time.time) -> float | None:
    """0 when `cost` requests may go on, else the seconds to wait; None when the cache could not say."""
    if rate <= 0:
        return 60.0
    interval = 1.0 / rate
    tolerance = interval * max(burst - 1, 0)  # how far ahead of now the bucket may run: burst requests at once
    for attempt in range(ATTEMPTS):
        current = await cache.get("rates", key)
        if current is None and not cache.available:
            return None
        now = clock()
        try:
            tat = max(float(current), now) if current else now
        except ValueError:
            tat = now
        over = tat + interval * (cost - 1) - now - tolerance  # past the burst after taking `cost`
        if over > 0:
            return over
        swapped = await cache.compare_and_set("rates", key, current, repr(tat + interval * cost))
        if swapped is None:
            return None
        if swapped:
            return 0.0
        await _backoff(attempt)
    return None
