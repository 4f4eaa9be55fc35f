"""Enroll and goodwill rules: welcome bonus, birthday points (once a year), referral (both members).

Each grant is a GOODWILL posting whose reference says what it is for, so it happens once:
`enroll:<rule>:<member>`, `birthday:<rule>:<year>:<member>`, `referral:<rule>:<referred>:<side>`.
A rerun (or a replayed call) finds the reference taken and reports `already_granted`.
"""

import dataclasses
import datetime as dt
import uuid
import zoneinfo
from decimal import Decimal

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode, invalid
from services.points.ledger import posting
from services.points.ledger.expiry import lot_expiry
from services.points.ledger.posting import Leg
from services.points.rules import evaluation, repository
from services.points.rules.evaluation import RuleSet, Transaction
from services.points.rules.model import Rule
from services.points.rules.policy import load_program_rules


@dataclasses.dataclass(frozen=True)
class Grant:
    loyalty_number: str
    rule: str
    rule_version: str
    points: int
    reference: str
    already_granted: bool


async def _enroll_rules(conn, event: str) -> list[tuple[RuleSet, Rule]]:
    compiled = await load_program_rules(conn)
    return [(s, r) for s in compiled.rule_sets for r in s.rules
            if r.type == "enroll" and r.action.event == event and s.scope == "program"]


async def _facts(facts_source, program_id, member_id, rule: Rule):
    if not rule.needs:
        return evaluation.Facts()
    return await facts_source.fetch(program_id=program_id, member_id=member_id, needs=rule.needs)


def _matches(rule: Rule, program, facts, at: dt.datetime) -> bool:
    txn = Transaction(amount=Decimal(0), currency=program["currency"], occurred_at=at, timezone=program["timezone"])
    if any(n in facts.unavailable for n in rule.needs):
        return False
    return rule.matches(evaluation.context(txn, facts))


async def grant(
    conn: asyncpg.Connection, *, program, member, rule_set: RuleSet, rule: Rule, reference: str, reason: str,
) -> Grant:
    version = rule_set.version_label
    if await repository.transaction_exists(conn, reference):
        return Grant(member["loyalty_number"], rule.code, version, 0, reference, True)
    points = rule.action.fixed_bonus
    now = posting.now()
    expires_at = lot_expiry(earned_at=now, days=rule.action.expiry_days or program["expiry_days"],
                            round_to_month_end=False if rule.action.expiry_days else program["expiry_round_to_month_end"],
                            timezone=program["timezone"])
    line = {"rule": rule.code, "points": points, "point_type": rule.action.point_type, "rule_version": version,
            "description": reason, "campaign_code": ""}
    details = {"reason": reason, "breakdown": [line]}
    transaction_id = uuid.uuid4()
    event = posting.event("LOY_POINT_ACCRUAL", transaction_id=transaction_id, kind="GOODWILL", member=member,
                         points=points, reference=reference, occurred_at=now, details=details)
    await posting.post(conn, kind="GOODWILL", reference=reference, member_id=member["id"], points=points,
                      details=details, transaction_id=transaction_id, occurred_at=now, events=[event],
                      legs=[Leg("issuance", -points),
                            Leg("member_available", points, member["id"], lots="create", expires_at=expires_at)])
    return Grant(member["loyalty_number"], rule.code, version, points, reference, False)


async def apply_enroll_rules(pool: asyncpg.Pool, *, program_id: uuid.UUID, facts_source, loyalty_number: str
                             ) -> list[Grant]:
    """The welcome bonus of every matching enroll rule, once per member and rule. The facts the rules need
    are fetched before the posting's transaction opens: no connection is held across a call."""
    async with tenant_tx(pool, program_id) as conn:
        member = await posting.load_active_member(conn, loyalty_number)
        rules = await _enroll_rules(conn, "enrolment")
    if not rules:
        return []
    facts = [await _facts(facts_source, program_id, member["id"], rule) for _, rule in rules]
    grants = []
    async with posting.transaction(pool, program_id) as conn:
        program = await posting.load_program(conn, program_id)
        member = await posting.load_active_member(conn, loyalty_number)
        for (rule_set, rule), rule_facts in zip(rules, facts, strict=True):
            if not _matches(rule, program, rule_facts, posting.now()):
                continue
            grants.append(await grant(conn, program=program, member=member, rule_set=rule_set, rule=rule,
                                      reference=f"enroll:{rule.code}:{member['id']}", reason="welcome"))
    return grants


async def apply_referral(pool: asyncpg.Pool, *, program_id: uuid.UUID, facts_source, referrer: str, referred: str
                         ) -> list[Grant]:
    """The referral bonus for both members, once per referred member."""
    if not referrer or not referred:
        raise invalid("referrerLoyaltyNumber" if not referrer else "referredLoyaltyNumber", "is required")
    grants = []
    async with posting.transaction(pool, program_id) as conn:
        program = await posting.load_program(conn, program_id)
        a = await posting.load_active_member(conn, referrer, "referrerLoyaltyNumber")
        b = await posting.load_active_member(conn, referred, "referredLoyaltyNumber")
        if a["id"] == b["id"]:
            raise invalid("referredLoyaltyNumber", "a member cannot refer themselves")
        rules = await _enroll_rules(conn, "referral")
        if not rules:
            raise DomainError(ErrorCode.INVALID_INPUT, "the program has no published referral rule",
                              field="referredLoyaltyNumber")
        await posting.touch(conn, [a["id"], b["id"]])
        for rule_set, rule in rules:
            for member, side in ((a, "referrer"), (b, "referred")):
                grants.append(await grant(conn, program=program, member=member, rule_set=rule_set, rule=rule,
                                          reference=f"referral:{rule.code}:{b['id']}:{side}",
                                          reason=f"referral ({side})"))
    return grants


async def run_birthdays(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, facts_source, date: dt.date | None = None,
) -> list[Grant]:
    """Birthday points for members born on this day (the program's local date), once a year each;
    `facts_source` (RemoteFacts) says who they are."""
    async with tenant_tx(pool, program_id) as conn:
        program = await posting.load_program(conn, program_id)
        rules = await _enroll_rules(conn, "birthday")
    if not rules:
        return []
    day = date or dt.datetime.now(zoneinfo.ZoneInfo(program["timezone"])).date()
    born_today = await facts_source.birthdays(program_id=program_id, day=day)
    grants = []
    for member_id in born_today:
        async with posting.transaction(pool, program_id) as conn:  # one member per transaction: resumable
            member = await repository.member_by_id(conn, member_id)
            if member is None or member["status"] not in posting.SPENDING_STATUSES:
                continue
            for rule_set, rule in rules:
                grants.append(await grant(conn, program=program, member=member, rule_set=rule_set, rule=rule,
                                          reference=f"birthday:{rule.code}:{day.year}:{member['id']}",
                                          reason="birthday"))
    return grants
