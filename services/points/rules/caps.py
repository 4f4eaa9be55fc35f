"""The capped take: a member's caps, campaign budgets and this process's budget leases, taken in
one round trip with the check that the rules have not changed.

RulesEarnPolicy (policy.py) evaluates the cached rules up to the caps (`Prepared`); `Caps.take`
then asks the database for what the caps allow. The usual capped earn is one statement
(`revision_and_take_one`); several counters go through `rules_take`; campaign totals come from a
lease this process holds (leases.py) when it has one, and a new lease is asked for last, only by
an earn that locks no member counter after the shards (the lock order of migration 0053). None:
the rules changed meanwhile (the caller starts over with fresh rules).
"""

import dataclasses
import uuid

import asyncpg

from services.points.rules import evaluation, leases, repository


class Caps:
    def __init__(self):
        self._leases = leases.Leases()

    async def take(self, conn: asyncpg.Connection, prepared, *, program_id: uuid.UUID, revision: int,
                   member_id: uuid.UUID | None) -> evaluation.Evaluation | None:
        pid = program_id
        want = prepared.wants() if member_id is not None else {}
        spent = self._leases.spend(pid, revision, want)  # campaign totals from this process's lease
        xact = self._leases.pending_xid(pid)
        take = prepared.take_arguments(without=spent)
        single = _single_capped_line(take) if member_id is not None else None
        if single is not None:  # the usual capped earn: one statement, no rules_take
            index, counter = single
            current, one, status = await repository.revision_and_take_one(
                conn, expected=revision, member_id=member_id, counter=counter, limit=take["limits"][counter],
                points=take["points"][index], xact=xact)
            if current == revision:
                granted = [(points, None) for points in take["points"]]
                if one is None:  # the counter's first use: rules_take creates it
                    granted = await repository.take(conn, member_id=member_id, **take)
                else:
                    granted[index] = one
        elif take["counters"] and member_id is not None:
            current, granted, status = await repository.revision_and_take(conn, expected=revision, member_id=member_id,
                                                                          xact=xact, **take)
        else:
            (current, status), granted = await repository.revision_and_status(conn, xact), None
        if xact is not None:
            self._leases.settle(pid, xact, status)
        if current != revision:
            for counter, points in spent.items():
                self._leases.refund(pid, revision, counter, points)
            return None
        if granted is not None:
            # a leased counter is its line's last (evaluation.counters): the bindings' indexes hold
            result = evaluation.with_granted(prepared.planned, granted, notes=prepared.notes)
        else:
            result = evaluation.apply_caps(prepared.planned, used={}, notes=prepared.notes)
        if spent:
            result = self._settle_leased(result, pid=pid, revision=revision, spent=spent)
        if not any(c.kind in ("rule_day", "rule_member") for c in take["counters"]):
            # a new lease is taken last, after the shards, and only by an earn that locks no member
            # counter after them (the lock order of migration 0053)
            for code, points, least in self._leases.wanted(pid, revision, want):
                leased, xid = 0, 0
                try:
                    leased, xid = await repository.lease(conn, code=code, points=points, least=least)
                finally:
                    self._leases.asked(pid, revision, code, leased, xid)
        return result

    def _settle_leased(self, result: evaluation.Evaluation, *, pid, revision: int, spent) -> evaluation.Evaluation:
        """Give the lease back what the lines did not use; record the rest as granted from a lease."""
        used = dict(result.usage)
        for counter, points in spent.items():
            granted = used.pop(counter, 0)
            self._leases.refund(pid, revision, counter, points - granted)
            if granted:
                used[leases.lease_counter(counter)] = granted
        return dataclasses.replace(result, usage=used)


def _single_capped_line(take: dict) -> tuple[int, evaluation.Counter] | None:
    """(line index, counter) when one line alone uses the one counter to take, a member's cap."""
    if len(take["counters"]) != 1 or take["counters"][0].kind not in ("rule_day", "rule_member", "campaign_member"):
        return None
    using = [i for i, counters in enumerate(take["lines"]) if counters]
    return (using[0], take["counters"][0]) if len(using) == 1 else None
