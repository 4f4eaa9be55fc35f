"""The relay's mark of a delivered event (ledger/events.py DELIVERED): an event leaves the working set once
every registered subscriber has it, and never by scanning every delivery recorded before (the table only
grows)."""

import uuid

from services.points.ledger.events import DELIVERED, DUE


async def _in_rolled_back_transaction(admin_conn, check) -> None:
    transaction = admin_conn.transaction()
    await transaction.start()
    try:
        await admin_conn.execute("SET LOCAL search_path = points")
        await admin_conn.execute("DELETE FROM outbox_subscribers")  # this transaction's own set of subscribers
        await check()
    finally:
        await transaction.rollback()


async def test_an_event_is_delivered_once_every_registered_subscriber_has_it(pools, admin_conn):
    async def check():
        await admin_conn.execute("INSERT INTO outbox_subscribers(subscriber) VALUES ('one'), ('two')")
        ids = [await admin_conn.fetchval("INSERT INTO outbox(program_id, event_type, payload)"
                                         " VALUES ($1, 'X', '{}') RETURNING id", uuid.uuid4()) for _ in range(3)]
        deliveries = [("one", ids[0]), ("two", ids[0]), ("one", ids[1]), ("gone", ids[2]), ("one", ids[2])]
        await admin_conn.execute("INSERT INTO outbox_subscribers(subscriber) VALUES ('gone')")
        await admin_conn.executemany("INSERT INTO outbox_deliveries(subscriber, event_id) VALUES ($1, $2)", deliveries)
        await admin_conn.execute("DELETE FROM outbox_subscribers WHERE subscriber = 'gone'")  # retired for good
        await admin_conn.execute(DELIVERED, ids)
        done = await admin_conn.fetch("SELECT id, delivered_at IS NOT NULL AS done FROM outbox WHERE id = ANY($1)"
                                      " ORDER BY id", ids)
        assert [r["done"] for r in done] == [True, False, False]
        # with nobody registered, nothing is waited for (as the relay clears the working set then)
        await admin_conn.execute("DELETE FROM outbox_subscribers")
        await admin_conn.execute(DELIVERED, ids[1:])
        assert await admin_conn.fetchval("SELECT count(*) FROM outbox WHERE id = ANY($1) AND delivered_at IS NULL",
                                         ids) == 0

    await _in_rolled_back_transaction(admin_conn, check)


async def test_the_mark_looks_each_delivery_up_by_its_key_whatever_the_statistics_say(pools, admin_conn):
    async def check():
        await admin_conn.execute("INSERT INTO outbox_subscribers(subscriber) VALUES ('one'), ('two'), ('three')")
        first = await admin_conn.fetchval(
            "WITH made AS (INSERT INTO outbox(program_id, event_type, payload)"
            " SELECT $1, 'X', '{}' FROM generate_series(1, 5000) RETURNING id) SELECT min(id) FROM made", uuid.uuid4())
        await admin_conn.execute(
            "INSERT INTO outbox_deliveries(subscriber, event_id) SELECT s, id FROM outbox,"
            " unnest(ARRAY['one', 'two', 'three']) AS s WHERE id >= $1", first)  # newer than any statistics
        plan = "\n".join(r[0] for r in await admin_conn.fetch("EXPLAIN " + DELIVERED, list(range(first, first + 100))))
        assert "Seq Scan on outbox_deliveries" not in plan, plan
        assert "outbox_deliveries_pkey" in plan, plan

    await _in_rolled_back_transaction(admin_conn, check)


async def test_the_relay_reads_only_undelivered_events_however_many_were_delivered_before(pools, admin_conn):
    async def check():
        await admin_conn.execute(
            "INSERT INTO outbox(program_id, event_type, payload, delivered_at)"
            " SELECT $1, 'X', '{}', now() FROM generate_series(1, 50000)", uuid.uuid4())
        await admin_conn.execute("INSERT INTO outbox(program_id, event_type, payload)"
                                 " SELECT $1, 'X', '{}' FROM generate_series(1, 200)", uuid.uuid4())
        await admin_conn.execute(  # delivered to others, and newer than the deliveries' statistics
            "INSERT INTO outbox_deliveries(subscriber, event_id) SELECT s, id FROM outbox,"
            " unnest(ARRAY['tier', 'billing']) AS s WHERE id > (SELECT max(id) - 20000 FROM outbox)")
        for analysed in (False, True):  # statistics lagging behind the table, then up to date
            if analysed:
                await admin_conn.execute("ANALYZE outbox")
            plan = "\n".join(r[0] for r in await admin_conn.fetch(
                "EXPLAIN (ANALYZE, BUFFERS) " + DUE, "member", 100, []))
            assert "outbox_undelivered" in plan, plan  # an index of the undelivered alone
            assert "Rows Removed by Filter" not in plan, plan  # no walk past delivered events
            assert "Seq Scan on outbox" not in plan, plan  # nor a scan of either table
            assert "Index Only Scan using outbox_deliveries_pkey" in plan, plan  # each delivery probed by its key

    await _in_rolled_back_transaction(admin_conn, check)
