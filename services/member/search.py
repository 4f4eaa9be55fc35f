"""Finding members: a prefix of a loyalty number, email, phone or name, case-insensitive, sorted,
paginated with a keyset cursor, each query one range scan over an index (see migration 0002)."""

import base64
import datetime as dt
import dataclasses
import json
import re
import uuid

import asyncpg

from services.common.errors import invalid
from services.member import repository
from services.member.tenant_read import tenant_read

# name: "last first" (type the surname first); first_name: "first last".
FIELDS = ("loyalty_number", "email", "phone", "name", "first_name")
SORTS = ("loyalty_number", "email", "phone", "name", "first_name", "enrolled_at")
TOP = "\U0010ffff"


@dataclasses.dataclass(frozen=True)
class SearchQuery:
    query: str
    field: str = ""
    sort: str = ""
    descending: bool = False
    page_size: int = 20
    page_token: str = ""
    status: str = ""
    fields: frozenset[str] = frozenset()  # the Member fields asked for; empty: all


# What every page holds, whatever is asked for: the member's identity (and the page token's).
ALWAYS = frozenset({"id", "loyalty_number"})


def guess_field(query: str) -> str:
    if "@" in query:
        return "email"
    if query.startswith("+"):
        return "phone"
    if query.isdigit():
        return "loyalty_number"
    return "name"


def normalise(field: str, query: str) -> str:
    query = " ".join(query.split())
    if field == "phone":
        query = re.sub(r"[\s().-]", "", query)
        if query.startswith("00"):
            query = "+" + query[2:]
        if query and not query.startswith("+"):
            query = "+" + query
    elif field != "loyalty_number":
        query = query.lower()
    return query


def prefix_range(prefix: str) -> tuple[str, str]:
    """[prefix, next prefix) in byte order: what `LIKE 'prefix%'` means, as an index range."""
    if not prefix:
        return "", TOP
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def encode_token(sort_key: str, member_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(json.dumps([sort_key, str(member_id)]).encode()).decode()


def decode_token(token: str) -> tuple[str, uuid.UUID]:
    try:
        key, member_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        return key, uuid.UUID(member_id)
    except (ValueError, TypeError):
        raise invalid("pageToken", "is not a token this search returned") from None


def plan(q: SearchQuery) -> tuple[str, list, str]:
    field = q.field or guess_field(q.query.strip())
    if field not in FIELDS:
        raise invalid("field", f"{field!r} is not one of {list(FIELDS)}")
    sort = q.sort or field
    if sort not in SORTS:
        raise invalid("sort", f"{sort!r} is not one of {list(SORTS)}")
    if not 0 <= q.page_size <= 100:
        raise invalid("pageSize", "must be between 1 and 100")
    if len(q.query) > 100:
        raise invalid("query", "must be at most 100 characters")
    unknown = sorted(q.fields - repository.MEMBER_FIELD_COLUMNS.keys())
    if unknown:
        raise invalid("fields", f"{unknown[0]!r} is not a field of Member")
    size = q.page_size or 20
    start, end = prefix_range(normalise(field, q.query))
    after = decode_token(q.page_token) if q.page_token else None
    columns = page_fields(q)
    if columns and sort == "enrolled_at":  # the page token's key
        columns = columns | {"enrolled_at"}
    sql = repository.search_sql(field=field, sort=sort, descending=q.descending, after=after is not None,
                                status=bool(q.status), columns=repository.member_columns(columns))
    args: list = [start, end, size + 1]
    if after:
        key = after[0]
        if sort == "enrolled_at":
            try:
                key = dt.datetime.fromisoformat(key)
            except ValueError:
                raise invalid("pageToken", "is not a token this search returned") from None
        args += [key, after[1]]
    if q.status:
        args.append(q.status)
    return sql, args, sort


def page_fields(q: SearchQuery) -> frozenset[str]:
    """The Member fields a page's members have: empty (every one) unless some are asked for."""
    return q.fields | ALWAYS if q.fields else frozenset()


async def search(pool: asyncpg.Pool, *, program_id: uuid.UUID, query: SearchQuery):
    sql, args, sort = plan(query)
    async with tenant_read(pool, program_id) as conn:
        rows = await repository.search(conn, sql, program_id, *args)
    size = query.page_size or 20
    token = ""
    if len(rows) > size:
        last = rows[size - 1]
        token = encode_token(last["enrolled_at"].isoformat() if sort == "enrolled_at" else last["sort_key"], last["id"])
    return rows[:size], token
