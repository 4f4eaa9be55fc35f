"""Password hashing (argon2id) and the password policy, with the shipped list of common passwords."""

import asyncio
import functools
import pathlib

import argon2

from services.common.errors import invalid

MIN_LENGTH = 12
MAX_LENGTH = 256
COMMON_PASSWORDS_FILE = pathlib.Path(__file__).parent / "common_passwords.txt"


@functools.cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text().splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def check_policy(password: str, *, email: str = "", field: str = "password") -> str:
    """The minimum policy: length, not a common password, not the address. Raises INVALID_INPUT naming the field."""
    if len(password) < MIN_LENGTH:
        raise invalid(field, f"must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise invalid(field, f"must be at most {MAX_LENGTH} characters")
    lowered = password.lower()
    if lowered in common_passwords() or lowered.rstrip("0123456789!.") in common_passwords():
        raise invalid(field, "is too common; choose another")
    if len(set(password)) < 4:
        raise invalid(field, "uses too few different characters")
    local = email.partition("@")[0].lower()
    if len(local) >= 4 and local in lowered:
        raise invalid(field, "must not contain the email address")
    return password


class Hasher:
    """argon2id with the given cost; hashing and verifying run in a thread (the C code releases the GIL)."""

    def __init__(self, *, time_cost: int, memory_kib: int, parallelism: int):
        self._hasher = argon2.PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism,
                                             type=argon2.Type.ID)
        # Verified against when the address is unknown, so both answers take the same time.
        self._dummy = self._hasher.hash("not a real password, for timing only")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    def verify_sync(self, stored: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False

    async def verify(self, stored: str | None, password: str) -> bool:
        return await asyncio.to_thread(self.verify_sync, stored, password)

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)
