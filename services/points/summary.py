"""A member's points summary."""

import uuid

import asyncpg

from loyalty.points.v1 import points_service_pb2 as pb
from services.common.db import tenant_tx
from services.common.errors import not_found
from services.points import repository


async def member_summary(pool: asyncpg.Pool, *, program_id: uuid.UUID, loyalty_number: str) -> pb.PointsSummary:
    async with tenant_tx(pool, program_id) as conn:
        member = await repository.member_by_loyalty_number(conn, loyalty_number)
        if member is None:
            raise not_found("member", loyalty_number)
        row = await repository.summary(conn, member["id"])
    return pb.PointsSummary(available=row["available"], lifetime_earned=row["lifetime_earned"])
