import strawberry

from loyalty.common.v1 import program_pb2


@strawberry.federation.type(keys=["code"], description="A loyalty program: one tenant.")
class Program:
    id: strawberry.ID
    code: str
    name: str
    currency: str
    timezone: str
    expiry_days: int
    expiry_round_to_month_end: bool
    archived: bool

    @classmethod
    def from_proto(cls, spec: program_pb2.ProgramSpec) -> "Program":
        return cls(
            id=strawberry.ID(spec.id), code=spec.code, name=spec.name, currency=spec.currency,
            timezone=spec.timezone, expiry_days=spec.expiry.days,
            expiry_round_to_month_end=spec.expiry.round_to_month_end, archived=spec.archived,
        )


@strawberry.input
class CreateProgramInput:
    code: str
    name: str
    currency: str
    timezone: str
    expiry_days: int = 0
    expiry_round_to_month_end: bool = False


@strawberry.input
class UpdateProgramInput:
    program: str
    name: str | None = None
    timezone: str | None = None
    expiry_days: int | None = None
    expiry_round_to_month_end: bool | None = None
    goodwill_limit: int | None = strawberry.field(
        default=None, description="Points per goodwill posting for staff without points.goodwill_unlimited; 0: none")


@strawberry.type(description="What staff may post by hand in a program")
class ProgramLimits:
    goodwill_limit: int | None = strawberry.field(
        description="The most points one goodwill posting may give without points.goodwill_unlimited; null: no "
                    "limit but the program's maximum per posting")


@strawberry.type
class CreateProgramPayload:
    program: Program
    created: bool


@strawberry.input
class CreateApiKeyInput:
    program: str
    name: str
    scopes: list[str] | None = None
    store: str | None = strawberry.field(default=None, description="A store's key (a till): its postings are made "
                                         "at this location code and its voids reach only that store's postings")


@strawberry.type
class CreateApiKeyPayload:
    key_id: str
    api_key: str = strawberry.field(description="Shown once; store it now.")
