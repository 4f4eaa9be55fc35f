import asyncio
import datetime as dt
import pathlib

from loyalty.identity.v1 import identity_service_pb2
from services.common.mail import smtp_sender
from services.common.server import ServiceDefinition, run
from services.common.settings import ServiceSettings, load_settings
from services.identity import accounts, api, member_signin, passwords
from services.identity.mailing import MailRelay
from services.identity.revocations import RevocationHub


class IdentitySettings(ServiceSettings):
    grpc_port: int = 50056
    # argon2id cost: RFC 9106's second recommended option by default (64 MiB, 3 passes).
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    session_days: float = 14
    max_failed_sign_ins: int = 5
    lockout_minutes: float = 15
    invitation_hours: float = 72
    reset_minutes: float = 120


def hasher(settings: IdentitySettings) -> passwords.Hasher:
    return passwords.Hasher(time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib,
                            parallelism=settings.argon2_parallelism)


def policy(settings: IdentitySettings) -> accounts.Policy:
    return accounts.Policy(
        invitation_valid=dt.timedelta(hours=settings.invitation_hours),
        reset_valid=dt.timedelta(minutes=settings.reset_minutes),
        session_lifetime=dt.timedelta(days=settings.session_days),
        max_failed_sign_ins=settings.max_failed_sign_ins, lockout=dt.timedelta(minutes=settings.lockout_minutes))


def register(server, pool, settings: IdentitySettings) -> None:
    relay = MailRelay(pool, smtp_sender(settings))
    relay.start()
    hub = RevocationHub(settings.database_url)
    hub.start()
    servicer = api.IdentityServicer(pool, hasher=hasher(settings), policy=policy(settings),
                                    passcodes=member_signin.PasscodePolicy(), hub=hub, kick_mail=relay.kick)
    api.register(server, pool, servicer)


DEFINITION = ServiceDefinition(
    name="identity",
    migrations=pathlib.Path(__file__).parent / "migrations",
    full_names=(identity_service_pb2.DESCRIPTOR.services_by_name["IdentityService"].full_name,),
    register=register,
)

if __name__ == "__main__":
    run(DEFINITION, load_settings(IdentitySettings))
