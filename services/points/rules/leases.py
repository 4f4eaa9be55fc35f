"""Campaign budget leases: keep a campaign's total budget off the earn hot path while it is far
from its end, and never overspend it.

A points process asks the database for a lease of part of the budget (migration 0056: at most
1/64 of what the budget has not yet handed out, counted as allocated, like a shard's
reservation). It is taken in an earn's own transaction, as that earn's last rule step; the
process spends it only once that transaction has committed (checked with pg_xact_status in the
next earn's revision query: no extra round trip). Earns then take their campaign points from the
lease in memory (synchronously: asyncio runs one earn's step at a time, so two earns of one
process never spend the same points) and write no budget counter. When the lease runs low,
another is asked for; near the end of a budget the lease would be smaller than an earn wants and
none is granted: the earns go back to the counted shards (rules_take), which share out the end
exactly. What a process holds when its rules change (any publish or campaign change) or when it
stops is not handed out again: a budget may end slightly under its total, never over it.
"""

import dataclasses
import time
import uuid
from collections.abc import Mapping

from services.points.rules.evaluation import Counter

LEASE_EARNS = 256  # a lease covers this many earns like the one that asks for it
LOW_EARNS = 16  # ask for the next one when fewer than this many are left
RETRY_SECONDS = 5.0


@dataclasses.dataclass
class Lease:
    revision: int
    spendable: int = 0
    pending: list[tuple[int, int]] = dataclasses.field(default_factory=list)  # (xid, points) not yet committed
    asking: bool = False  # an earn is asking for one now: the others do not
    retry_at: float = 0.0  # after a refusal (the budget is near its end), not before this (monotonic)


def lease_counter(counter: Counter) -> Counter:
    """How a posting records points granted from a lease (a void gives them back to the budget)."""
    return Counter("campaign_lease", counter.key, member=False)


class Leases:
    def __init__(self) -> None:
        self._leases: dict[tuple[uuid.UUID, str], Lease] = {}

    def _current(self, program_id: uuid.UUID, code: str, revision: int) -> Lease | None:
        lease = self._leases.get((program_id, code))
        if lease is not None and lease.revision != revision:  # the rules or budgets changed: dropped
            del self._leases[(program_id, code)]
            return None
        return lease

    def spend(self, program_id: uuid.UUID, revision: int, want: Mapping[Counter, int]) -> dict[Counter, int]:
        """Take what each campaign total counter wants from this process's lease, where it has enough."""
        spent = {}
        for counter, points in want.items():
            if counter.kind != "campaign_total" or points <= 0:
                continue
            lease = self._current(program_id, counter.key, revision)
            if lease is not None and lease.spendable >= points:
                lease.spendable -= points
                spent[counter] = points
        return spent

    def refund(self, program_id: uuid.UUID, revision: int, counter: Counter, points: int) -> None:
        lease = self._current(program_id, counter.key, revision)
        if lease is not None and points > 0:
            lease.spendable += points

    def pending_xid(self, program_id: uuid.UUID) -> int | None:
        for (pid, _), lease in self._leases.items():
            if pid == program_id and lease.pending:
                return lease.pending[0][0]
        return None

    def settle(self, program_id: uuid.UUID, xid: int, status: str | None) -> None:
        """A lease taken in transaction `xid` is spendable once that committed; gone if it did not."""
        if status == "in progress":
            return
        for (pid, _), lease in self._leases.items():
            if pid != program_id:
                continue
            for entry in [e for e in lease.pending if e[0] == xid]:
                lease.pending.remove(entry)
                if status == "committed":
                    lease.spendable += entry[1]

    def wanted(self, program_id: uuid.UUID, revision: int, want: Mapping[Counter, int]) -> list[tuple[str, int, int]]:
        """(campaign code, lease size, least worth having) for the leases running low; each is
        marked as being asked for (`asked` must follow, whatever happens)."""
        out = []
        for counter, points in want.items():
            if counter.kind != "campaign_total" or points <= 0:
                continue
            lease = self._current(program_id, counter.key, revision)
            if lease is None:
                lease = self._leases[(program_id, counter.key)] = Lease(revision=revision)
            if lease.asking or lease.pending or lease.spendable >= points * LOW_EARNS \
                    or time.monotonic() < lease.retry_at:
                continue
            lease.asking = True
            out.append((counter.key, points * LEASE_EARNS, points * LOW_EARNS))
        return out

    def asked(self, program_id: uuid.UUID, revision: int, code: str, points: int, xid: int) -> None:
        """The answer to `wanted` (0 points: none granted)."""
        lease = self._current(program_id, code, revision)
        if lease is None:
            return
        lease.asking = False
        if points > 0:
            lease.pending.append((xid, points))
        else:  # near the end of the budget: the shards share it out; ask again later, not every earn
            lease.retry_at = time.monotonic() + RETRY_SECONDS
