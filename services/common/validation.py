"""Field checks shared by services; each failure names the field."""

import datetime as dt
import re
import uuid
import zoneinfo
from decimal import Decimal, InvalidOperation

from services.common.errors import invalid

# ISO 4217 codes in circulation.
CURRENCIES = frozenset(
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD "
    "CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD "
    "GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT "
    "LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR "
    "NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP "
    "STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF "
    "XPF YER ZAR ZMW ZWL".split()
)

_PROGRAM_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_REFERENCE = re.compile(r"^[\x21-\x7e]{1,128}$")


def program_code(value: str, field: str = "code") -> str:
    if not _PROGRAM_CODE.match(value or ""):
        raise invalid(field, "must be 2-40 lower-case letters, digits or dashes, starting with a letter or digit")
    return value


def currency(value: str, field: str = "currency") -> str:
    if value not in CURRENCIES:
        raise invalid(field, f"{value!r} is not an ISO 4217 currency code")
    return value


def timezone(value: str, field: str = "timezone") -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise invalid(field, f"{value!r} is not an IANA time zone") from None
    return value


def email(value: str, field: str = "email") -> str:
    value = (value or "").strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise invalid(field, f"{value!r} is not a valid email address")
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalized_email(value: str) -> str:
    return value.strip().lower()


def phone(value: str, field: str = "phone") -> str:
    """E.164: '+' and 8 to 15 digits; spaces, dots, dashes and brackets are dropped."""
    raw = (value or "").strip()
    if not raw:
        return ""
    digits = re.sub(r"[\s().-]", "", raw)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not re.fullmatch(r"\+[1-9]\d{7,14}", digits):
        raise invalid(field, f"{value!r} is not a phone number in international format (+country number)")
    return digits


def name(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise invalid(field, "is required")
    if len(value) > 100 or any(ord(c) < 32 for c in value):
        raise invalid(field, "must be at most 100 printable characters")
    return value


def past_date(value: str, field: str, *, today: dt.date | None = None) -> dt.date | None:
    if not value:
        return None
    try:
        parsed = dt.date.fromisoformat(value)
    except ValueError:
        raise invalid(field, f"{value!r} is not an ISO 8601 date (YYYY-MM-DD)") from None
    if parsed > (today or dt.date.today()):
        raise invalid(field, "is in the future")
    if parsed.year < 1900:
        raise invalid(field, "is before 1900")
    return parsed


def amount(value: str, field: str = "amount") -> Decimal:
    try:
        parsed = Decimal(value)
    except (InvalidOperation, TypeError):
        raise invalid(field, f"{value!r} is not a decimal number") from None
    if not parsed.is_finite():
        raise invalid(field, f"{value!r} is not a decimal number")
    if parsed <= 0:
        raise invalid(field, "must be greater than zero")
    if parsed.as_tuple().exponent < -4 or parsed >= Decimal("1e12"):
        raise invalid(field, "has too many digits")
    return parsed


def reference(value: str, field: str = "reference") -> str:
    if not _REFERENCE.match(value or ""):
        raise invalid(field, "must be 1-128 printable characters without spaces")
    return value


def positive_points(value: int, field: str = "points") -> int:
    if value <= 0:
        raise invalid(field, "must be a positive whole number of points")
    if value > 10**12:
        raise invalid(field, "is too large")
    return value


def timestamp(value: str, field: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except (ValueError, TypeError):
        raise invalid(field, f"{value!r} is not an RFC 3339 timestamp") from None
    if parsed.tzinfo is None:
        raise invalid(field, "needs a UTC offset")
    return parsed


def uuid_value(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError):
        raise invalid(field, "is not a UUID") from None
