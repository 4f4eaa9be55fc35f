"""The event catalogue: every business event that leaves the platform, named, versioned, with the
JSON Schema of its `data`. docs/events.md is generated from this module (scripts/gen_events_doc.py)
and a test fails when it is stale.

An event travels in the envelope `ENVELOPE` describes; `data` holds what is particular to its type.
Events carry identifiers and amounts, never a member's personal data (name, email, phone): a
receiver that needs them asks for the member's profile.
"""

import dataclasses
import functools

import jsonschema

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


@dataclasses.dataclass(frozen=True)
class EventType:
    name: str
    version: int
    description: str
    source: str  # the service whose outbox it comes from
    data: dict  # JSON Schema of `data`
    emitted: bool = True
    note: str = ""  # how it is produced, or why it is not yet

    @property
    def schema(self) -> dict:
        return {"$schema": SCHEMA_DIALECT, "title": f"{self.name} v{self.version} data", **self.data}


def _obj(required: dict, optional: dict | None = None) -> dict:
    return {"type": "object", "additionalProperties": False, "required": sorted(required),
            "properties": {**required, **(optional or {})}}


STR = {"type": "string"}
INT = {"type": "integer"}
UUID = {"type": "string", "format": "uuid"}
TIME = {"type": "string", "format": "date-time"}
DATE = {"type": "string", "format": "date"}
DECIMAL = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "description": "a decimal number as a string"}

# What every points movement says (a ledger transaction seen from one member).
_POSTING = {
    "transaction_id": UUID,
    "transaction_kind": {**STR, "description": "EARN, BURN, CAPTURE, VOID, ADJUST, GOODWILL, TRANSFER, MERGE, "
                                               "EXPIRE, RETRO_CLAIM, ACTIVATE"},
    "points": {**INT, "description": "signed, as it moved the member's available balance"},
    "reference": {**STR, "description": "the caller's idempotency key of the posting"},
}
_POSTING_PLACE = {
    "partner_code": STR, "location_code": STR,
    "campaign_codes": {"type": "array", "items": STR, "description": "campaigns whose rules gave points"},
    "amount": {**DECIMAL, "description": "the purchase amount, when there is one"},
    "currency": {**STR, "pattern": "^[A-Z]{3}$"},
}
_TIER = {
    "slab_code": STR, "from_tier": {"type": ["string", "null"]}, "to_tier": STR, "level": INT,
    "effective_on": DATE, "reason": STR,
}
_CLAIM = {"redemption_id": {**UUID, "description": "the claim"}, "reward_code": STR,
          "points": {**INT, "description": "the reward's points cost"}}
_CLAIM_OPTIONAL = {"reference": {**STR, "description": "the POS's reference of the claim"},
                   "order_reference": STR}
_TIER_OPTIONAL = {"value": {**DECIMAL, "description": "the qualifying value in the slab's window"}}

_EVENTS = (
    EventType("LOY_OPT_IN", 1, "A member enrolled in (opted into) the loyalty program.", "member",
              _obj({"status": STR, "opted_in_at": TIME, "channel": STR})),
    EventType("LOY_OPT_OUT", 1, "A member opted out of the loyalty program (status `opted_out`).", "member",
              _obj({"from_status": STR})),
    EventType("LOY_POINT_ACCRUAL", 1, "Points earned: a purchase, a retro claim, an activated pending earn.",
              "points", _obj(_POSTING, _POSTING_PLACE)),
    EventType("LOY_POINT_REDEMPTION", 1, "Points redeemed: a burn, or a reward's hold captured at settlement.",
              "points", _obj(_POSTING, _POSTING_PLACE)),
    EventType("TIER_UPGRADE", 1, "A member moved up a tier (at the qualifying event, by override, or the daily "
              "evaluation).", "tier", _obj(_TIER, _TIER_OPTIONAL)),
    EventType("TIER_DOWNGRADE", 1, "A member moved down a tier at the end of its validity (daily evaluation).",
              "tier", _obj(_TIER, _TIER_OPTIONAL)),
    EventType("TIER_ANNIVERSARY", 1, "A member kept its tier for another period: the validity ended and the "
              "retention threshold was met (daily evaluation).", "tier", _obj(_TIER, _TIER_OPTIONAL)),
    EventType("CLOSE_TO_TIER_UPGRADE", 1, "A member came within the slab's `close_to_upgrade_percent` of the next "
              "tier (once per tier).", "tier",
              _obj({**_TIER, "next_tier": STR, "needed": {**DECIMAL, "description": "what is still missing"}},
                   _TIER_OPTIONAL)),
    EventType("LOY_POINT_EXPIRY", 1, "Points expired: the unspent rest of lots past their date.", "points",
              _obj(_POSTING, _POSTING_PLACE)),
    EventType("LOY_POINT_VOID", 1, "A posting was voided: its reverse, seen from each member it moved.", "points",
              _obj({**_POSTING, "voided_transaction_id": UUID, "voided_occurred_at": TIME}, _POSTING_PLACE)),
    EventType("LOY_POINT_ADJUSTMENT", 1, "Staff adjusted a member's points (credit or debit).", "points",
              _obj(_POSTING, _POSTING_PLACE)),
    EventType("LOY_POINT_GOODWILL", 1, "Staff granted goodwill points.", "points", _obj(_POSTING, _POSTING_PLACE)),
    EventType("LOY_POINT_TRANSFER", 1, "Points moved between two members (a transfer, or a merge moving the "
              "merged member's points); one event per member, `direction` says which side.", "points",
              _obj({**_POSTING, "direction": {"enum": ["in", "out"]}}, _POSTING_PLACE)),
    EventType("REWARD_CLAIMED", 1, "A member claimed a reward (its points held until it is settled or voided).",
              "rewards", _obj(_CLAIM, _CLAIM_OPTIONAL),
              note="Written to the rewards service's outbox in the claim's transaction. The points leave as "
                   "LOY_POINT_REDEMPTION (transaction_kind CAPTURE) when the claim is settled."),
    EventType("REWARD_SETTLED", 1, "A claimed reward was settled (picked up or paid): its held points captured.",
              "rewards", _obj(_CLAIM, _CLAIM_OPTIONAL)),
    EventType("REWARD_VOIDED", 1, "A claim was voided (by itself or with its order): its points released or "
              "given back, its voucher voided.", "rewards",
              _obj(_CLAIM, {**_CLAIM_OPTIONAL, "reason": STR})),
    EventType("VOUCHER_ISSUED", 1, "A voucher code was issued to a member with a claim of a reward that issues "
              "one (in the claim's transaction, after REWARD_CLAIMED).", "rewards",
              _obj({"voucher_id": {**STR, "description": "the voucher code"}, "reward_code": STR,
                    "expires_at": {"type": ["string", "null"]}}, {"redemption_id": UUID})),
    EventType("MEMBER_MERGED", 1, "A duplicate member was merged into another; `member` is the one kept.",
              "member", _obj({"merge_id": UUID, "from_member_id": UUID, "from_loyalty_number": STR,
                              "reference": STR})),
    EventType("MEMBER_ERASED", 1, "A member's personal data was erased (the ids stay as pseudonyms).", "member",
              _obj({"from_status": STR})),
    EventType("MEMBER_STATUS_CHANGED", 1, "A member's status changed (active, suspended, blocked, opted_out, "
              "merged, erased, ...).", "member", _obj({"status": STR, "from_status": STR})),
    EventType("CAMPAIGN_STARTED", 1, "A campaign's time window opened.", "campaigns",
              _obj({"campaign_code": STR, "starts_at": TIME, "ends_at": {"type": ["string", "null"]}}, {"name": STR}),
              note="A campaign starts by the clock, not by a transaction: the notifications service's "
                   "`campaign-events` job (every few minutes) emits it once per window from the points service's "
                   "campaigns; `occurred_at` is the window's start."),
    EventType("CAMPAIGN_ENDED", 1, "A campaign's time window closed.", "campaigns",
              _obj({"campaign_code": STR, "starts_at": TIME, "ends_at": TIME}, {"name": STR}),
              note="Emitted once per window by the `campaign-events` job (see CAMPAIGN_STARTED)."),
)

CATALOGUE: dict[str, EventType] = {e.name: e for e in _EVENTS}

# The envelope every delivery carries (webhook bodies, the ListEvents answer's fields).
ENVELOPE = {
    "$schema": SCHEMA_DIALECT, "title": "event envelope", "type": "object", "additionalProperties": False,
    "required": ["id", "type", "version", "program_id", "occurred_at", "member", "data"],
    "properties": {
        "id": {**UUID, "description": "stable across redeliveries: receivers dedupe on it"},
        "type": {"enum": sorted(CATALOGUE)},
        "version": INT,
        "program_id": UUID,
        "occurred_at": TIME,
        "member": {"type": ["object", "null"], "additionalProperties": False,
                   "properties": {"id": UUID, "loyalty_number": STR}},
        "data": {"type": "object", "description": "valid against the type's schema"},
    },
}


@functools.cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    schema = CATALOGUE[name].schema
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def validation_errors(name: str, data: dict) -> list[str]:
    """What is wrong with `data` for the event `name` (empty: valid)."""
    if name not in CATALOGUE:
        return [f"{name!r} is not in the catalogue"]
    return [f"{'/'.join(map(str, e.absolute_path)) or '(data)'}: {e.message}"
            for e in _validator(name).iter_errors(data)]
