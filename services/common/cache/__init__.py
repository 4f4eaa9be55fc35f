"""The shared cache: state every replica of the gateway and of a service sees alike (docs/cache.md).

One interface (`SharedCache`, store.py) and two implementations: `NoCache` (the platform on
PostgreSQL alone: every read misses, every write is dropped) and `IgniteCache` (Apache Ignite through
pyignite's asyncio thin client, each call under a short deadline, behind a circuit breaker). Nothing
that decides money or access is answered only by the cache: a miss, a timeout or an open breaker
means "ask PostgreSQL", never an error.

What lives in it, one module per concern:
- member_cards.py: the till's member card (what `enquire`/`identify` show), written through after
  each posting commits, versioned so a stale card never overwrites a newer one.
- counters.py: compare-and-set built counters and a shared token bucket (GCRA) for rate limits.
The gateway keeps API-key principals in it (gateway/auth.py) and the rules engine its published
rule sets (services/points/rules/).
"""

from services.common.cache.store import NoCache, SharedCache, open_cache

__all__ = ["NoCache", "SharedCache", "open_cache"]
