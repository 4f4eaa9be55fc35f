"""The members a posting changes, noted as the ledger posts, and their member cards read as the posting
transaction's last statements (ledger/cards.py stores them in the shared cache after the commit).

Why inside the posting's transaction, and why the lock: a card's version is the count of the member's
transactions. Reading it after the commit, in a second transaction, is always a committed state, but costs
that transaction. Read before the commit, it is the committed state plus this posting, which is only true
if no other posting of the member commits in between; postings do not all lock the member row (an earn
locks an account row), so each card writer first takes the member's card lock (an advisory transaction
lock, exclusive) right before its read, as the transaction's last statements: a second posting of the
member waits there until the first one commits and then reads after it. A read that fills a missing card
takes the same lock shared (summary.member_summary). The lock is taken after every other lock of the
transaction and nothing waits on anything after it, so it cannot deadlock.

With no collection open (NoCache, jobs, the legacy import) nothing is noted and nothing is read.
"""

import contextlib
import contextvars
import dataclasses
import time
import uuid
from collections.abc import Iterable, Iterator

import asyncpg

from services.points.ledger import repository


@dataclasses.dataclass
class Changes:
    noted: set[uuid.UUID] = dataclasses.field(default_factory=set)  # by the transaction under way
    cards: dict[uuid.UUID, tuple[asyncpg.Record, float]] = dataclasses.field(default_factory=dict)  # read, and when


_open: contextvars.ContextVar[Changes | None] = contextvars.ContextVar("ledger_changes", default=None)


@contextlib.contextmanager
def collecting() -> Iterator[Changes]:
    """Note the members the postings made inside this block change (the block runs in one task)."""
    changes = Changes()
    token = _open.set(changes)
    try:
        yield changes
    finally:
        _open.reset(token)


def begin() -> None:
    """A posting's transaction starts: what an attempt that rolled back noted is not its business."""
    changes = _open.get()
    if changes is not None:
        changes.noted.clear()


def note(member_ids: Iterable[uuid.UUID | None]) -> None:
    changes = _open.get()
    if changes is not None:
        changes.noted.update(m for m in member_ids if m is not None)


async def read_cards(conn: asyncpg.Connection) -> None:
    """The last statements of a posting's transaction: lock the noted members' cards, then read them."""
    changes = _open.get()
    if changes is None or not changes.noted:
        return
    ids = sorted(changes.noted)
    changes.noted.clear()
    await repository.lock_cards(conn, ids)
    rows = await repository.cards_of(conn, ids)
    read_at = time.monotonic()
    for row in rows:
        changes.cards[row["member_id"]] = (row, read_at)
