"""The shared cache's interface and its PostgreSQL-only implementation.

Values are strings (JSON where structured). Every method answers without raising: a read that cannot
be served is a miss (None), a write that cannot be made is False. Callers fall back to PostgreSQL.
"""

from typing import Protocol

# The named caches and how long an entry lives at most. A TTL is only a bound on what a missed
# invalidation can cost; freshness comes from write-through and published invalidations.
CACHES: dict[str, float] = {
    "member_cards": 3600.0,   # the till's member card (member_cards.py)
    "api_keys": 600.0,        # API-key principals, forgotten on revocation (gateway/auth.py)
    "rule_sets": 3600.0,      # a program's published rule sets, replaced on publish (points rules)
    "rates": 120.0,           # rate-limit buckets (counters.py)
    "counters": 3600.0,       # plain counters (counters.py)
}


class SharedCache(Protocol):
    backend: str  # "ignite" or "none"

    @property
    def available(self) -> bool:
        """False while the circuit breaker is open (calls then answer at once without trying)."""

    async def get(self, cache: str, key: str) -> str | None: ...

    async def put(self, cache: str, key: str, value: str) -> bool: ...

    async def remove(self, cache: str, key: str) -> bool: ...

    async def compare_and_set(self, cache: str, key: str, expected: str | None, value: str) -> bool | None:
        """Set `value` if the entry is `expected` (None: absent). None when the cache could not answer."""

    async def clear(self, cache: str) -> bool: ...

    def health(self) -> dict: ...

    def on_recovered(self, callback) -> None:
        """`callback()` (sync) each time the cache comes back after being unreachable."""

    async def close(self) -> None: ...


class NoCache:
    """PostgreSQL alone: nothing is cached, so nothing can be stale."""

    backend = "none"
    available = False

    async def get(self, cache: str, key: str) -> str | None:
        return None

    async def put(self, cache: str, key: str, value: str) -> bool:
        return False

    async def remove(self, cache: str, key: str) -> bool:
        return False

    async def compare_and_set(self, cache: str, key: str, expected: str | None, value: str) -> bool | None:
        return None

    async def clear(self, cache: str) -> bool:
        return False

    def health(self) -> dict:
        return {"backend": "none", "state": "off"}

    def on_recovered(self, callback) -> None:
        return None

    async def close(self) -> None:
        return None


def open_cache(addresses: str | None, *, deadline_seconds: float = 0.5, prefix: str = "loyalty") -> SharedCache:
    """IGNITE_ADDRESSES ("host:port,host:port") -> the Ignite cache; unset or empty -> NoCache."""
    if not addresses:
        return NoCache()
    from services.common.cache.ignite import IgniteCache  # pyignite only where Ignite is configured
    return IgniteCache(addresses, deadline_seconds=deadline_seconds, prefix=prefix)
