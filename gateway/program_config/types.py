import strawberry

from loyalty.member.v1 import program_config_service_pb2 as config_pb


@strawberry.type(description="A club of the program; members join clubs, and one club is the default.")
class Club:
    code: str
    name: str
    description: str
    is_default: bool
    archived: bool
    member_count: int

    @classmethod
    def from_proto(cls, c: config_pb.Club) -> "Club":
        return cls(code=c.code, name=c.name, description=c.description, is_default=c.is_default,
                   archived=c.archived, member_count=c.member_count)


@strawberry.type(description="A store or channel where members earn and burn.")
class Location:
    code: str
    name: str
    kind: str
    address: str
    timezone: str | None
    archived: bool

    @classmethod
    def from_proto(cls, loc: config_pb.Location) -> "Location":
        return cls(code=loc.code, name=loc.name, kind=loc.kind, address=loc.address,
                   timezone=loc.timezone or None, archived=loc.archived)


@strawberry.type
class MemberClubs:
    loyalty_number: str
    club_codes: list[str]


@strawberry.input
class SaveClubInput:
    program: str
    code: str
    name: str
    description: str | None = None
    make_default: bool = False


@strawberry.input
class SaveLocationInput:
    program: str
    code: str
    name: str
    kind: str = strawberry.field(description="store, web, app, call_center or partner")
    address: str | None = None
    timezone: str | None = strawberry.field(default=None, description="IANA; empty: the program's")
