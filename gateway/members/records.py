"""A member as the member service sent it, read field by field as GraphQL asks.

A search returns 20 members and a client asks for a few of their fields; copying every field of
every message into a `Member` (and decoding its custom attributes) cost more than answering. The
record keeps the message and reads an attribute when a field is resolved; it has the same
attributes as `Member`, which resolves fields from any source with them (the member view's
resolvers read `program` and `loyalty_number`).
"""

import json
from operator import attrgetter

from loyalty.member.v1 import member_service_pb2 as member_pb


def _from_message(name: str) -> property:
    return property(attrgetter(f"_message.{name}"), doc=f"member.{name} as sent")


class MemberRecord:
    __slots__ = ("_message", "program")

    def __init__(self, message: member_pb.Member, program: str = ""):
        self._message = message
        self.program = program

    id = _from_message("id")
    loyalty_number = _from_message("loyalty_number")
    email = _from_message("email")
    first_name = _from_message("first_name")
    last_name = _from_message("last_name")
    phone = _from_message("phone")
    status = _from_message("status")
    enrolled_at = _from_message("enrolled_at")
    channel = _from_message("channel")
    zip = _from_message("zip")
    nationality = _from_message("nationality")
    opted_in_at = _from_message("opted_in_at")
    status_changed_at = _from_message("status_changed_at")
    # MarketingConsents has the message's field names (email, sms, post): the message serves as it is.
    consents = _from_message("consents")

    @property
    def birth_date(self) -> str | None:
        return self._message.birth_date or None

    @property
    def merged_into(self) -> str | None:
        return self._message.merged_into or None

    @property
    def custom_attributes(self) -> dict:
        return json.loads(self._message.custom_attributes_json or "{}")
