"""Mail queued in the caller's transaction and sent after commit through SMTP (retried with backoff).
A row holds a link with a single-use token, so it is deleted once sent."""

import logging

import asyncpg

from services.common.mail import Sender
from services.common.outbox import RelayLoop

log = logging.getLogger(__name__)


async def enqueue(conn: asyncpg.Connection, *, to: str, subject: str, body: str) -> None:
    await conn.execute("INSERT INTO mail_outbox (to_address, subject, body) VALUES ($1, $2, $3)", to, subject, body)


class MailRelay(RelayLoop):
    name = "identity-mail-relay"

    def __init__(self, pool: asyncpg.Pool, sender: Sender, *, sweep_seconds: float = 5.0):
        super().__init__(sweep_seconds=sweep_seconds)
        self._pool = pool
        self._sender = sender

    async def step(self) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT id, to_address, subject, body FROM mail_outbox WHERE next_attempt_at <= now()"
                " ORDER BY id LIMIT 20 FOR UPDATE SKIP LOCKED")
            for row in rows:
                try:
                    await self._sender.send(to=row["to_address"], subject=row["subject"], body=row["body"])
                except Exception as exc:  # retried; the reason only (an SMTP error can quote the address)
                    log.warning("identity mail %s failed: %s; will retry", row["id"], type(exc).__name__)
                    await conn.execute(
                        "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = now()"
                        " + least(interval '1 second' * power(2, attempts), interval '5 minutes') WHERE id = $1",
                        row["id"], type(exc).__name__)
                else:
                    await conn.execute("DELETE FROM mail_outbox WHERE id = $1", row["id"])
            return len(rows)
