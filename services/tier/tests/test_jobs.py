"""`python -m services.tier.jobs evaluate` as a real process: killed at any point, a rerun
finishes the work once; a rerun for the same date skips; a forced rerun changes nothing."""

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import uuid

from services.tier.tests.conftest import Member, earn, restaurant_slab
from tests.fixtures.postgres import ROOT


def job(database, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRPC_", "DATABASE_"))}
    env["DATABASE_URL"] = database.service_dsn("tier")
    return subprocess.Popen([sys.executable, "-m", "services.tier.jobs", "evaluate", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


async def test_the_job_resumes_after_a_kill_and_a_rerun_changes_nothing(program, database, admin_conn):
    # given 60 Superkings of 2025-01-10 who stopped earning, and 3 slabs to evaluate
    await program.define(restaurant_slab())
    await program.define(restaurant_slab(code="b"))
    await program.define(restaurant_slab(code="c"))
    guests = [Member() for _ in range(60)]
    await program.consume(*(earn(program, g, 15_000, dt.date(2025, 1, 10)) for g in guests))
    args = ("--as-of", "2025-07-10", "--program", program.program_id)

    # when the job is killed wherever it got to, then run again
    first = job(database, *args)
    first.send_signal(signal.SIGKILL)
    first.wait()
    second = job(database, *args)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err

    # then every guest was downgraded exactly once in every slab
    pid = uuid.UUID(program.program_id)
    counts = await admin_conn.fetch(
        "SELECT slab_code, count(*) AS n FROM tier.tier_history WHERE program_id = $1 AND change = 'downgrade'"
        " GROUP BY slab_code ORDER BY slab_code", pid)
    assert [(r["slab_code"], r["n"]) for r in counts] == [("b", 60), ("c", 60), ("status", 60)]
    downgrades = await admin_conn.fetchval(
        "SELECT count(*) FROM tier.outbox WHERE program_id = $1 AND event_type = 'TIER_DOWNGRADE'", pid)
    assert downgrades == 180

    # and a rerun skips, a forced rerun changes nothing
    again = job(database, *args)
    lines = [json.loads(line) for line in again.communicate(timeout=120)[0].splitlines()]
    assert all(line["skipped"] for line in lines) and len(lines) == 3
    forced = job(database, *args, "--force")
    lines = [json.loads(line) for line in forced.communicate(timeout=120)[0].splitlines()]
    assert {(line["upgrades"], line["downgrades"], line["anniversaries"]) for line in lines} == {(0, 0, 0)}
    assert await admin_conn.fetchval(
        "SELECT count(*) FROM tier.tier_history WHERE program_id = $1 AND change = 'downgrade'", pid) == 180


def test_a_bad_date_stops_the_job_with_a_message(database):
    proc = job(database, "--as-of", "tomorrow")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "--as-of" in err
