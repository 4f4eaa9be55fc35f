"""Messages from the later events: a claimed reward's mail and the passcode through the program's
templates (the passcode logged without its code), and quiet hours in the program's own time zone
when its message settings name none."""

import asyncio
import datetime as dt
import re
import uuid
import zoneinfo

import pytest

from services.common.db import tenant_tx
from services.notifications import templates
from tests.e2e.test_contract import CREATE_PROGRAM
from tests.e2e.test_messages import (
    NO_MEMBER_WELCOME, SAVE_SETTINGS, enrol, ids, logged, mail_to, messages_program, notifications_db,  # noqa: F401
)
from tests.e2e.test_points_ledger import EARN
from tests.e2e.test_rewards_pos import CLAIM, CREATE_REWARD, IDENTIFY, REQUEST_OTP
from tests.fixtures.graphql import unique

pytestmark = pytest.mark.e2e


async def test_a_claimed_reward_and_a_passcode_go_out_through_the_templates(admin, smtp_server, ids,
                                                                            notifications_db):
    # given a program with its own passcode wording, a coffee, and a member who consented to email
    program = await messages_program(admin)
    program_id = await ids.program_id(program)
    await templates.save(notifications_db, program_id=uuid.UUID(program_id), kind="passcode", language="en",
                         subject="Tu código {{ data.code }}", body="Código {{ data.code }}, {{ data.minutes }} min.",
                         sms="", by="test")
    (await admin(CREATE_REWARD, program=program, code="coffee", cost=100, stock=10)).ok()
    number, email = await enrol(admin, program)
    await mail_to(smtp_server, email)  # the welcome

    # when the member asks for a passcode at the counter
    sent = (await admin(REQUEST_OTP, program=program, number=number)).ok()["requestOtp"]

    # then it arrives in the program's wording, and is logged without the code
    assert sent["channel"] == "email" and sent["destination"].endswith("@example.com")
    mails = await mail_to(smtp_server, email, count=2)
    code = re.search(r"Tu código (\d{6})", mails[1]["Subject"]).group(1)
    assert f"Código {code}, 15 min." in mails[1].get_content()  # the program's passcodes last 15 minutes
    entry = await logged(notifications_db, program_id, number, "passcode")
    assert (entry.status, entry.channel, entry.recipient) == ("sent", "email", email)
    async with tenant_tx(notifications_db, uuid.UUID(program_id)) as conn:
        stored = await conn.fetchval("SELECT data FROM messages WHERE id = $1", entry.id)
    assert code not in str(stored)
    # and the code works at the counter
    found = (await admin(IDENTIFY, program=program, otp=code)).ok()["identifyMember"]
    assert found["loyaltyNumber"] == number

    # when the member claims the coffee
    (await admin(EARN, program=program, number=number, amount="150", reference="e1")).ok()
    (await admin(CLAIM, program=program, number=number, reward="coffee", reference="c-1", otp=None)).ok()

    # then the reward-claimed mail (the shipped default) arrives
    mails = await mail_to(smtp_server, email, count=3)
    assert mails[2]["Subject"] == "Your reward is on its way" and "coffee" in mails[2].get_content()
    assert (await logged(notifications_db, program_id, number, "reward_claimed")).status == "sent"


async def test_quiet_hours_are_in_the_programs_time_zone_when_the_settings_name_none(admin, smtp_server, ids,
                                                                                     notifications_db):
    # given a program in Auckland (13 hours from UTC in December) whose quiet hours cover now there
    program = unique("akl")
    (await admin(CREATE_PROGRAM, code=program, currency="NZD", timezone="Pacific/Auckland")).ok()
    (await admin(NO_MEMBER_WELCOME, program=program)).ok()
    program_id = uuid.UUID(await ids.program_id(program))
    local = dt.datetime.now(zoneinfo.ZoneInfo("Pacific/Auckland"))
    quiet = ((local - dt.timedelta(hours=1)).strftime("%H:%M"), (local + dt.timedelta(hours=2)).strftime("%H:%M"))
    saved = (await admin(SAVE_SETTINGS, program=program, timeZone="", quietStart=quiet[0], quietEnd=quiet[1],
                         offsets=[7])).ok()["saveMessageSettings"]
    assert saved["timeZone"] == ""  # the program's own

    # when a member enrols
    number, email = await enrol(admin, program)

    # then the welcome waits for the end of the quiet hours in Auckland (about two hours from now)
    for _ in range(300):
        found = [m for m in await _log(notifications_db, program_id, number) if m["kind"] == "welcome"]
        if found and found[0]["not_before"] > dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=30):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the welcome was not held for the program's quiet hours")
    opens = local.replace(second=0, microsecond=0) + dt.timedelta(hours=2)
    assert abs((found[0]["not_before"] - opens).total_seconds()) <= 60
    assert found[0]["status"] == "queued" and smtp_server.to(email) == []


async def _log(pool, program_id: uuid.UUID, number: str) -> list:
    async with tenant_tx(pool, program_id) as conn:
        return await conn.fetch("SELECT kind, status, not_before FROM messages WHERE loyalty_number = $1", number)
