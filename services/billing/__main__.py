import pathlib

from loyalty.billing.v1 import billing_service_pb2
from services.billing import api
from services.common.server import ServiceDefinition, run
from services.common.settings import ServiceSettings, load_settings


class BillingSettings(ServiceSettings):
    grpc_port: int = 50055


DEFINITION = ServiceDefinition(
    name="billing",
    migrations=pathlib.Path(__file__).parent / "migrations",
    full_names=(billing_service_pb2.DESCRIPTOR.services_by_name["BillingService"].full_name,),
    register=api.register,
)

if __name__ == "__main__":
    run(DEFINITION, load_settings(BillingSettings))
