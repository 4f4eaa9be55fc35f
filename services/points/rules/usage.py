"""What an earn took from caps and budgets, recorded with its posting, and given back by a void.

The earn records `rule_usage` in the posting's details only when a line had a cap or a budget
counted in the database: [[kind, stored key, day or null, points], ...]. A void gives back the
same share of it as the share of the earn's points it voids (cumulated over partial voids, so
voiding everything gives back everything); discount budgets come back only when the earn is
voided in full (the purchase is undone). The counters are locked before the void locks the
member's accounts, in the order an earn takes them (counters first), so a void and an earn of
one member cannot deadlock.
"""

import datetime as dt
from collections.abc import Mapping, Sequence

import asyncpg

from services.points.rules import repository
from services.points.rules.evaluation import Counter

MEMBER_KINDS = frozenset({"rule_day", "rule_member", "campaign_member", "discount_member"})
DISCOUNT_KINDS = frozenset({"discount_member", "discount_total"})
VOIDED_KINDS = frozenset({"EARN", "RETRO_CLAIM"})


def encode(usage: Mapping[Counter, int]) -> list[list]:
    return [[c.kind, repository.stored_key(c), c.day.isoformat() if c.day else None, points]
            for c, points in usage.items() if points > 0]


def decode(rows: Sequence[Sequence]) -> dict[Counter, int]:
    out: dict[Counter, int] = {}
    for kind, key, day, points in rows:
        shard = 0
        if kind not in MEMBER_KINDS:
            key, _, raw = key.partition("#")
            shard = int(raw or 0)
        counter = Counter(kind, key, member=kind in MEMBER_KINDS, day=dt.date.fromisoformat(day) if day else None,
                          shard=shard)
        out[counter] = out.get(counter, 0) + int(points)
    return out


def _recorded(target: asyncpg.Record) -> dict[Counter, int]:
    if target["kind"] not in VOIDED_KINDS or not target["details"]:
        return {}
    return decode(target["details"].get("rule_usage") or ())


def share(usage: Mapping[Counter, int], *, earned: int, voided_before: int, voided_now: int) -> dict[Counter, int]:
    """What a void of `voided_now` points (after `voided_before`) gives back of each counter."""
    after = voided_before + voided_now
    out = {}
    for counter, used in usage.items():
        if counter.kind in DISCOUNT_KINDS:
            back = used if after >= earned > voided_before else 0
        elif earned <= 0:
            back = 0
        else:
            back = used * after // earned - used * voided_before // earned
        if back > 0:
            out[counter] = back
    return out


async def lock_for_void(conn: asyncpg.Connection, targets: Sequence[asyncpg.Record]) -> None:
    for target in targets:
        usage = _recorded(target)
        if usage:
            await repository.lock_usage(conn, member_id=target["member_id"], counters=list(usage))


async def give_back(conn: asyncpg.Connection, target: asyncpg.Record, *, points: int) -> None:
    usage = _recorded(target)
    if not usage:
        return
    back = share(usage, earned=abs(target["points"]), voided_before=target["voided"], voided_now=points)
    await repository.give_back(conn, member_id=target["member_id"], usage=back)

