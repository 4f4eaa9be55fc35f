"""Points past 2^53 (the gateway's Long scalar; JavaScript's exact limit) reach the till and the
receipt exactly: the agent never goes through a float."""

import asyncpg
import httpx
import pytest

from store_agent.platform import points
from tests.e2e.test_rules_graphql import publish
from tests.store.conftest import print_job, receipt

pytestmark = pytest.mark.e2e

PROGRAM_ID = "query($p: String!) { program(program: $p) { id } }"
RATE = 10007  # points a euro
AMOUNT = "900099999999"  # the largest amounts the platform takes are below 10^12
POINTS = 900099999999 * RATE  # 9007300699989993: odd and past 2^53, so no float holds it


async def test_a_balance_past_2_53_reaches_the_till_and_the_receipt_exactly(platform, store, printer, agents):
    assert POINTS > 2**53 and float(POINTS) != POINTS
    # given a program that pays 10007 points a euro, and lets one posting credit that much (no API sets
    # the per-posting maximum above its default of 10^9: the program's row says so here)
    await publish(store.admin, store.program, "base", [{"code": "big", "action": {"points_per_unit": str(RATE)}}])
    program_id = (await store.admin(PROGRAM_ID, p=store.program)).ok()["program"]["id"]
    conn = await asyncpg.connect(platform.env["TEST_DSN_POINTS"], server_settings={"search_path": "points"})
    try:
        async with conn.transaction():
            await conn.execute("SELECT set_config('app.program_id', $1, true)", program_id)
            assert await conn.execute("UPDATE programs SET max_points_per_posting = $1", 2**62) == "UPDATE 1"
    finally:
        await conn.close()
    number = await store.member()
    agent = agents(platform_url=platform.url, store=store, printer_port=printer.port).start()
    async with httpx.AsyncClient(base_url=agent.url, timeout=30) as till:
        # when the till earns on a bill worth that many points
        earned = await till.post("/v1/earn", json={"loyalty_number": number, "amount": AMOUNT, "reference": "R-BIG"})
        # then the posted answer, the enquiry and the receipt carry the exact number
        assert earned.status_code == 200, earned.text
        body = earned.json()
        assert (body["status"], body["points"], body["old_balance"], body["new_balance"]) == \
            ("posted", POINTS, 0, POINTS)
        assert [line["points"] for line in body["lines"]] == [POINTS]
        enquiry = await till.get(f"/v1/members/{number}")
        assert enquiry.status_code == 200, enquiry.text
        assert enquiry.json()["available_points"] == POINTS
    assert await store.balance(number) == POINTS
    sent = receipt("R-BIG", AMOUNT + ".00")
    await print_job(int(agent.env["STORE_AGENT_PROXY_PORT"]), sent)
    job = (await printer.wait_jobs(1))[0]
    block = job[sent.rindex(b"\x1dV"):].decode("cp437")
    assert f"+{POINTS}" in block and f"{POINTS} pts" in block


def test_points_as_the_long_scalar_may_send_them():
    # a JSON number (today) or a string of digits (64-bit-safe serialisations), never rounded
    assert points(POINTS) == POINTS and points(str(POINTS)) == POINTS and points(f" {-POINTS} ") == -POINTS
    assert points(None) == 0 and points(12.0) == 12
    # a float past 2^53 has already lost the number (JSON parsers that read numbers as doubles): refused
    for bad in (True, "12.5", "9e15", 1.5, "", "0x10", float(POINTS)):
        with pytest.raises(ValueError):
            points(bad)
