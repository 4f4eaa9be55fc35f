"""Profiles: field validation and normalisation, custom attributes against the program's JSON Schema,
and validated updates (duplicate rules apply to an update as to an enrolment)."""

import dataclasses
import datetime as dt
import json
import re
import uuid

import asyncpg
import jsonschema

from services.common import validation
from services.common.db import tenant_tx
from services.common.outbox import add_event
from services.common.errors import DomainError, ErrorCode, invalid, not_found
from services.member import duplicates, repository, segments

# ISO 3166-1 alpha-2.
COUNTRIES = frozenset(
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW "
    "BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI "
    "FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN "
    "IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME "
    "MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF "
    "PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV "
    "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE "
    "YT ZA ZM ZW".split()
)
_ZIP = re.compile(r"^[A-Z0-9][A-Z0-9 -]{1,10}[A-Z0-9]$")
UPDATABLE = frozenset({"email", "first_name", "last_name", "phone", "birth_date", "zip", "nationality", "consents",
                       "custom_attributes"})
_FIELD_NAMES = {"first_name": "firstName", "last_name": "lastName", "birth_date": "birthDate",
                "custom_attributes": "customAttributes"}


def zip_code(value: str, field: str = "zip") -> str:
    value = " ".join((value or "").upper().split())
    if value and not _ZIP.match(value):
        raise invalid(field, f"{value!r} is not a postal code (3-12 letters, digits, spaces or dashes)")
    return value


def nationality(value: str, field: str = "nationality") -> str:
    value = (value or "").strip().upper()
    if value and value not in COUNTRIES:
        raise invalid(field, f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return value


def opted_in_at(value: str, field: str = "optedInAt") -> dt.datetime | None:
    if not value:
        return None
    if len(value) == 10:
        day = validation.past_date(value, field)
        return dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)
    parsed = validation.timestamp(value, field)
    if parsed > dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5):
        raise invalid(field, "is in the future")
    return parsed


def parse_custom_attributes(raw: str, field: str = "customAttributes") -> dict:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise invalid(field, f"is not valid JSON: {exc.msg}") from None
    if not isinstance(value, dict):
        raise invalid(field, "must be a JSON object")
    return value


def check_custom_attributes(value: dict, schema: dict | None, field: str = "customAttributes") -> dict:
    """Validated against the program's schema; without a schema no custom attribute is accepted."""
    if not value:
        return value
    if schema is None:
        raise invalid(f"{field}.{next(iter(value))}", "is not a custom attribute of this program (it has no schema)")
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(value), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        path = ".".join(str(p) for p in err.absolute_path)
        if err.validator == "additionalProperties":
            unknown = sorted(set(value) - set(schema.get("properties", {})))
            raise invalid(f"{field}.{unknown[0]}" if unknown else field, "is not a custom attribute of this program")
        raise invalid(f"{field}.{path}" if path else field, err.message)
    return value


def check_schema(schema: dict, field: str = "customAttributesSchema") -> dict:
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise invalid(field, f"is not a valid JSON Schema: {exc.message}") from None
    if schema.get("type") not in (None, "object"):
        raise invalid(field, "must describe an object")
    # Unknown attributes are refused unless the program says otherwise.
    return {"additionalProperties": False, **schema}


@dataclasses.dataclass(frozen=True)
class Consents:
    email: bool = False
    sms: bool = False
    post: bool = False

    def as_tuple(self) -> tuple[bool, bool, bool]:
        return self.email, self.sms, self.post


@dataclasses.dataclass(frozen=True)
class ProfileChange:
    fields: frozenset[str]
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    birth_date: str = ""
    zip: str = ""
    nationality: str = ""
    consents: Consents = Consents()
    custom_attributes_json: str = ""


def _columns(change: ProfileChange, schema: dict | None) -> dict:
    unknown = change.fields - UPDATABLE
    if unknown:
        raise invalid("fields", f"cannot update {sorted(unknown)}; updatable: {sorted(UPDATABLE)}")
    if not change.fields:
        raise invalid("fields", "name at least one field to update")
    values: dict = {}
    for name in change.fields:
        label = _FIELD_NAMES.get(name, name)
        if name == "email":
            values["email"] = validation.email(change.email, label)
            values["email_normalized"] = validation.normalized_email(values["email"])
        elif name in ("first_name", "last_name"):
            values[name] = validation.name(getattr(change, name), label)
        elif name == "phone":
            values["phone"] = validation.phone(change.phone, label)
        elif name == "birth_date":
            values["birth_date"] = validation.past_date(change.birth_date, label)
        elif name == "zip":
            values["zip"] = zip_code(change.zip, label)
        elif name == "nationality":
            values["nationality"] = nationality(change.nationality, label)
        elif name == "consents":
            values.update(marketing_email=change.consents.email, marketing_sms=change.consents.sms,
                          marketing_post=change.consents.post)
        elif name == "custom_attributes":
            values["custom_attributes"] = check_custom_attributes(
                parse_custom_attributes(change.custom_attributes_json, label), schema, label)
    return values


def usable(member: asyncpg.Record, field: str = "loyaltyNumber") -> asyncpg.Record:
    if member["status"] in ("merged", "erased"):
        raise DomainError(ErrorCode.MEMBER_BLOCKED, f"member {member['loyalty_number']} is {member['status']}",
                          field=field)
    return member


async def update_profile(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, loyalty_number: str, change: ProfileChange
) -> asyncpg.Record:
    try:
        async with tenant_tx(pool, program_id) as conn:
            member = await repository.member_for_update(conn, loyalty_number)
            if member is None:
                raise not_found("member", loyalty_number)
            usable(member)
            settings = await repository.member_settings(conn)
            values = _columns(change, settings["custom_attributes_schema"] if settings else None)
            if values.get("marketing_email") or values.get("marketing_sms") or values.get("marketing_post"):
                if member["status"] == "opted_out":
                    raise invalid("consents", "an opted-out member receives no marketing")
            merged = {**dict(member), **values}
            if {"email", "phone", "first_name", "last_name", "birth_date"} & change.fields:
                await duplicates.refuse_blocked_or_duplicate(
                    conn, program_id=program_id, email_normalized=merged["email_normalized"], phone=merged["phone"],
                    first_name=merged["first_name"], last_name=merged["last_name"], birth_date=merged["birth_date"],
                    exclude_id=member["id"],
                )
            updated = await repository.update_member_profile(conn, member["id"], values)
            # no catalogue event (the fields' values are personal data); the CDP connector pushes the profile
            await add_event(conn, program_id=program_id, event_type="MEMBER_PROFILE_UPDATED",
                            payload={"member_id": str(member["id"]), "loyalty_number": member["loyalty_number"],
                                     "fields": sorted(change.fields)})
            await segments.reevaluate_member(conn, program_id=program_id, member_id=member["id"])
    except asyncpg.UniqueViolationError as exc:
        raise duplicates.from_unique_violation(exc) from None
    return updated
