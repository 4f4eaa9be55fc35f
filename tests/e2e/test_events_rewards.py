"""Rewards and campaigns end to end: claims, settlements, voids and vouchers written to the rewards
service's outbox in their transactions leave as catalogue events like the others, and the
campaign-events job emits a campaign's start and end once each."""

import asyncio
import datetime as dt
import json
import pathlib
import subprocess
import sys

import pytest

from services.notifications import catalogue
from tests.e2e.test_contract import new_program
from tests.e2e.test_events import Notifications
from tests.e2e.test_rewards_pos import CLAIM, CREATE_REWARD, SETTLE, VOID_ORDER, member_with_points
from tests.e2e.test_rules_graphql import SAVE_CAMPAIGN

pytestmark = pytest.mark.e2e
ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
async def ids(platform):
    made = Notifications(platform)
    yield made
    await made.close()


async def test_claims_settlements_vouchers_and_voids_become_events(admin, ids):
    # given a coffee and a cinema voucher, and a member with points
    program = await new_program(admin)
    (await admin(CREATE_REWARD, program=program, code="coffee", cost=100, stock=10)).ok()
    (await admin(CREATE_REWARD, program=program, code="cinema", cost=50, kind="partner_voucher", plu=None,
                 partner="cinemas-sa")).ok()
    number, _ = await member_with_points(admin, program, 500)

    # when the member claims a coffee that is settled, a voucher, and a coffee whose order is voided
    (await admin(CLAIM, program=program, number=number, reward="coffee", reference="c-1", order="o-1")).ok()
    (await admin(SETTLE, program=program, reference="c-1")).ok()
    voucher = (await admin(CLAIM, program=program, number=number, reward="cinema", reference="v-1")).ok()
    (await admin(CLAIM, program=program, number=number, reward="coffee", reference="c-2", order="o-2")).ok()
    (await admin(VOID_ORDER, program=program, order="o-2")).ok()

    # then each is its catalogue event, valid, in order, once
    program_id = await ids.program_id(program)
    wanted = ["REWARD_CLAIMED", "REWARD_SETTLED", "REWARD_CLAIMED", "VOUCHER_ISSUED", "REWARD_CLAIMED", "REWARD_VOIDED"]
    for _ in range(300):
        found = [e for e in await ids.events(program_id, number) if e.type.startswith(("REWARD_", "VOUCHER_"))]
        if len(found) >= len(wanted):
            break
        await asyncio.sleep(0.1)
    assert [e.type for e in found] == wanted
    data = [json.loads(e.data_json) for e in found]
    for event, body in zip(found, data):
        assert catalogue.validation_errors(event.type, body) == []
    assert [d["reward_code"] for d in data] == ["coffee", "coffee", "cinema", "cinema", "coffee", "coffee"]
    assert data[0]["redemption_id"] == data[1]["redemption_id"] and data[0]["reference"] == "c-1"
    assert data[3]["voucher_id"] == voucher["claimReward"]["voucherCode"]
    assert data[5]["reason"] == "order o-2 voided" or data[5]["reason"] == "order cancelled"
    assert len({e.id for e in found}) == len(found)


def run_campaign_job(platform, program_id: str) -> str:
    env = dict(platform.env, DATABASE_URL=platform.env["TEST_DSN_NOTIFICATIONS"])
    done = subprocess.run([sys.executable, "-m", "services.notifications.jobs", "campaign-events",
                           "--program", program_id], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_the_campaign_job_emits_start_and_end_once(admin, ids, platform):
    # given a member (so the notifications service knows the program) and a campaign open now, ending soon
    program = await new_program(admin)
    number, _ = await member_with_points(admin, program, 0)
    program_id = await ids.program_id(program)
    await ids.eventually(program_id, number, {"LOY_OPT_IN"})
    now = dt.datetime.now(dt.timezone.utc)
    ends = now + dt.timedelta(seconds=3)
    (await admin(SAVE_CAMPAIGN, program=program, code="flash", starts=(now - dt.timedelta(hours=1)).isoformat(),
                 ends=ends.isoformat(), segments=[])).ok()

    # when the job runs twice while it is open, and twice after it closed
    run_campaign_job(platform, program_id)
    run_campaign_job(platform, program_id)
    await asyncio.sleep(max(0.0, (ends - dt.datetime.now(dt.timezone.utc)).total_seconds()) + 0.5)
    run_campaign_job(platform, program_id)
    run_campaign_job(platform, program_id)

    # then one CAMPAIGN_STARTED and one CAMPAIGN_ENDED, valid, at the window's edges
    found = [e for e in await ids.events(program_id) if e.type.startswith("CAMPAIGN_")]
    assert [e.type for e in found] == ["CAMPAIGN_STARTED", "CAMPAIGN_ENDED"]
    for event in found:
        body = json.loads(event.data_json)
        assert catalogue.validation_errors(event.type, body) == [] and body["campaign_code"] == "flash"
    assert found[1].occurred_at.startswith(ends.strftime("%Y-%m-%dT%H:%M:%S"))
