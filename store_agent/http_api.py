"""The till's local HTTP API (JSON). Errors: {"error": {"code", "message", "field"?}}.

POST /v1/enrol     {reference, email, first_name, last_name, phone?, birth_date?}
GET  /v1/members/{loyalty_number}
POST /v1/earn      {loyalty_number, amount, reference, currency?, items?}
POST /v1/void      {reference, target_reference, points?, reason?, loyalty_number?}
POST /v1/passcode  {loyalty_number}
POST /v1/redeem    {loyalty_number, reference, passcode?, points?, transaction_value?, currency?}
GET  /v1/queue     the queue, its oldest item's age and the alert
"""

import datetime as dt
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from store_agent.agent import Agent, AgentError

NUMBER = r"^[A-Za-z0-9-]{4,40}$"
REFERENCE = r"^[A-Za-z0-9][A-Za-z0-9_./-]{0,79}$"


def _decimal(value):
    if isinstance(value, float):
        raise ValueError("send money as a string, e.g. \"12.50\"")
    try:
        d = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal amount") from None
    if not d.is_finite():
        raise ValueError("must be a finite amount")
    return d


Money = Annotated[Decimal, BeforeValidator(_decimal)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Item(_Body):
    sku: str = Field(min_length=1, max_length=64)
    category: str | None = Field(default=None, max_length=64)
    quantity: Money = Decimal(1)
    price: Money | None = None

    @field_validator("quantity")
    @classmethod
    def _qty(cls, v: Decimal) -> Decimal:
        if v <= 0:
            raise ValueError("must be greater than zero")
        return v


class EarnBody(_Body):
    loyalty_number: str = Field(pattern=NUMBER)
    amount: Money
    reference: str = Field(pattern=REFERENCE)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    items: list[Item] = Field(default_factory=list, max_length=500)

    @field_validator("amount")
    @classmethod
    def _amount(cls, v: Decimal) -> Decimal:
        if v <= 0:
            raise ValueError("must be greater than zero")
        if v.as_tuple().exponent < -2:
            raise ValueError("at most 2 decimal places")
        return v


class VoidBody(_Body):
    reference: str = Field(pattern=REFERENCE)
    target_reference: str = Field(pattern=REFERENCE)
    points: int = Field(default=0, ge=0)
    reason: str | None = Field(default=None, max_length=200)
    loyalty_number: str | None = Field(default=None, pattern=NUMBER)


class EnrolBody(_Body):
    reference: str = Field(pattern=REFERENCE)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ]{6,20}$")
    birth_date: dt.date | None = None


class PasscodeBody(_Body):
    loyalty_number: str = Field(pattern=NUMBER)


class RedeemBody(_Body):
    loyalty_number: str = Field(pattern=NUMBER)
    reference: str = Field(pattern=REFERENCE)
    passcode: str | None = Field(default=None, pattern=r"^[0-9]{4,8}$")
    points: int | None = Field(default=None, gt=0)
    transaction_value: Money | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")

    @field_validator("transaction_value")
    @classmethod
    def _value(cls, v: Decimal | None) -> Decimal | None:
        if v is not None and v <= 0:
            raise ValueError("must be greater than zero")
        return v


def _error(err: AgentError) -> JSONResponse:
    return JSONResponse({"error": err.as_dict()}, status_code=err.status)


async def _parse(request: Request, model: type[_Body]) -> _Body:
    try:
        raw = json.loads(await request.body() or b"null")
    except ValueError:
        raise AgentError("INVALID_INPUT", "the body is not JSON") from None
    if not isinstance(raw, dict):
        raise AgentError("INVALID_INPUT", "the body must be a JSON object")
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        first = e.errors()[0]
        field = ".".join(str(x) for x in first["loc"]) or None
        msg = "required" if first["type"] == "missing" else (
            "unknown field" if first["type"] == "extra_forbidden" else first["msg"])
        if first["type"] == "string_pattern_mismatch":
            msg = f"{first['input']!r} is not a valid {field.rsplit('.', 1)[-1].replace('_', ' ')}"
        msg = re.sub(r"^Value error, ", "", msg)
        raise AgentError("INVALID_INPUT", f"{field}: {msg}", field=field) from None


def create_app(agent: Agent) -> Starlette:
    def handler(fn):
        async def endpoint(request: Request):
            try:
                status, body = await fn(request)
            except AgentError as e:
                return _error(e)
            return JSONResponse(body, status_code=status)
        return endpoint

    @handler
    async def earn(request):
        b = await _parse(request, EarnBody)
        r = await agent.earn(loyalty_number=b.loyalty_number, amount=b.amount, reference=b.reference,
                             currency=b.currency,
                             items=[{"sku": i.sku, "category": i.category, "quantity": str(i.quantity),
                                     "price": None if i.price is None else str(i.price)} for i in b.items])
        return (200 if r["status"] == "posted" else 202), r

    @handler
    async def void(request):
        b = await _parse(request, VoidBody)
        r = await agent.void(reference=b.reference, target_reference=b.target_reference, points=b.points,
                             reason=b.reason, loyalty_number=b.loyalty_number)
        return (200 if r["status"] == "posted" else 202), r

    @handler
    async def enrol(request):
        b = await _parse(request, EnrolBody)
        r = await agent.enrol(reference=b.reference, email=b.email, first_name=b.first_name, last_name=b.last_name,
                              phone=b.phone, birth_date=b.birth_date.isoformat() if b.birth_date else None)
        return (200 if r["status"] == "posted" else 202), r

    @handler
    async def member(request):
        number = request.path_params["number"]
        if not re.match(NUMBER, number):
            raise AgentError("INVALID_INPUT", f"loyalty_number: {number!r} is not a valid loyalty number",
                             field="loyalty_number")
        return 200, await agent.enquire(number)

    @handler
    async def passcode(request):
        b = await _parse(request, PasscodeBody)
        return 200, await agent.request_passcode(b.loyalty_number)

    @handler
    async def redeem(request):
        b = await _parse(request, RedeemBody)
        if b.points is None and b.transaction_value is None:
            raise AgentError("INVALID_INPUT", "points: give the points to use or the transaction_value",
                             field="points")
        r = await agent.redeem(loyalty_number=b.loyalty_number, reference=b.reference, passcode=b.passcode,
                               points=b.points, transaction_value=b.transaction_value, currency=b.currency)
        return 200, r

    @handler
    async def queue(request):
        status = agent.queue_status()
        status["items"] = [{"seq": i.seq, "kind": i.kind, "reference": i.reference, "attempts": i.attempts,
                            "last_error": i.last_error, "created_at": i.created_at}
                           for i in agent.queue.pending(limit=50)]
        return 200, status

    @handler
    async def health(request):
        return 200, {"ok": True, "platform_online": agent.forwarder.online}

    return Starlette(routes=[
        Route("/healthz", health), Route("/v1/queue", queue),
        Route("/v1/earn", earn, methods=["POST"]), Route("/v1/void", void, methods=["POST"]),
        Route("/v1/enrol", enrol, methods=["POST"]), Route("/v1/members/{number}", member),
        Route("/v1/passcode", passcode, methods=["POST"]), Route("/v1/redeem", redeem, methods=["POST"]),
    ])
