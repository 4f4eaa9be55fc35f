"""The durable outbox: SQLite in WAL mode with synchronous=FULL, so a commit is on disk (fsync)
before the till hears "accepted". Items are forwarded strictly in `seq` order.

States: pending (not yet accepted by the platform), posted (the platform answered), rejected (the
platform refused it for good, e.g. an unknown member: kept for the operator, never retried).
"""

import dataclasses
import json
import pathlib
import sqlite3
import time

SCHEMA = """
CREATE TABLE IF NOT EXISTS queue (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('earn', 'void', 'enrol')),
    reference TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'posted', 'rejected')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    estimate TEXT,
    result TEXT,
    done_at REAL
);
CREATE INDEX IF NOT EXISTS queue_pending ON queue (seq) WHERE state = 'pending';
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at REAL NOT NULL);
"""


class ReferenceConflict(Exception):
    """The reference was already queued with a different request."""


@dataclasses.dataclass(frozen=True)
class Item:
    seq: int
    kind: str
    reference: str
    payload: dict
    created_at: float
    state: str
    attempts: int
    last_error: str | None
    estimate: dict | None
    result: dict | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "Item":
        return cls(seq=row["seq"], kind=row["kind"], reference=row["reference"], payload=json.loads(row["payload"]),
                   created_at=row["created_at"], state=row["state"], attempts=row["attempts"],
                   last_error=row["last_error"],
                   estimate=json.loads(row["estimate"]) if row["estimate"] else None,
                   result=json.loads(row["result"]) if row["result"] else None)


@dataclasses.dataclass(frozen=True)
class QueueStats:
    pending: int
    rejected: int
    posted: int
    oldest_pending_at: float | None

    def oldest_age(self, now: float | None = None) -> float:
        if self.oldest_pending_at is None:
            return 0.0
        return max(0.0, (now or time.time()) - self.oldest_pending_at)


def connect(path: pathlib.Path, *, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        if not path.exists():
            raise FileNotFoundError(f"no queue at {path}")
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: each commit syncs the WAL; NORMAL would lose the last commits on a power cut.
        conn.execute("PRAGMA synchronous=FULL")
        conn.executescript(SCHEMA)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


class Queue:
    def __init__(self, path: pathlib.Path):
        self.path = path
        self._db = connect(path)

    def close(self) -> None:
        self._db.close()

    def enqueue(self, *, kind: str, reference: str, payload: dict, estimate: dict | None = None) -> tuple[Item, bool]:
        """Store a request durably. Returns (item, created); the same reference and payload again
        returns the first item; a different payload under it raises ReferenceConflict."""
        body = json.dumps(payload, sort_keys=True)
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT * FROM queue WHERE reference = ?", (reference,)).fetchone()
            if row is not None:
                db.execute("COMMIT")
                if row["kind"] != kind or row["payload"] != body:
                    raise ReferenceConflict(reference)
                return Item.from_row(row), False
            cur = db.execute(
                "INSERT INTO queue (kind, reference, payload, created_at, estimate) VALUES (?, ?, ?, ?, ?)",
                (kind, reference, body, time.time(), json.dumps(estimate) if estimate is not None else None))
            seq = cur.lastrowid
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return self.get(seq), True

    def get(self, seq: int) -> Item | None:
        row = self._db.execute("SELECT * FROM queue WHERE seq = ?", (seq,)).fetchone()
        return Item.from_row(row) if row else None

    def by_reference(self, reference: str) -> Item | None:
        row = self._db.execute("SELECT * FROM queue WHERE reference = ?", (reference,)).fetchone()
        return Item.from_row(row) if row else None

    def references(self, kind: str) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT reference FROM queue WHERE kind = ?", (kind,))]

    def head(self) -> Item | None:
        row = self._db.execute("SELECT * FROM queue WHERE state = 'pending' ORDER BY seq LIMIT 1").fetchone()
        return Item.from_row(row) if row else None

    def pending(self, limit: int = 1000) -> list[Item]:
        rows = self._db.execute("SELECT * FROM queue WHERE state = 'pending' ORDER BY seq LIMIT ?", (limit,))
        return [Item.from_row(r) for r in rows]

    def mark_posted(self, seq: int, result: dict) -> None:
        self._db.execute("UPDATE queue SET state = 'posted', result = ?, done_at = ?, attempts = attempts + 1, "
                         "last_error = NULL WHERE seq = ? AND state = 'pending'", (json.dumps(result), time.time(), seq))

    def mark_rejected(self, seq: int, error: str) -> None:
        self._db.execute("UPDATE queue SET state = 'rejected', last_error = ?, done_at = ?, attempts = attempts + 1 "
                         "WHERE seq = ? AND state = 'pending'", (error, time.time(), seq))

    def mark_failed_attempt(self, seq: int, error: str) -> None:
        self._db.execute("UPDATE queue SET attempts = attempts + 1, last_error = ? WHERE seq = ?", (error, seq))

    def mark_sending(self, seq: int) -> None:
        self._db.execute("UPDATE queue SET attempts = attempts + 1 WHERE seq = ?", (seq,))

    def stats(self) -> QueueStats:
        return stats(self._db)

    def purge(self, *, older_than_seconds: float) -> int:
        """Forget posted items after a while (rejected ones stay until an operator looks)."""
        cur = self._db.execute("DELETE FROM queue WHERE state = 'posted' AND done_at < ?",
                               (time.time() - older_than_seconds,))
        return cur.rowcount

    def put_value(self, key: str, value) -> None:
        self._db.execute("INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE "
                         "SET value = excluded.value, updated_at = excluded.updated_at",
                         (key, json.dumps(value), time.time()))

    def get_value(self, key: str) -> tuple[object, float] | None:
        row = self._db.execute("SELECT value, updated_at FROM kv WHERE key = ?", (key,)).fetchone()
        return (json.loads(row["value"]), row["updated_at"]) if row else None


def stats(db: sqlite3.Connection) -> QueueStats:
    row = db.execute(
        "SELECT count(*) FILTER (WHERE state = 'pending') AS pending, "
        "count(*) FILTER (WHERE state = 'rejected') AS rejected, count(*) FILTER (WHERE state = 'posted') AS posted, "
        "min(created_at) FILTER (WHERE state = 'pending') AS oldest FROM queue").fetchone()
    return QueueStats(pending=row["pending"], rejected=row["rejected"], posted=row["posted"],
                      oldest_pending_at=row["oldest"])
