"""The four till options (enrol, enquire, earn, redeem) plus void, offline first.

Earn, void and enrol are written to the durable queue before anything else; the till then waits
at most `online_wait_seconds` for the platform's answer, and not at all while the platform is
known to be away: it gets "accepted, will post" with the points computed from the last synced
rules. Enquire, passcodes and redeem need the platform and say so when it is away.
"""

import asyncio
import dataclasses
import datetime as dt
import logging
import time
from decimal import Decimal

from store_agent import offline_rules
from store_agent.forwarder import Forwarder
from store_agent.platform import PlatformClient, PlatformRejected, PlatformUnavailable
from store_agent.queue import Item, Queue, ReferenceConflict
from store_agent.settings import AgentSettings

log = logging.getLogger("store_agent")

RULES_KEY = "rules"
DETAILS_TTL = 60.0
KEEP_POSTED_SECONDS = 7 * 86400  # posted items stay a week for the operator and reprints


class AgentError(Exception):
    """A till-facing error: a stable code, a message, the field it is about, an HTTP status."""

    def __init__(self, code: str, message: str, *, field: str | None = None, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.field, self.status = code, message, field, status

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, **({"field": self.field} if self.field else {})}


def platform_unavailable(what: str, detail: str | None = None) -> AgentError:
    return AgentError("PLATFORM_UNAVAILABLE", f"{what} needs the loyalty platform, which cannot be reached now"
                      + (f" ({detail})" if detail else "") + "; try again when the connection is back",
                      status=503)


def from_rejection(e: PlatformRejected) -> AgentError:
    status = {"NOT_FOUND": 404, "FORBIDDEN": 403, "UNAUTHENTICATED": 401}.get(e.code, 409 if e.code in (
        "IDEMPOTENCY_CONFLICT", "DUPLICATE_MEMBER") else 422)
    return AgentError(e.code or "REJECTED", e.message, field=e.field, status=status)


@dataclasses.dataclass
class Redemption:
    loyalty_number: str
    result: dict


class Agent:
    def __init__(self, settings: AgentSettings, *, platform: PlatformClient | None = None):
        self.settings = settings
        self.queue = Queue(settings.queue_path)
        self.platform = platform or PlatformClient(graphql_url=settings.graphql_url,
                                                   api_key=settings.api_key.get_secret_value(),
                                                   timeout=settings.request_timeout_seconds)
        self.forwarder = Forwarder(queue=self.queue, platform=self.platform, program=settings.program,
                                   timeout=settings.request_timeout_seconds,
                                   backoff_initial=settings.backoff_initial_seconds,
                                   backoff_max=settings.backoff_max_seconds)
        self._details: dict[str, tuple[float, asyncio.Task]] = {}
        # Every earn's reference in the queue (a superset: rejected and purged ones stay): a receipt
        # whose reference is not here has no earn, known without reading the queue file.
        self._earn_references = set(self.queue.references("earn"))
        self.redemptions: dict[str, Redemption] = {}
        self._tasks: list[asyncio.Task] = []

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self.forwarder.run(), name="forwarder"),
                       asyncio.create_task(self._sync_rules_forever(), name="rules-sync"),
                       asyncio.create_task(self._watch_age_forever(), name="queue-age")]

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for _, task in self._details.values():
            task.cancel()
        await self.platform.aclose()
        self.queue.close()

    def platform_reference(self, pos_reference: str) -> str:
        """Unique across stores and tills: the platform's idempotency is per program."""
        return f"{self.settings.store_code}:{self.settings.terminal_id}:{pos_reference}"

    # -- earn, void, enrol: queued -----------------------------------------------------------

    async def earn(self, *, loyalty_number: str, amount: Decimal, reference: str, currency: str | None = None,
                   items: list[dict] | None = None, occurred_at: dt.datetime | None = None) -> dict:
        s = self.settings
        currency = currency or s.currency
        if currency != s.currency:
            raise AgentError("INVALID_INPUT", f"currency: this store takes {s.currency}, not {currency}",
                             field="currency")
        at = occurred_at or dt.datetime.now(dt.timezone.utc)
        items = items or []
        payload = {"program": s.program, "loyaltyNumber": loyalty_number, "amount": str(amount),
                   "currency": currency, "reference": self.platform_reference(reference),
                   "locationCode": s.store_code, "channel": "pos", "occurredAt": at.isoformat(),
                   "items": items}
        rules = self.queue.get_value(RULES_KEY)
        estimate = offline_rules.estimate(rules[0] if rules else None, amount=amount, currency=currency,
                                          channel="pos", location=s.store_code, items=items, at=at,
                                          base_rate=s.base_earn_rate)
        item = self._enqueue("earn", payload, estimate.as_dict(), ignore=("occurredAt",))
        answer = await self._await_posting(item)
        return self._earn_answer(answer, reference)

    async def void(self, *, reference: str, target_reference: str, points: int = 0, reason: str | None = None,
                   loyalty_number: str | None = None) -> dict:
        s = self.settings
        payload = {"program": s.program, "reference": self.platform_reference(reference),
                   "targetReference": self.platform_reference(target_reference), "points": points,
                   "reason": reason or "till void", **({"loyaltyNumber": loyalty_number} if loyalty_number else {})}
        item = await self._await_posting(self._enqueue("void", payload, None))
        if item.state == "posted":
            return {"status": "posted", "reference": reference, "points": item.result["points"],
                    "new_balance": item.result["new_balance"]}
        return {"status": "accepted", "reference": reference,
                "message": "void accepted, will post when the platform is reachable"}

    async def enrol(self, *, reference: str, email: str, first_name: str, last_name: str,
                    phone: str | None = None, birth_date: str | None = None) -> dict:
        s = self.settings
        payload = {"program": s.program, "email": email, "firstName": first_name, "lastName": last_name,
                   "channel": "pos",
                   **({"phone": phone} if phone else {}), **({"birthDate": birth_date} if birth_date else {})}
        item = await self._await_posting(self._enqueue("enrol", payload, None, reference=reference))
        if item.state == "posted":
            return {"status": "posted", "loyalty_number": item.result.get("loyalty_number")}
        return {"status": "accepted", "loyalty_number": None,
                "message": "enrolment accepted, will post when the platform is reachable; the member number is "
                           "mailed to the member then"}

    def _enqueue(self, kind: str, payload: dict, estimate: dict | None, *, reference: str | None = None,
                 ignore: tuple[str, ...] = ()) -> Item:
        ref = reference or payload["reference"]
        if kind == "enrol":
            ref = self.platform_reference(f"enrol:{reference}")
        try:
            item, created = self.queue.enqueue(kind=kind, reference=ref, payload=payload, estimate=estimate)
        except ReferenceConflict:
            # A till retry of the same sale carries a new timestamp; compare without it.
            existing = self.queue.by_reference(ref)
            same = existing is not None and existing.kind == kind and \
                {k: v for k, v in existing.payload.items() if k not in ignore} == \
                {k: v for k, v in payload.items() if k not in ignore}
            if not same:
                raise AgentError("IDEMPOTENCY_CONFLICT", f"reference: {ref.rsplit(':', 1)[-1]!r} was already used "
                                 "for a different request", field="reference", status=409) from None
            item = existing
        if kind == "earn":
            self._earn_references.add(ref)
        if item.state == "pending":
            self.forwarder.wake()
        return item

    async def _await_posting(self, item: Item) -> Item:
        """The item as it stands after at most online_wait (no wait while the platform is away)."""
        if item.state != "pending" or not self.forwarder.online:
            return item
        fut = self.forwarder.completion(item.seq)
        try:
            done = await asyncio.wait_for(asyncio.shield(fut), self.settings.online_wait_seconds)
        except asyncio.TimeoutError:
            return self.queue.get(item.seq)
        if done.state == "rejected":
            code, _, message = (done.last_error or "REJECTED: ").partition(": ")
            raise AgentError(code, message, status=422 if code != "NOT_FOUND" else 404)
        return done

    def _earn_answer(self, item: Item, pos_reference: str) -> dict:
        number = item.payload["loyaltyNumber"]
        if item.state == "posted":
            r = item.result
            self._prefetch_details(number)
            return {"status": "posted", "reference": pos_reference, "loyalty_number": number,
                    "amount": item.payload["amount"], "points": r["points_earned"], "old_balance": r["old_balance"], "new_balance": r["new_balance"],
                    "lines": r["lines"], "exact": True}
        if item.state == "rejected":
            raise AgentError("REJECTED", f"the platform refused this earn: {item.last_error}", status=422)
        e = item.estimate or {}
        return {"status": "accepted", "reference": pos_reference, "loyalty_number": number,
                "amount": item.payload["amount"], "points": e.get("points"), "exact": e.get("exact", False), "lines": e.get("lines", []),
                "estimate_reasons": e.get("reasons", []),
                "message": "accepted, will post when the platform is reachable"}

    # -- enquire, passcode, redeem: online only ---------------------------------------------

    def queued_points(self, loyalty_number: str) -> int:
        return sum((i.estimate or {}).get("points") or 0 for i in self.queue.pending()
                   if i.kind == "earn" and i.payload.get("loyaltyNumber") == loyalty_number)

    async def enquire(self, loyalty_number: str) -> dict:
        queued = self.queued_points(loyalty_number)
        try:
            r = await self.platform.enquire(self.settings.program, loyalty_number,
                                            timeout=self.settings.request_timeout_seconds)
        except PlatformUnavailable as e:
            err = platform_unavailable("enquire", str(e))
            if queued:
                err.message += f"; {queued} points are queued at this till for this member"
            raise err from None
        except PlatformRejected as e:
            raise from_rejection(e) from None
        return {"loyalty_number": loyalty_number, **r, "queued_points": queued}

    async def request_passcode(self, loyalty_number: str) -> dict:
        try:
            return await self.platform.request_passcode(self.settings.program, loyalty_number)
        except PlatformUnavailable as e:
            raise platform_unavailable("a passcode", str(e)) from None
        except PlatformRejected as e:
            raise from_rejection(e) from None

    async def redeem(self, *, loyalty_number: str, reference: str, passcode: str | None, points: int | None,
                     transaction_value: Decimal | None, currency: str | None) -> dict:
        s = self.settings
        variables = {"program": s.program, "loyaltyNumber": loyalty_number,
                     "reference": self.platform_reference(reference), "otp": passcode,
                     "locationCode": s.store_code}
        if points is not None:
            variables["points"] = points
        if transaction_value is not None:
            variables["transactionValue"] = str(transaction_value)
            variables["currency"] = currency or s.currency
        try:
            result = await self.platform.redeem(variables, timeout=s.request_timeout_seconds)
        except PlatformUnavailable as e:
            raise platform_unavailable("redeem", str(e)) from None
        except PlatformRejected as e:
            raise from_rejection(e) from None
        self.redemptions[reference] = Redemption(loyalty_number, result)
        if len(self.redemptions) > 500:
            self.redemptions.pop(next(iter(self.redemptions)))
        self._prefetch_details(loyalty_number, refresh=True)
        return {"status": "posted", "reference": reference, "loyalty_number": loyalty_number, **result}

    # -- what a receipt shows ------------------------------------------------------------------

    def _prefetch_details(self, number: str, *, refresh: bool = False) -> asyncio.Task:
        """Balance, expiring points and a claimable reward, fetched once after a posting."""
        now = time.monotonic()
        found = self._details.get(number)
        if found and not refresh and now - found[0] < DETAILS_TTL:
            return found[1]
        task = asyncio.create_task(self._fetch_details(number))
        self._details[number] = (now, task)
        if len(self._details) > 500:
            self._details.pop(next(iter(self._details)))[1].cancel()
        return task

    async def _fetch_details(self, number: str) -> dict:
        p, s = self.platform, self.settings
        enquiry, reward = await asyncio.gather(
            p.enquire(s.program, number, timeout=s.request_timeout_seconds),
            p.claimable_reward(s.program, number, s.store_code, timeout=s.request_timeout_seconds),
            return_exceptions=True)
        return {"enquiry": None if isinstance(enquiry, BaseException) else enquiry,
                "reward": None if isinstance(reward, BaseException) else reward}

    def has_activity(self, pos_reference: str) -> bool:
        """Whether a receipt of this reference may get a block: from memory, no waiting. True for an
        earn the platform rejected too (receipt_info, which reads the queue, then answers None)."""
        return pos_reference in self.redemptions or self.platform_reference(pos_reference) in self._earn_references

    async def receipt_info(self, pos_reference: str, *, budget: float) -> dict | None:
        """What the receipt of `pos_reference` should say; None when it has no loyalty activity.
        Waits for the platform at most `budget` seconds, then answers with what it has."""
        deadline = time.monotonic() + budget
        item = self.queue.by_reference(self.platform_reference(pos_reference))
        redemption = self.redemptions.get(pos_reference)
        if (item is None or item.kind != "earn" or item.state == "rejected") and redemption is None:
            return None
        info: dict = {"reference": pos_reference}
        number = None
        if item is not None and item.kind == "earn" and item.state != "rejected":
            if item.state == "pending" and self.forwarder.online:
                try:
                    item = await asyncio.wait_for(asyncio.shield(self.forwarder.completion(item.seq)),
                                                  max(0.0, deadline - time.monotonic()))
                except asyncio.TimeoutError:
                    pass
            number = item.payload["loyaltyNumber"]
            info["earn"] = self._earn_answer(item, pos_reference) if item.state != "rejected" else None
        if redemption is not None:
            number = redemption.loyalty_number
            info["redeem"] = redemption.result
        info["loyalty_number"] = number
        posted = (info.get("earn") or {}).get("status") == "posted" or redemption is not None
        if posted:
            task = self._prefetch_details(number)
            try:
                info.update(await asyncio.wait_for(asyncio.shield(task), max(0.0, deadline - time.monotonic())))
            except (asyncio.TimeoutError, Exception):  # noqa: BLE001 - the receipt prints without them
                pass
        return info

    # -- background ------------------------------------------------------------------------------

    async def sync_rules(self) -> bool:
        try:
            rules = await self.platform.rules(self.settings.program)
        except (PlatformUnavailable, PlatformRejected) as e:
            log.warning("rules not synced: %s", e)
            return False
        self.queue.put_value(RULES_KEY, rules)
        return True

    async def _sync_rules_forever(self) -> None:
        while True:
            ok = await self.sync_rules()
            await asyncio.sleep(self.settings.rules_sync_seconds if ok else min(30, self.settings.rules_sync_seconds))

    def queue_status(self) -> dict:
        st = self.queue.stats()
        age = st.oldest_age()
        rules = self.queue.get_value(RULES_KEY)
        return {"pending": st.pending, "rejected": st.rejected, "posted": st.posted,
                "oldest_pending_age_seconds": round(age, 1),
                "alert": age > self.settings.alert_age_seconds,
                "alert_age_seconds": self.settings.alert_age_seconds,
                "platform_online": self.forwarder.online, "last_error": self.forwarder.last_error,
                "rules_synced_at": dt.datetime.fromtimestamp(rules[1], dt.timezone.utc).isoformat() if rules else None}

    async def _watch_age_forever(self) -> None:
        alerted = False
        while True:
            self.queue.purge(older_than_seconds=KEEP_POSTED_SECONDS)
            age = self.queue.stats().oldest_age()
            if age > self.settings.alert_age_seconds:
                # Logged at ERROR once per episode: the shop's log shipper or monitoring picks it up.
                if not alerted:
                    log.error("ALERT store queue: oldest item waits %.0fs (threshold %ss); platform: %s",
                              age, self.settings.alert_age_seconds, self.forwarder.last_error or "reachable")
                alerted = True
            elif alerted:
                log.warning("store queue alert cleared")
                alerted = False
            await asyncio.sleep(min(10, self.settings.alert_age_seconds / 2))
