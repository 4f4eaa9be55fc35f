import strawberry

from loyalty.notifications.v1 import notifications_service_pb2 as pb


@strawberry.type(description="A profile field and the People custom attribute it is sent as")
class CdpAttribute:
    field: str = strawberry.field(description="A loyaltyProfile field in snake_case, e.g. available_points")
    attribute: str = strawberry.field(description="The People custom attribute, e.g. \"Available Points\"; "
                                                  "empty: not sent")


@strawberry.input
class CdpAttributeInput:
    field: str
    attribute: str


@strawberry.type(description="A program's customer-data platform connector (Infobip People). The API key is never "
                             "shown: apiKeySet says whether one is saved.")
class CdpConnector:
    base_url: str
    api_key_set: bool
    attributes: list[CdpAttribute]
    tag: str = strawberry.field(description="The loyalty tag set on enrolled members (empty: none)")
    event_types: list[str] = strawberry.field(description="Which of the eight loyalty events go to People")
    active: bool
    debounce_seconds: float = strawberry.field(description="A member's attribute changes are pushed at most this "
                                                           "often (the latest state)")
    creates_per_second: float
    updates_per_second: float
    tag_batch_size: int
    active_within_days: int
    updated_at: str
    updated_by: str
    pending: int = strawberry.field(description="Tasks owed to People now")
    failed: int = strawberry.field(description="Tasks People refused (lastError says why)")
    last_error: str | None

    @classmethod
    def from_proto(cls, c: pb.CdpConnector) -> "CdpConnector":
        return cls(base_url=c.base_url, api_key_set=c.api_key_set,
                   attributes=[CdpAttribute(field=a.field, attribute=a.attribute) for a in c.attributes], tag=c.tag,
                   event_types=list(c.event_types), active=c.active, debounce_seconds=c.debounce_seconds,
                   creates_per_second=c.creates_per_second, updates_per_second=c.updates_per_second,
                   tag_batch_size=c.tag_batch_size, active_within_days=c.active_within_days,
                   updated_at=c.updated_at, updated_by=c.updated_by, pending=c.pending, failed=c.failed,
                   last_error=c.last_error or None)


@strawberry.input
class SaveCdpConnectorInput:
    program: str
    base_url: str = strawberry.field(description="The account's Infobip base URL, e.g. https://xyz.api.infobip.com")
    api_key: str | None = strawberry.field(default=None, description="Required the first time; omitted: kept")
    attributes: list[CdpAttributeInput] | None = strawberry.field(
        default=None, description="Omitted: kept (the seed's attribute names at first)")
    tag: str = "Loyalty"
    event_types: list[str] | None = strawberry.field(default=None, description="Omitted: kept (all eight at first)")
    active: bool = True
    debounce_seconds: float = 2.0
    creates_per_second: float = strawberry.field(default=10.0, description="The account's documented limit")
    updates_per_second: float = strawberry.field(default=5.0, description="The account's documented limit")
    tag_batch_size: int = strawberry.field(default=1000, description="People per tag request (at most 1000)")
    active_within_days: int = 365


@strawberry.type(description="A backfill of the program's people, or a bulk tag or untag, with its progress")
class CdpJob:
    id: strawberry.ID
    kind: str = strawberry.field(description="backfill, tag or untag")
    status: str = strawberry.field(description="running, done or failed")
    done: int
    failed: int
    total: int | None = strawberry.field(description="Unknown (null) for every member until the last page is read")
    last_error: str | None
    created_at: str
    updated_at: str
    finished_at: str | None

    @classmethod
    def from_proto(cls, j: pb.CdpJob) -> "CdpJob":
        return cls(id=strawberry.ID(j.id), kind=j.kind, status=j.status, done=j.done, failed=j.failed,
                   total=j.total or None, last_error=j.last_error or None, created_at=j.created_at,
                   updated_at=j.updated_at, finished_at=j.finished_at or None)


@strawberry.input
class TagCdpMembersInput:
    program: str
    loyalty_numbers: list[str] | None = strawberry.field(default=None, description="These members (one or many)")
    all_members: bool = strawberry.field(default=False, description="Every member of the program instead")
    remove: bool = strawberry.field(default=False, description="Take the tag off instead")


@strawberry.input
class StartCdpBackfillInput:
    program: str
