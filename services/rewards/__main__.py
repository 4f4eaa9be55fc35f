import pathlib

from loyalty.rewards.v1 import rewards_service_pb2
from services.rewards import api
from services.common.server import ServiceDefinition, run
from services.common.settings import ServiceSettings, load_settings


class RewardsSettings(ServiceSettings):
    grpc_port: int = 50054


DEFINITION = ServiceDefinition(
    name="rewards",
    migrations=pathlib.Path(__file__).parent / "migrations",
    full_names=(rewards_service_pb2.DESCRIPTOR.services_by_name["RewardsService"].full_name,),
    register=api.register,
)

if __name__ == "__main__":
    run(DEFINITION, load_settings(RewardsSettings))
