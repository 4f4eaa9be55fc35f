"""Member messages end to end: events from the real services become mails received by the real
SMTP server (tests/fixtures/smtp.py), as the member consented, outside quiet hours, once each."""

import asyncio
import datetime as dt
import pathlib
import subprocess
import sys
import uuid
import zoneinfo

import pytest

from services.common.db import create_pool
from services.notifications import messages, templates
from tests.e2e.test_contract import new_program
from tests.fixtures.graphql import unique
from tests.e2e.test_events import Notifications
from tests.e2e.test_members_statuses import CHANGE_STATUS
from tests.e2e.test_points_ledger import EARN
from tests.e2e.test_tiers_graphql import DEFINE_SLAB, RESTAURANT

pytestmark = pytest.mark.e2e
ROOT = pathlib.Path(__file__).resolve().parents[2]

ENROLL_CONSENTING = """
mutation($program: String!, $email: String!, $consent: Boolean!) {
  enroll(input: {program: $program, email: $email, firstName: "Ana", lastName: "López",
                 consents: {email: $consent}}) {
    member { loyaltyNumber }
  }
}"""

# The member service's own welcome mail (services/member/welcome.py) is turned off: here the
# notifications service's template sends the welcome.
NO_MEMBER_WELCOME = """
mutation($program: String!) {
  updateMemberSettings(input: {program: $program, welcomeEnabled: false}) { welcomeEnabled }
}"""


async def messages_program(admin) -> str:
    program = await new_program(admin)
    assert (await admin(NO_MEMBER_WELCOME, program=program)).ok()["updateMemberSettings"]["welcomeEnabled"] is False
    return program

SAVE_SETTINGS = """
mutation($program: String!, $timeZone: String!, $quietStart: String!, $quietEnd: String!, $offsets: [Int!]!) {
  saveMessageSettings(input: {program: $program, timeZone: $timeZone, quietStart: $quietStart, quietEnd: $quietEnd,
                              expiryOffsets: $offsets}) { timeZone quietStart quietEnd expiryOffsets }
}"""


async def save_settings(admin, program: str, *, time_zone: str = "Europe/Madrid",
                        quiet: tuple[str, str] = ("00:00", "00:00"),
                        offsets: tuple[int, ...] = (30, 7)) -> dict:
    result = await admin(SAVE_SETTINGS, program=program, timeZone=time_zone, quietStart=quiet[0], quietEnd=quiet[1],
                         offsets=list(offsets))
    return result.ok()["saveMessageSettings"]


@pytest.fixture
async def notifications_db(platform):
    """The notifications service's own tables: the message log read directly (with its keys and not-before)."""
    pool = await create_pool(platform.env["TEST_DSN_NOTIFICATIONS"], schema="notifications", application="test",
                             min_size=1, max_size=2)
    yield pool
    await pool.close()


@pytest.fixture
async def ids(platform):
    made = Notifications(platform)
    yield made
    await made.close()


async def enrol(admin, program: str, *, consent: bool = True) -> tuple[str, str]:
    email = f"{unique('ana')}@example.com"
    result = await admin(ENROLL_CONSENTING, program=program, email=email, consent=consent)
    return result.ok()["enroll"]["member"]["loyaltyNumber"], email


async def mail_to(mailbox, address: str, count: int = 1):
    """Mail leaves asynchronously: wait for it (a bounded count of short waits)."""
    for _ in range(300):
        if len(mailbox.to(address)) >= count:
            return mailbox.to(address)
        await asyncio.sleep(0.1)
    raise AssertionError(f"{address} got {len(mailbox.to(address))} mails, expected {count}")


async def logged(pool, program_id: str, number: str, kind: str) -> messages.Message:
    for _ in range(300):
        found = [m for m in await messages.log_of(pool, program_id=uuid.UUID(program_id), loyalty_number=number)
                 if m.kind == kind and m.status != "queued"]
        if found:
            return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {kind} message logged for {number}")


async def test_opt_in_sends_the_welcome_mail_and_a_tier_upgrade_the_tier_mail(admin, smtp_server, ids,
                                                                             notifications_db):
    # given a program with a tier slab and its own English welcome wording
    program = await messages_program(admin)
    program_id = await ids.program_id(program)
    await templates.save(notifications_db, program_id=uuid.UUID(program_id), kind="welcome", language="en",
                         subject="Hola {{ member.first_name }}", body="Your number: {{ member.loyalty_number }}",
                         sms="", by="test")
    (await admin(DEFINE_SLAB, program=program, tiers=RESTAURANT, window=6)).ok()

    # when a member who consented to email enrols
    number, email = await enrol(admin, program)

    # then the SMTP server receives the program's welcome mail, logged as sent by email
    [welcome] = await mail_to(smtp_server, email)
    assert welcome["Subject"] == "Hola Ana"
    assert number in welcome.get_content()
    entry = await logged(notifications_db, program_id, number, "welcome")
    assert (entry.status, entry.channel, entry.recipient, entry.error) == ("sent", "email", email, "")
    assert entry.sent_at is not None

    # when the member earns enough for the upper tier
    (await admin(EARN, program=program, number=number, amount="15000", reference="e1")).ok()

    # then a second mail, the (shipped default) tier upgrade mail, arrives
    mails = await mail_to(smtp_server, email, count=2)
    assert mails[1]["Subject"].startswith("You reached ")
    assert (await logged(notifications_db, program_id, number, "tier_upgrade")).status == "sent"
    await asyncio.sleep(1)
    assert len(smtp_server.to(email)) == 2  # each once


async def test_quiet_hours_hold_messages_and_an_opted_out_member_gets_nothing(admin, smtp_server, ids,
                                                                              notifications_db):
    # given a program whose quiet hours cover now in its time zone
    program = await messages_program(admin)
    program_id = uuid.UUID(await ids.program_id(program))
    local = dt.datetime.now(zoneinfo.ZoneInfo("Europe/Madrid"))
    quiet = ((local - dt.timedelta(hours=1)).strftime("%H:%M"), (local + dt.timedelta(hours=2)).strftime("%H:%M"))
    assert (await save_settings(admin, program, quiet=quiet))["quietStart"] == quiet[0]
    refused = await admin(SAVE_SETTINGS, program=program, timeZone="Mars/Olympus", quietStart="00:00",
                          quietEnd="00:00", offsets=[7])
    assert refused.codes == ["INVALID_INPUT"] and "timeZone" in refused.errors[0]["message"]

    # when two consenting members enrol
    waiting, waiting_email = await enrol(admin, program)
    leaving, leaving_email = await enrol(admin, program)

    # then their welcomes wait, queued until the window opens
    for number in (waiting, leaving):
        for _ in range(300):
            found = await messages.log_of(notifications_db, program_id=program_id, loyalty_number=number)
            if found and found[0].not_before > dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=1):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"{number}'s welcome was not held for the quiet hours")
        assert found[0].status == "queued"
        assert found[0].not_before <= dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2, minutes=1)
    assert smtp_server.to(waiting_email) == [] and smtp_server.to(leaving_email) == []

    # when one opts out and the quiet hours end (none now; held messages become due)
    (await admin(CHANGE_STATUS, program=program, number=leaving, status="opted_out", reason="asked to")).ok()
    await save_settings(admin, program)
    await _due_now(notifications_db, program_id)

    # then the other gets its (default) welcome, and the opted-out member nothing: its message is logged skipped
    [welcome] = await mail_to(smtp_server, waiting_email)
    assert welcome["Subject"] == "Welcome to Test program"  # the program's name from the member service
    skipped = await logged(notifications_db, str(program_id), leaving, "welcome")
    assert (skipped.status, skipped.error) == ("skipped", "member is opted_out")
    assert smtp_server.to(leaving_email) == []


async def test_one_welcome_while_the_member_services_own_welcome_mail_is_on(admin, smtp_server, ids,
                                                                            notifications_db):
    program = await new_program(admin)  # the member service's welcome left on
    number, email = await enrol(admin, program)
    entry = await logged(notifications_db, await ids.program_id(program), number, "welcome")
    assert (entry.status, entry.error) == ("skipped", "the member service sends the welcome "
                                                      "(memberSettings.welcomeEnabled)")
    [welcome] = await mail_to(smtp_server, email)
    assert welcome["Subject"] == "Welcome to Test program, Ana!"  # services/member/welcome.py's
    await asyncio.sleep(1)
    assert len(smtp_server.to(email)) == 1


async def test_a_member_without_email_consent_gets_no_mail(admin, smtp_server, ids, notifications_db):
    program = await messages_program(admin)
    program_id = await ids.program_id(program)
    number, email = await enrol(admin, program, consent=False)
    entry = await logged(notifications_db, program_id, number, "welcome")
    assert entry.status == "skipped" and "consent" in entry.error
    assert smtp_server.to(email) == []


async def _due_now(pool, program_id: uuid.UUID) -> None:
    """The window's end moved to now: what the held messages would see when the quiet hours end."""
    from services.common.db import tenant_tx
    async with tenant_tx(pool, program_id) as conn:
        await conn.execute("UPDATE messages SET not_before = now() WHERE status = 'queued'")


EXPIRING_PROGRAM = """
mutation($code: String!) {
  createProgram(input: {code: $code, name: "Expiring", currency: "EUR", timezone: "Europe/Madrid",
                        expiryDays: 365}) { program { code } }
}"""


def run_expiry_job(platform) -> str:
    env = dict(platform.env, DATABASE_URL=platform.env["TEST_DSN_NOTIFICATIONS"])
    done = subprocess.run([sys.executable, "-m", "services.notifications.jobs", "expiry-warnings"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_the_expiry_job_warns_once_per_lot_date_and_offset_across_reruns(admin, platform, smtp_server, ids,
                                                                               notifications_db):
    # given a program whose points expire after 365 days, warning 366 and 7 days ahead, and a member's points
    program = unique("x")
    (await admin(EXPIRING_PROGRAM, code=program)).ok()
    assert (await admin(NO_MEMBER_WELCOME, program=program)).ok()
    program_id = uuid.UUID(await ids.program_id(program))
    assert (await save_settings(admin, program, offsets=(366, 7)))["expiryOffsets"] == [366, 7]
    number, email = await enrol(admin, program)
    await mail_to(smtp_server, email)  # the welcome
    (await admin(EARN, program=program, number=number, amount="100", reference="e1")).ok()

    # when the daily job runs, and runs again
    run_expiry_job(platform)
    warning = await logged(notifications_db, str(program_id), number, "expiry_warning")
    run_expiry_job(platform)

    # then one warning (the 366-day offset; the lot is 365 days away, not within 7) was sent, once
    assert warning.status == "sent"
    mails = await mail_to(smtp_server, email, count=2)
    assert "points expire on" in mails[1]["Subject"]
    await asyncio.sleep(2)  # a sweep of the messenger after the rerun
    found = await messages.log_of(notifications_db, program_id=program_id, loyalty_number=number)
    assert [m.kind for m in found if m.kind == "expiry_warning"] == ["expiry_warning"]
    assert found[0].key.endswith(":366")
    assert len(smtp_server.to(email)) == 2


SAVE_TEMPLATE = """
mutation($program: String!, $kind: String!, $language: String!, $subject: String!, $body: String!) {
  saveMessageTemplate(input: {program: $program, kind: $kind, language: $language, subject: $subject,
                              body: $body}) { kind language subject default }
}"""
TEMPLATES = """
query($program: String!) { messageTemplates(program: $program) { kind language subject default } }"""
PREVIEW = """
query($program: String!, $kind: String!, $language: String!, $number: String!) {
  previewMessage(program: $program, kind: $kind, language: $language, loyaltyNumber: $number) {
    subject body language
  }
}"""
MESSAGE_LOG = """
query($program: String!, $number: String!) {
  messageLog(program: $program, loyaltyNumber: $number) { kind status channel recipient sentAt error }
}"""


async def test_templates_over_graphql_refuse_a_bad_one_and_preview_over_a_real_member(admin, smtp_server):
    # given a program with a Spanish welcome, and a member
    program = await messages_program(admin)
    saved = (await admin(SAVE_TEMPLATE, program=program, kind="welcome", language="es",
                         subject="Hola {{ member.first_name }}", body="Tu número: {{ member.loyalty_number }}")).ok()
    assert saved["saveMessageTemplate"] == {"kind": "welcome", "language": "es",
                                            "subject": "Hola {{ member.first_name }}", "default": False}
    number, email = await enrol(admin, program)

    # when a template that does not render is saved, it is refused naming the line, and nothing is written
    refused = await admin(SAVE_TEMPLATE, program=program, kind="welcome", language="es", subject="Hola",
                          body="Hola\n{{ member.shoe_size }}")
    assert refused.codes == ["INVALID_INPUT"]
    assert "line 2" in refused.errors[0]["message"] and "body" in refused.errors[0]["message"]
    listed = (await admin(TEMPLATES, program=program)).ok()["messageTemplates"]
    assert {"kind": "welcome", "language": "es", "subject": "Hola {{ member.first_name }}", "default": False} in listed
    assert {t["kind"] for t in listed} >= {"tier_upgrade", "expiry_warning"}  # the shipped defaults

    # then the preview renders the member's own data; a language without a template falls back (en: default)
    preview = (await admin(PREVIEW, program=program, kind="welcome", language="es", number=number)).ok()
    assert preview["previewMessage"]["subject"] == "Hola Ana" and number in preview["previewMessage"]["body"]
    fallback = (await admin(PREVIEW, program=program, kind="welcome", language="fr", number=number)).ok()
    assert fallback["previewMessage"]["language"] == "en" and number in fallback["previewMessage"]["body"]

    # and the message log shows the (English default) welcome sent by email
    await mail_to(smtp_server, email)
    for _ in range(100):
        log = (await admin(MESSAGE_LOG, program=program, number=number)).ok()["messageLog"]
        if log and log[0]["status"] == "sent":
            break
        await asyncio.sleep(0.1)
    assert [(m["kind"], m["status"], m["channel"], m["recipient"], m["error"]) for m in log] == [
        ("welcome", "sent", "email", email, "")]
    assert log[0]["sentAt"]
