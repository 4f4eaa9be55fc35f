"""Webhook signatures: HMAC-SHA256 over "<timestamp>.<body>" with each secret that is valid now.

The header `Loyalty-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]` carries one `v1` per valid
secret: during a rotation's grace period both the new and the previous secret sign, so a receiver
that still holds the previous one keeps verifying. `verify` is what a receiver does (docs/events.md
shows the same in a few lines).
"""

import hashlib
import hmac
import secrets
import time

HEADER = "Loyalty-Signature"
PREFIX = "whsec_"
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def header(valid_secrets: list[str], timestamp: int, body: bytes) -> str:
    return ",".join([f"t={timestamp}", *(f"v1={signature(s, timestamp, body)}" for s in valid_secrets)])


def verify(header_value: str, body: bytes, secret: str, *, now: float | None = None,
           tolerance: int = TOLERANCE_SECONDS) -> bool:
    """True when one of the header's v1 signatures is `secret`'s over this body, made within `tolerance`."""
    parts = [p.split("=", 1) for p in header_value.split(",") if "=" in p]
    stamps = [v for k, v in parts if k == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit():
        return False
    timestamp = int(stamps[0])
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, v) for k, v in parts if k == "v1")
