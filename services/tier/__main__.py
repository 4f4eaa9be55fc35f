import pathlib

from loyalty.tier.v1 import tier_service_pb2
from services.tier import api
from services.common.server import ServiceDefinition, run
from services.common.settings import ServiceSettings, load_settings


class TierSettings(ServiceSettings):
    grpc_port: int = 50053


DEFINITION = ServiceDefinition(
    name="tier",
    migrations=pathlib.Path(__file__).parent / "migrations",
    full_names=(tier_service_pb2.DESCRIPTOR.services_by_name["TierService"].full_name,),
    register=api.register,
)

if __name__ == "__main__":
    run(DEFINITION, load_settings(TierSettings))
