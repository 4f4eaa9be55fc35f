"""Drains the queue in order: one item at a time, the head first, backing off while the platform is away.

Sending is safe to repeat: every item carries its idempotency reference, so an item sent before a
crash and sent again after it posts once (the platform answers the replay with the first answer).
"""

import asyncio
import logging
import random

from store_agent.platform import PlatformClient, PlatformRejected, PlatformUnavailable
from store_agent.queue import Item, Queue

log = logging.getLogger("store_agent.forwarder")


class Forwarder:
    def __init__(self, *, queue: Queue, platform: PlatformClient, program: str, timeout: float,
                 backoff_initial: float, backoff_max: float):
        self._queue, self._platform, self._program, self._timeout = queue, platform, program, timeout
        self._initial, self._max = backoff_initial, backoff_max
        self._wake = asyncio.Event()
        self._done: dict[int, asyncio.Future] = {}
        self.online = True  # until an attempt fails
        self.last_error: str | None = None

    def wake(self) -> None:
        self._wake.set()

    def completion(self, seq: int) -> asyncio.Future:
        """Resolves with the item once the platform posted or refused it."""
        fut = self._done.get(seq)
        if fut is None:
            fut = self._done[seq] = asyncio.get_running_loop().create_future()
        return fut

    def forget(self, seq: int) -> None:
        fut = self._done.pop(seq, None)
        if fut is not None and not fut.done():
            fut.cancel()

    async def run(self) -> None:
        delay = self._initial
        while True:
            item = self._queue.head()
            if item is None:
                self._wake.clear()
                if self._queue.head() is None:
                    await self._wake.wait()
                continue
            try:
                result = await self._send(item)
            except PlatformUnavailable as e:
                self.online, self.last_error = False, str(e)
                self._queue.mark_failed_attempt(item.seq, str(e))
                log.warning("platform unavailable; item %s waits %.1fs: %s", item.reference, delay, e)
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))
                delay = min(delay * 2, self._max)
                continue
            except PlatformRejected as e:
                self.online, delay = True, self._initial
                self._queue.mark_rejected(item.seq, f"{e.code}: {e.message}" + (f" ({e.field})" if e.field else ""))
                log.error("platform refused %s %s: %s", item.kind, item.reference, e)
            else:
                self.online, delay, self.last_error = True, self._initial, None
                self._queue.mark_posted(item.seq, result)
            fut = self._done.pop(item.seq, None)
            if fut is not None and not fut.done():
                fut.set_result(self._queue.get(item.seq))

    async def _send(self, item: Item) -> dict:
        p = self._platform
        if item.kind == "earn":
            return await p.earn(item.payload, timeout=self._timeout)
        if item.kind == "void":
            return await p.void(item.payload, timeout=self._timeout)
        if item.kind == "enrol":
            # Enrolment has no idempotency key at the platform: count the attempt before sending.
            self._queue.mark_sending(item.seq)
            try:
                return await p.enroll(item.payload, timeout=self._timeout)
            except PlatformRejected as e:
                # Sent before a crash and answered then: the member exists; the number went by mail.
                if e.code == "DUPLICATE_MEMBER" and item.attempts > 0:
                    return {"loyalty_number": None, "duplicate": True}
                raise
        raise ValueError(f"unknown kind {item.kind}")
