"""From a service's outbox row to the catalogue's events (catalogue.py): a row becomes none, one or
more events. Rows no receiver needs (the services' internal signals) become none."""

import dataclasses
import datetime as dt

from services.common.errors import invalid


@dataclasses.dataclass(frozen=True)
class SourceEvent:
    source: str
    outbox_id: int
    event_type: str
    payload: dict
    recorded_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class Mapped:
    name: str
    member_id: str | None
    loyalty_number: str
    occurred_at: dt.datetime
    data: dict


def parse_time(value: str, field: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise invalid(field, f"{value!r} is not an RFC 3339 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


# ---- points: ledger postings (loyalty.common.v1.LedgerEvent as JSON) -----------------------------

_BY_KIND = {
    "EARN": "LOY_POINT_ACCRUAL", "RETRO_CLAIM": "LOY_POINT_ACCRUAL", "ACTIVATE": "LOY_POINT_ACCRUAL",
    "BURN": "LOY_POINT_REDEMPTION", "CAPTURE": "LOY_POINT_REDEMPTION",
    "VOID": "LOY_POINT_VOID", "EXPIRE": "LOY_POINT_EXPIRY", "ADJUST": "LOY_POINT_ADJUSTMENT",
    "GOODWILL": "LOY_POINT_GOODWILL", "TRANSFER": "LOY_POINT_TRANSFER", "MERGE": "LOY_POINT_TRANSFER",
}
# a kind the table does not know yet still leaves under its ledger event's name
_BY_EVENT_TYPE = {
    "LOY_POINT_ACCRUAL": "LOY_POINT_ACCRUAL", "LOY_POINT_REDEMPTION": "LOY_POINT_REDEMPTION",
    "LOY_POINT_VOID": "LOY_POINT_VOID", "LOY_POINT_EXPIRY": "LOY_POINT_EXPIRY",
    "LOY_POINT_ADJUSTMENT": "LOY_POINT_ADJUSTMENT",
}


def _points(event: SourceEvent) -> list[Mapped]:
    p = event.payload
    if p.get("imported"):
        return []
    kind = p.get("transaction_kind", "")
    name = _BY_KIND.get(kind) or _BY_EVENT_TYPE.get(event.event_type)
    if name is None:
        return []
    data = {"transaction_id": p["transaction_id"], "transaction_kind": kind, "points": int(p.get("points", 0)),
            "reference": p.get("reference", "")}
    for key in ("partner_code", "location_code", "amount", "currency"):
        if p.get(key):
            data[key] = p[key]
    if p.get("campaign_code"):
        data["campaign_codes"] = [c for c in p["campaign_code"].split(",") if c]
    if name == "LOY_POINT_VOID":
        data["voided_transaction_id"] = p.get("voided_transaction_id", "")
        data["voided_occurred_at"] = p.get("voided_occurred_at", "")
    if name == "LOY_POINT_TRANSFER":
        data["direction"] = "in" if data["points"] > 0 else "out"
    occurred = parse_time(p["occurred_at"], "occurred_at") if p.get("occurred_at") else event.recorded_at
    return [Mapped(name, p.get("member_id"), p.get("loyalty_number", ""), occurred, data)]


# ---- member: enrolment, statuses, merges ---------------------------------------------------------

def _member(event: SourceEvent) -> list[Mapped]:
    p, at = event.payload, event.recorded_at
    who = (p.get("member_id"), p.get("loyalty_number", ""))
    if event.event_type == "LOY_OPT_IN":
        return [Mapped("LOY_OPT_IN", *who, at, {"status": p["status"], "opted_in_at": p["opted_in_at"],
                                                  "channel": p.get("channel", "")})]
    if event.event_type == "LOY_OPT_OUT":
        return [Mapped("LOY_OPT_OUT", *who, at, {"from_status": p.get("from_status", "")})]
    if event.event_type == "MEMBER_STATUS_CHANGED":
        mapped = [Mapped("MEMBER_STATUS_CHANGED", *who, at,
                         {"status": p["status"], "from_status": p.get("from_status", "")})]
        if p["status"] == "erased":
            mapped.append(Mapped("MEMBER_ERASED", *who, at, {"from_status": p.get("from_status", "")}))
        return mapped
    if event.event_type == "MEMBER_MERGED":
        return [Mapped("MEMBER_MERGED", p["to_member_id"], p.get("to_loyalty_number", ""), at, {
            "merge_id": p["merge_id"], "from_member_id": p["from_member_id"],
            "from_loyalty_number": p.get("from_loyalty_number", ""), "reference": p.get("reference", "")})]
    return []


# ---- tier: changes of tier -----------------------------------------------------------------------

_TIER_EVENTS = ("TIER_UPGRADE", "TIER_DOWNGRADE", "TIER_ANNIVERSARY", "CLOSE_TO_TIER_UPGRADE")


def _tier(event: SourceEvent) -> list[Mapped]:
    if event.event_type not in _TIER_EVENTS:
        return []
    p = event.payload
    data = {"slab_code": p["slab_code"], "from_tier": p.get("from_tier"), "to_tier": p["to_tier"],
            "level": int(p["level"]), "effective_on": str(p["effective_on"])[:10], "reason": p.get("reason", "")}
    if p.get("value") is not None:
        data["value"] = str(p["value"])
    if event.event_type == "CLOSE_TO_TIER_UPGRADE":
        data["next_tier"] = p["next_tier"]
        data["needed"] = str(p["needed"])
    return [Mapped(event.event_type, p.get("member_id"), p.get("loyalty_number", ""), event.recorded_at, data)]


# ---- rewards: claims and vouchers (services/rewards/events.py) -----------------------------------

_REWARD_EVENTS = ("REWARD_CLAIMED", "REWARD_SETTLED", "REWARD_VOIDED", "VOUCHER_ISSUED")


def _rewards(event: SourceEvent) -> list[Mapped]:
    if event.event_type not in _REWARD_EVENTS:
        return []
    p = event.payload
    data = {"redemption_id": p["claim_id"], "reward_code": p["reward_code"], "points": int(p.get("points", 0)),
            "reference": p.get("reference", "")}
    if p.get("order_reference"):
        data["order_reference"] = p["order_reference"]
    if event.event_type == "REWARD_VOIDED" and p.get("reason"):
        data["reason"] = p["reason"]
    if event.event_type == "VOUCHER_ISSUED":
        data = {"voucher_id": p["voucher_code"], "reward_code": p["reward_code"], "expires_at": None,
                "redemption_id": p["claim_id"]}
    return [Mapped(event.event_type, p.get("member_id"), p.get("loyalty_number", ""), event.recorded_at, data)]


# ---- campaigns: windows opening and closing (the campaign-events job, campaigns.py) ---------------

def _campaigns(event: SourceEvent) -> list[Mapped]:
    if event.event_type not in ("CAMPAIGN_STARTED", "CAMPAIGN_ENDED"):
        return []
    p = event.payload
    data = {"campaign_code": p["campaign_code"], "starts_at": p["starts_at"], "ends_at": p.get("ends_at")}
    if p.get("name"):
        data["name"] = p["name"]
    at = parse_time(p["starts_at"] if event.event_type == "CAMPAIGN_STARTED" else p["ends_at"], "at")
    return [Mapped(event.event_type, None, "", at, data)]


SOURCES = {"points": _points, "member": _member, "tier": _tier, "rewards": _rewards, "campaigns": _campaigns}


def map_event(event: SourceEvent) -> list[Mapped]:
    mapper = SOURCES.get(event.source)
    if mapper is None:
        raise invalid("source", f"{event.source!r} is not one of {sorted(SOURCES)}")
    return mapper(event)
