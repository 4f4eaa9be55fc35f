"""Ledger events are applied once; rules see profile and activity; welcome mail is retried after a failure."""

import datetime as dt
import json
import uuid

import pytest

from loyalty.common.v1 import events_pb2
from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode
from services.common.mail import SmtpSender
from services.member import programs, segments, statuses, welcome
from tests.fixtures.postgres import free_port, program_spec


def accrual(program, member, points, *, amount="", event_id=None, kind="EARN"):
    return events_pb2.LedgerEvent(
        event_id=event_id or uuid.uuid4().hex, event_type="LOY_POINT_ACCRUAL", program_id=str(program),
        transaction_id=str(uuid.uuid4()), transaction_kind=kind, member_id=str(member["id"]),
        loyalty_number=member["loyalty_number"], points=points, amount=amount, currency="EUR",
        occurred_at="2026-01-10T10:00:00+00:00")


async def test_ledger_events_are_applied_once_and_drive_rule_segments(pools, program, enrol):
    pool = pools["member"]
    member = await enrol(zip="28001")
    await segments.save(pool, program_id=program, code="spenders", name="", loyalty_numbers=[], is_static=False,
                        rule_json=json.dumps({">": [{"var": "total_spend"}, 99.99]}), updated_by="t")
    first = accrual(program, member, 60, amount="60.00")
    # the same event delivered twice counts once
    assert await segments.apply_ledger_activity(pool, [first]) == 1
    assert await segments.apply_ledger_activity(pool, [first]) == 0
    assert (await segments.member_segments(pool, program_id=program, member_id=member["id"]))[1] == []
    assert await segments.apply_ledger_activity(pool, [accrual(program, member, 40, amount="40.00")]) == 1
    assert (await segments.member_segments(pool, program_id=program, member_id=member["id"]))[1] == ["spenders"]
    # a void takes the member out again
    void = accrual(program, member, -40, amount="40.00", kind="VOID")
    void.event_type = "LOY_POINT_VOID"
    await segments.apply_ledger_activity(pool, [void])
    assert (await segments.member_segments(pool, program_id=program, member_id=member["id"]))[1] == []


async def activity(pool, program, member) -> tuple:
    async with tenant_tx(pool, program) as conn:
        row = await conn.fetchrow("SELECT balance, lifetime_points, total_spend, transactions, first_activity_at,"
                                  " last_activity_at FROM member_activity WHERE member_id = $1", member["id"])
    return tuple(row) if row else None


def history(program, member, number_only):
    """One member's postings as the ledger sends them: earns, a burn, a void, an expiry, a retro claim."""
    at = "2026-01-{:02d}T10:00:00+00:00".format
    events = [accrual(program, member, 60, amount="60.00", event_id=f"{member['id']}-1"),
              accrual(program, member, -20, event_id=f"{member['id']}-2", kind="BURN"),
              accrual(program, member, 15, amount="15.5", event_id=f"{member['id']}-3", kind="RETRO_CLAIM"),
              accrual(program, member, -15, amount="15.5", event_id=f"{member['id']}-4", kind="VOID"),
              accrual(program, member, -5, event_id=f"{member['id']}-5", kind="EXPIRE")]
    for day, event in enumerate(events, start=3):
        event.occurred_at = at(day)
        if number_only:
            event.member_id = ""  # the member by loyalty number alone
    return events


async def test_a_batch_of_events_keeps_the_totals_one_event_at_a_time_would(pools, program, enrol):
    pool = pools["member"]
    one_by_one, batched, by_number = await enrol(), await enrol(), await enrol()
    for event in history(program, one_by_one, number_only=False):
        assert await segments.apply_ledger_activity(pool, [event]) == 1
    # one delivery holding two members' postings interleaved, a redelivered event, a member this
    # service does not know and a member id that is no UUID
    mine, theirs = history(program, batched, number_only=False), history(program, by_number, number_only=True)
    stranger = accrual(program, {"id": uuid.uuid4(), "loyalty_number": "NOBODY"}, 10, amount="10")
    garbled = accrual(program, batched, 7, event_id="garbled")
    garbled.member_id = "not-a-uuid"
    batch = [e for pair in zip(mine, theirs, strict=True) for e in pair] + [mine[0], stranger, garbled]
    assert await segments.apply_ledger_activity(pool, batch) == 12
    assert await segments.apply_ledger_activity(pool, batch) == 0

    expected = (35, 60, 60, 5)  # balance; lifetime and spend: 60 + 15 and 60 + 15.5, the void taking 15 and 15.5 back
    solo = await activity(pool, program, one_by_one)
    assert solo[:4] == expected
    assert solo[4:] == (dt.datetime(2026, 1, 3, 10, tzinfo=dt.timezone.utc),
                        dt.datetime(2026, 1, 5, 10, tzinfo=dt.timezone.utc))  # void and expiry are no activity
    assert await activity(pool, program, by_number) == solo
    both = await activity(pool, program, batched)  # plus the garbled id's event, found by its loyalty number
    assert both == (42, 67, 60, 6, solo[4], dt.datetime(2026, 1, 10, 10, tzinfo=dt.timezone.utc))


@pytest.mark.parametrize(("rule", "expected"), [
    ({"==": [{"var": "zip"}, "28001"]}, True),
    ({"and": [{">=": [{"var": "balance"}, 50]}, {"<": [{"var": "balance"}, 51]}]}, True),
    ({"==": [{"var": "custom.pet"}, "dog"]}, False),
    ({"==": [{"var": "status"}, "active"]}, False),  # the member is suspended below
    ({"==": [{"var": "last_activity_at"}, "2026-01-10"]}, True),
    ({">": [{"var": "age"}, 30]}, True),
])
async def test_rules_read_profile_and_activity(pools, program, enrol, rule, expected):
    pool = pools["member"]
    member = await enrol(zip="28001", birth_date="1980-01-01")
    await segments.apply_ledger_activity(pool, [accrual(program, member, 50, amount="50")])
    await statuses.change_status(pool, program_id=program, loyalty_number=member["loyalty_number"],
                                 status="suspended", reason="t", changed_by="t")
    count, sample = await segments.preview(pool, program_id=program, rule_json=json.dumps(rule))
    assert (member["loyalty_number"] in sample) is expected


async def test_a_failed_welcome_mail_is_retried_and_never_blocks_enrolment(pools, program, enrol, smtp_server):
    pool = pools["member"]
    # given the SMTP server is unreachable when the member enrols
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    member = await enrol(email=email)  # enrolment itself never talks to SMTP
    down = welcome.MailRelay(pool, SmtpSender(host="127.0.0.1", port=free_port(), sender="t@localhost", timeout=2))
    await down.send_batch(limit=1000)
    async with pool.acquire() as conn:
        queued = await conn.fetchrow("SELECT attempts, sent_at, last_error FROM mail_outbox WHERE member_id = $1",
                                     member["id"])
    assert (queued["attempts"], queued["sent_at"]) == (1, None)
    assert email not in queued["last_error"]
    # when the relay tries again with SMTP back (the backoff has passed)
    async with pool.acquire() as conn:
        await conn.execute("UPDATE mail_outbox SET next_attempt_at = now() WHERE member_id = $1", member["id"])
    up = welcome.MailRelay(pool, SmtpSender(host=smtp_server.host, port=smtp_server.port, sender="t@localhost"))
    await up.send_batch(limit=1000)
    # then the welcome mail arrives, once
    assert len(smtp_server.to(email)) == 1
    await up.send_batch(limit=1000)
    assert len(smtp_server.to(email)) == 1


async def test_a_rule_needs_a_known_operator(pools, program):
    with pytest.raises(DomainError) as refused:
        await segments.save(pools["member"], program_id=program, code="x", name="", loyalty_numbers=[],
                            is_static=False, rule_json='{"nope": []}', updated_by="t")
    assert refused.value.code == ErrorCode.INVALID_INPUT


async def test_a_delivery_cannot_reach_another_programs_member_and_a_missing_event_id_writes_nothing(
        pools, program, enrol):
    pool = pools["member"]
    theirs = await enrol()
    spec = program_spec()
    mine, _ = await programs.provision(pool, programs.ProgramInput(
        code=spec.code, name=spec.name, currency="EUR", timezone="Europe/Madrid"))
    # an event of my program naming their member, by id and by loyalty number
    assert await segments.apply_ledger_activity(pool, [accrual(mine["id"], theirs, 500, amount="500")]) == 1
    assert await activity(pool, program, theirs) is None
    assert await activity(pool, mine["id"], theirs) is None  # nor kept under my program
    # a batch with one event lacking its id is refused whole
    good = accrual(program, theirs, 10)
    nameless = accrual(program, theirs, 20)
    nameless.event_id = ""
    with pytest.raises(DomainError) as refused:
        await segments.apply_ledger_activity(pool, [good, nameless])
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_INPUT, "events.eventId")
    assert await activity(pool, program, theirs) is None
    assert await segments.apply_ledger_activity(pool, [good]) == 1
