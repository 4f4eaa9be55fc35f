"""The webhook part of docs/events.md (scripts/gen_events_doc.py), kept beside the code it describes."""

TEXT = """\
## Webhooks

A program subscribes a URL to the event types it wants (`createWebhookSubscription`: `url`,
`eventTypes` from the catalogue above, `active`); only those types are delivered to it, and a
paused subscription (`active: false`) is sent nothing (events that arrive while it is paused are
skipped, not queued; `replayWebhookEvents` sends them later if wanted). Permissions: `webhook.read` (subscriptions,
the delivery log, `eventTypes`), `webhook.manage` (create, change, delete, rotate, redeliver, replay).

**A delivery** is an HTTP `POST` of one event's envelope (JSON) with these headers:

| header | value |
|---|---|
| `Loyalty-Event-Id` | the event's id: the same on every attempt, redelivery and replay (dedupe on it) |
| `Loyalty-Event-Type` | e.g. `LOY_POINT_ACCRUAL` |
| `Loyalty-Delivery-Id`, `Loyalty-Delivery-Attempt` | which delivery (the log's id) and its attempt number |
| `Loyalty-Signature` | `t=<unix seconds>,v1=<hex HMAC-SHA256>` (one `v1` per secret that signs now) |

Any 2xx answer within the timeout (10 s, `WEBHOOK_TIMEOUT_SECONDS`) accepts it; anything else
(another status, a timeout, a refused connection) is retried with exponential backoff and jitter
(`WEBHOOK_BACKOFF_BASE_SECONDS` 5 s doubling to at most `WEBHOOK_BACKOFF_MAX_SECONDS` 1 h, each delay
taken at random between half and all of it) for 24 hours (`WEBHOOK_RETRY_WINDOW_SECONDS`), then the
delivery is dead: it stays in the log, and `redeliverWebhook` sends it again. Redirects are not
followed. One member's events reach a subscription in order: while one of them is being retried
the member's later events to that subscription wait (other members' go on).

**Isolation.** Each subscription is sent by a worker of its own with its own HTTP connections, up
to 4 requests at a time (different members), each bounded by the timeout: a slow, hung or failing
receiver holds up only its own subscription, never another subscription or another program.

**The delivery log** (`webhookDeliveries`) lists each delivery, newest first: status (`pending`
while retrying, `delivered`, `dead`), attempts, the last status code, latency and error, and every
attempt. `replayWebhookEvents(from, to)` delivers again every event that occurred in `[from, to)`
of a type the subscription takes (up to 10,000 per call).

**Secrets.** A subscription's secret (`whsec_...`) is in the answer of `createWebhookSubscription`
and `rotateWebhookSecret` only. `rotateWebhookSecret(graceSeconds)` makes a new secret; the previous
one signs as well until the grace period ends (default one day), so the header carries two `v1`
signatures meanwhile and a receiver may switch secrets at its own pace.

**Verifying a delivery** (Python; any language with HMAC-SHA256 does the same): compute the
HMAC-SHA256 of `<t>.<raw body>` with your secret, compare it in constant time with each `v1`, and
refuse timestamps older than a few minutes (replays of a captured request).

```python
import hashlib, hmac, time

def verify(signature_header: str, raw_body: bytes, secret: str, tolerance: int = 300) -> bool:
    parts = [p.split("=", 1) for p in signature_header.split(",") if "=" in p]
    stamps = [v for k, v in parts if k == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit() or abs(time.time() - int(stamps[0])) > tolerance:
        return False
    expected = hmac.new(secret.encode(), stamps[0].encode() + b"." + raw_body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, v) for k, v in parts if k == "v1")
```

**Where webhooks may go.** `http(s)` URLs whose host resolves to public addresses only: loopback,
link-local (cloud metadata), private, shared, multicast and reserved addresses are refused when a
subscription is saved, and again on the addresses every new connection is opened to (a name re-pointed
at an internal address after it was saved is not reached). The operator may allow them for local
development and tests (`WEBHOOK_ALLOW_PRIVATE_TARGETS=true`; `make run` sets it).
"""
