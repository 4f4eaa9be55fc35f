"""The shared cache's interface against a real Ignite node: reads, compare-and-set, versioned entries,
shared counters and rate limits, and the circuit breaker when the node dies and comes back."""

import asyncio
import uuid

from services.common.cache import NoCache, counters, member_cards, open_cache, versioned
from services.common.cache.breaker import CLOSED, OPEN


def unique() -> str:
    return uuid.uuid4().hex


async def test_values_and_compare_and_set(ignite):
    cache = open_cache(ignite.address, deadline_seconds=2.0)
    key = unique()
    assert await cache.get("counters", key) is None
    assert await cache.compare_and_set("counters", key, None, "a") is True
    assert await cache.compare_and_set("counters", key, None, "b") is False
    assert await cache.compare_and_set("counters", key, "a", "c") is True
    assert await cache.get("counters", key) == "c"
    assert await cache.remove("counters", key) is True
    assert await cache.get("counters", key) is None
    assert cache.health()["state"] == CLOSED
    await cache.close()


async def test_an_older_version_never_overwrites_a_newer_one(ignite):
    cache = open_cache(ignite.address, deadline_seconds=2.0)
    key = unique()
    assert await versioned.put_if_newer(cache, "counters", key, version=5, payload="five") is True
    assert await versioned.put_if_newer(cache, "counters", key, version=4, payload="four") is False
    assert await versioned.put_if_newer(cache, "counters", key, version=7, payload="seven") is True
    # writers racing with versions 8..27 in any order: the highest stays
    versions = list(range(8, 28))
    await asyncio.gather(*(versioned.put_if_newer(cache, "counters", key, version=v, payload=str(v))
                           for v in reversed(versions)))
    assert versioned.decode(await cache.get("counters", key)) == (27, "27")
    await cache.close()


async def test_a_writers_memory_saves_the_get_but_never_stops_a_write(ignite):
    cache = open_cache(ignite.address, deadline_seconds=2.0)
    key, known = unique(), versioned.Known()
    assert await versioned.put_if_newer(cache, "counters", key, version=5, payload="five", known=known) is True
    assert await versioned.put_if_newer(cache, "counters", key, version=6, payload="six", known=known) is True
    assert await cache.remove("counters", key)  # gone behind the writer's back (a restarted cache, an eviction)
    assert await versioned.put_if_newer(cache, "counters", key, version=6, payload="six", known=known) is True
    assert versioned.decode(await cache.get("counters", key)) == (6, "six")
    # a wrong memory only costs round trips: an older version still never lands
    assert await cache.compare_and_set("counters", key, versioned.encode(6, "six"), versioned.encode(9, "nine"))
    assert await versioned.put_if_newer(cache, "counters", key, version=7, payload="seven", known=known) is False
    assert versioned.decode(await cache.get("counters", key)) == (9, "nine")
    await cache.close()


async def test_member_card_expires_with_its_next_lot(ignite):
    cache = open_cache(ignite.address, deadline_seconds=2.0)
    program = uuid.uuid4()
    await member_cards.store(cache, program_id=program, loyalty_number="L1", version=1, summary={"available": 5},
                             valid_until="2000-01-01T00:00:00Z")
    await member_cards.store(cache, program_id=program, loyalty_number="L2", version=1, summary={"available": 7},
                             valid_until=None)
    assert await member_cards.load(cache, program_id=program, loyalty_number="L1") is None
    assert await member_cards.load(cache, program_id=program, loyalty_number="L2") == {"available": 7}
    await cache.close()


async def test_counters_are_exact_across_clients(ignite):
    # two clients (two replicas) counting concurrently: no increment lost
    one, two = open_cache(ignite.address, deadline_seconds=2.0), open_cache(ignite.address, deadline_seconds=2.0)
    key = unique()
    results = await asyncio.gather(*(counters.incr(c, key) for _ in range(15) for c in (one, two)))
    assert sorted(results) == list(range(1, 31))
    await one.close()
    await two.close()


async def test_a_shared_bucket_allows_burst_then_refuses_on_every_replica(ignite):
    one, two = open_cache(ignite.address, deadline_seconds=2.0), open_cache(ignite.address, deadline_seconds=2.0)
    key = unique()
    now = 1_000_000.0
    answers = [await counters.take(c, key, rate=1.0, burst=4, clock=lambda: now) for c in (one, two, one, two, one)]
    assert answers[:4] == [0.0, 0.0, 0.0, 0.0] and answers[4] > 0
    await one.close()
    await two.close()


async def test_no_cache_answers_as_empty():
    cache = NoCache()
    assert await cache.get("member_cards", "x") is None
    assert await cache.compare_and_set("counters", "x", None, "1") is None
    assert await counters.incr(cache, "x") is None
    assert cache.health() == {"backend": "none", "state": "off"}


async def test_node_killed_the_breaker_opens_and_closes_when_it_returns(ignite):
    cache = open_cache(ignite.address, deadline_seconds=0.3)
    cache.breaker._open_seconds = 0.2
    recovered = []
    cache.on_recovered(lambda: recovered.append(True))
    key = unique()
    assert await cache.put("counters", key, "1") is True
    ignite.kill()
    try:
        for _ in range(5):  # every call answers (a miss), none raises
            assert await cache.get("counters", key) is None
        assert cache.health()["state"] == OPEN
    finally:
        ignite.start()
    # bounded wait for the probe to find the new node
    for _ in range(100):
        if await cache.put("counters", key, "2"):
            break
        await asyncio.sleep(0.1)
    assert cache.health()["state"] == CLOSED and recovered
    assert await cache.get("counters", key) == "2"
    await cache.close()


async def test_two_gateway_limiters_share_a_keys_bucket_and_fall_back_to_their_own(ignite):
    from gateway.limits import SharedRateLimiter

    one = SharedRateLimiter(open_cache(ignite.address, deadline_seconds=2.0))
    two = SharedRateLimiter(open_cache(ignite.address, deadline_seconds=2.0))
    key = f"key:api_key:{unique()}"
    waits = [await limiter.take(key, rate=0.5, burst=6) for _ in range(4) for limiter in (one, two)]
    # six requests pass across both replicas, not six on each
    assert waits[:6] == [0.0] * 6 and all(w > 0 for w in waits[6:])
    # per-IP buckets stay per replica
    assert [await one.take("ip:10.0.0.1", rate=0.5, burst=1), await two.take("ip:10.0.0.1", rate=0.5, burst=1)] == [0, 0]
    # no cache: each replica's own bucket decides, nothing fails
    alone = SharedRateLimiter(NoCache())
    assert await alone.take(key, rate=0.5, burst=1) == 0.0 and await alone.take(key, rate=0.5, burst=1) > 0


async def test_an_api_key_stored_after_its_revocation_is_undone(ignite):
    from gateway.auth import SharedApiKeys
    from loyalty.member.v1 import member_service_pb2 as member_pb

    cache = open_cache(ignite.address, deadline_seconds=2.0)
    keys = SharedApiKeys(cache)
    found = member_pb.ApiKeyPrincipal(key_id=unique(), program_code="p", scopes=["points.read"])
    await keys.put("secret-1", found)
    assert (await keys.get("secret-1")).key_id == found.key_id
    keys.revoked(found.key_id)
    await asyncio.gather(*keys._tasks)
    assert await keys.get("secret-1") is None
    # a replica that authenticated the key just before the revocation and stores it just after
    await keys.put("secret-1", found)
    assert await keys.get("secret-1") is None
    await cache.close()


async def test_leased_tokens_never_let_two_replicas_past_the_shared_burst(ignite):
    from gateway.limits import SharedRateLimiter

    one = SharedRateLimiter(open_cache(ignite.address, deadline_seconds=2.0), lease_fraction=0.1)
    two = SharedRateLimiter(open_cache(ignite.address, deadline_seconds=2.0), lease_fraction=0.1)
    key = f"key:api_key:{unique()}"
    waits = await asyncio.gather(*(limiter.take(key, rate=0.001, burst=100) for _ in range(100)
                                   for limiter in (one, two)))
    assert sum(1 for w in waits if w == 0) == 100  # leases of 10, taken whole: exactly the burst
