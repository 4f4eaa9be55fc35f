import os

from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_dsn() -> str:
    # with nothing set, the platform `make run` started from this checkout
    return f"postgresql://loyalty_import@127.0.0.1:{os.environ.get('PGPORT', '54329')}/loyalty"


class ImportSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", env_prefix="")

    import_database_url: str = ""
    member_addr: str = "127.0.0.1:50051"
    points_addr: str = "127.0.0.1:50052"
    tier_addr: str = "127.0.0.1:50053"
    log_level: str = "WARNING"
    # where remote dumps come from (loyalty-import run s3://... or sftp://...)
    s3_endpoint_url: str | None = None   # an S3-compatible server; unset: AWS (credentials: the AWS_* variables)
    sftp_password: str | None = None
    sftp_client_key: str | None = None
    sftp_known_hosts: str | None = None

    @property
    def dsn(self) -> str:
        return self.import_database_url or _default_dsn()
