"""Programs by code for a few seconds per gateway process: every request names its program, and
asking the member service each time doubled the calls behind a POS lookup. A program's id never
changes; a rename or an archive shows within the TTL (the services refuse archived programs
themselves, so nothing is allowed late)."""

import time

from loyalty.common.v1 import program_pb2


class ProgramDirectory:
    def __init__(self, ttl_seconds: float = 5.0, max_entries: int = 10_000):
        self._ttl = ttl_seconds
        self._max = max_entries
        self._entries: dict[str, tuple[float, program_pb2.ProgramSpec]] = {}

    def get(self, code: str) -> program_pb2.ProgramSpec | None:
        hit = self._entries.get(code)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        return None

    def put(self, spec: program_pb2.ProgramSpec) -> None:
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[spec.code] = (time.monotonic() + self._ttl, spec)

    def forget(self, code: str) -> None:
        """After this process changed the program (other replicas see it within the TTL)."""
        self._entries.pop(code, None)
