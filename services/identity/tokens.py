"""Opaque single-use secrets: generated here, only their SHA-256 kept (a leaked table grants nothing)."""

import hashlib
import hmac
import secrets


def new_token(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def passcode() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def same(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)
