import pathlib

from loyalty.points.v1 import points_service_pb2
from services.common.server import ServiceDefinition, run
from services.common.settings import ServiceSettings, load_settings
from services.points import api


class PointsSettings(ServiceSettings):
    grpc_port: int = 50052
    # Where ledger events go (each optional: an unset one is not a subscriber).
    member_addr: str | None = None
    tier_addr: str | None = None
    billing_addr: str | None = None


DEFINITION = ServiceDefinition(
    name="points",
    migrations=pathlib.Path(__file__).parent / "migrations",
    full_names=(points_service_pb2.DESCRIPTOR.services_by_name["PointsService"].full_name,),
    register=api.register,
)

if __name__ == "__main__":
    run(DEFINITION, load_settings(PointsSettings))
