"""The outbox's retention (outbox.prune_done, the services' `prune-outbox` job): an event is deleted only
once its service's consumers have it and it has been exported, past the retention; the points
service's per-subscriber deliveries go with it."""

import datetime as dt
import os
import pathlib
import subprocess
import sys
import uuid

from services.common.db import create_pool
from services.common.migrations import migrate
from services.common.outbox import prune_done
from services.points.ledger.events import PRUNED_DELIVERIES
from tests.fixtures.postgres import ROOT

NOW = dt.datetime.now(dt.timezone.utc)
OLD, RECENT = NOW - dt.timedelta(days=30), NOW - dt.timedelta(days=1)
MINUS_INFINITY = dt.datetime.min.replace(tzinfo=dt.timezone.utc)


async def _event(conn, schema: str, *, delivered, exported, created=OLD) -> int:
    return await conn.fetchval(
        f"INSERT INTO {schema}.outbox(program_id, event_type, payload, created_at, delivered_at, exported_at)"
        " VALUES ($1, 'X', '{}', $2, $3, $4) RETURNING id", uuid.uuid4(), created, delivered, exported)


async def test_only_done_events_past_the_retention_are_pruned_with_their_deliveries(pools, database, admin_conn,
                                                                                    tmp_path):
    # given a schema with the kernel's outbox and the points service's deliveries table
    schema = f"prune_probe_{uuid.uuid4().hex[:8]}"
    await admin_conn.execute(f"CREATE SCHEMA {schema}")
    pool = await create_pool(database.admin_dsn, schema=schema, application="prune-probe", min_size=1, max_size=1)
    try:
        await migrate(pool, schema=schema, directory=pathlib.Path(tmp_path))
        await admin_conn.execute(
            f"CREATE TABLE {schema}.outbox_deliveries (LIKE points.outbox_deliveries INCLUDING ALL);"
            f" ALTER TABLE {schema}.outbox_deliveries ADD FOREIGN KEY (event_id) REFERENCES {schema}.outbox(id)")
        done = [await _event(admin_conn, schema, delivered=OLD, exported=OLD) for _ in range(4)]
        done.append(await _event(admin_conn, schema, delivered=OLD, exported=MINUS_INFINITY))  # before the export
        unexported = await _event(admin_conn, schema, delivered=OLD, exported=None)
        undelivered = await _event(admin_conn, schema, delivered=None, exported=OLD)
        recent = await _event(admin_conn, schema, delivered=RECENT, exported=RECENT)
        exported_lately = await _event(admin_conn, schema, delivered=OLD, exported=RECENT)
        deliveries = [(s, e) for e in (*done, undelivered, recent) for s in ("member", "tier")] + [("retired", done[0])]
        await admin_conn.executemany(f"INSERT INTO {schema}.outbox_deliveries(subscriber, event_id) VALUES ($1, $2)",
                                     deliveries)

        # when the done events older than a week are pruned, two per transaction
        week_ago = NOW - dt.timedelta(days=7)
        pruned = await prune_done(pool, before=week_ago, batch=2, dependents=[PRUNED_DELIVERIES])

        # then exactly those are gone, with every delivery of theirs (a retired subscriber's too)
        assert pruned == 5
        left = {r["id"] for r in await admin_conn.fetch(f"SELECT id FROM {schema}.outbox")}
        assert left == {unexported, undelivered, recent, exported_lately}
        kept = await admin_conn.fetch(f"SELECT subscriber, event_id FROM {schema}.outbox_deliveries")
        assert sorted((r["subscriber"], r["event_id"]) for r in kept) == sorted(
            (s, e) for e in (undelivered, recent) for s in ("member", "tier"))

        # and an event never exported goes only when asked (a platform without the notifications service)
        assert await prune_done(pool, before=week_ago, dependents=[PRUNED_DELIVERIES]) == 0
        assert await prune_done(pool, before=week_ago, unexported=True, dependents=[PRUNED_DELIVERIES]) == 1
        left = {r["id"] for r in await admin_conn.fetch(f"SELECT id FROM {schema}.outbox")}
        assert left == {undelivered, recent, exported_lately}
    finally:
        await pool.close()
        await admin_conn.execute(f"DROP SCHEMA {schema} CASCADE")


async def test_the_deliveries_of_pruned_events_are_found_by_their_key(pools, admin_conn):
    # a plan read inside a transaction that is rolled back: 150,000 deliveries, no statistics on them
    transaction = admin_conn.transaction()
    await transaction.start()
    try:
        await admin_conn.execute("SET LOCAL search_path = points")
        first = await admin_conn.fetchval(
            "WITH made AS (INSERT INTO outbox(program_id, event_type, payload)"
            " SELECT $1, 'X', '{}' FROM generate_series(1, 50000) RETURNING id) SELECT min(id) FROM made", uuid.uuid4())
        await admin_conn.execute(
            "INSERT INTO outbox_deliveries(subscriber, event_id) SELECT s, id FROM outbox,"
            " unnest(ARRAY['one', 'two', 'three']) AS s WHERE id >= $1", first)
        plan = "\n".join(r[0] for r in await admin_conn.fetch(
            "EXPLAIN " + PRUNED_DELIVERIES, list(range(first, first + 100))))
        assert "Seq Scan on outbox_deliveries" not in plan, plan
        assert "outbox_deliveries_pkey" in plan, plan
    finally:
        await transaction.rollback()


def _job(database, service: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRPC_", "DATABASE_"))}
    env["DATABASE_URL"] = database.service_dsn(service)
    return subprocess.run([sys.executable, "-m", f"services.{service}.jobs", "prune-outbox", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


async def test_the_points_job_prunes_its_done_events_and_refuses_a_retention_under_a_day(pools, database,
                                                                                         admin_conn):
    # given a month-old event every consumer had, with its deliveries, and one delivered yesterday
    old = await _event(admin_conn, "points", delivered=OLD, exported=OLD)
    new = await _event(admin_conn, "points", delivered=RECENT, exported=RECENT)
    await admin_conn.executemany("INSERT INTO points.outbox_deliveries(subscriber, event_id) VALUES ($1, $2)",
                                 [("member", old), ("tier", old), ("member", new)])
    try:
        # when the job runs with a retention under a day, it is refused and deletes nothing
        refused = _job(database, "points", "--keep-days", "0")
        assert refused.returncode != 0 and "--keep-days: 0 is under 1 day" in refused.stderr, refused.stderr
        assert await admin_conn.fetchval("SELECT count(*) FROM points.outbox WHERE id = ANY($1)", [old, new]) == 2

        # when it runs with the default week
        done = _job(database, "points")
        assert done.returncode == 0, done.stderr

        # then the old event and its deliveries are gone, the recent one stays
        assert [r["id"] for r in await admin_conn.fetch(
            "SELECT id FROM points.outbox WHERE id = ANY($1)", [old, new])] == [new]
        assert await admin_conn.fetchval("SELECT count(*) FROM points.outbox_deliveries WHERE event_id = $1", old) == 0
        assert await admin_conn.fetchval("SELECT count(*) FROM points.outbox_deliveries WHERE event_id = $1", new) == 1
    finally:
        await admin_conn.execute("DELETE FROM points.outbox_deliveries WHERE event_id = ANY($1)", [old, new])
        await admin_conn.execute("DELETE FROM points.outbox WHERE id = ANY($1)", [old, new])


async def test_every_service_that_writes_an_outbox_has_the_job(pools, database):
    for service in ("member", "tier", "rewards"):
        done = _job(database, service, "--keep-days", "3650")
        assert done.returncode == 0 and "pruned 0 outbox events" in done.stdout, (service, done.stderr)

