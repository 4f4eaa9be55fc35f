import pathlib

from loyalty.points.v1 import points_service_pb2
from services.common.server import ServiceDefinition, run
from services.common.settings import ServiceSettings, load_settings
from services.points import api


class PointsSettings(ServiceSettings):
    grpc_port: int = 50052


DEFINITION = ServiceDefinition(
    name="points",
    migrations=pathlib.Path(__file__).parent / "migrations",
    full_names=(points_service_pb2.DESCRIPTOR.services_by_name["PointsService"].full_name,),
    register=api.register,
)

if __name__ == "__main__":
    run(DEFINITION, load_settings(PointsSettings))
