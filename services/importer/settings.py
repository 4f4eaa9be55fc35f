"""The import tool's settings, from environment variables (names case-insensitive, no prefix).

A plain dataclass rather than pydantic-settings, which the services use: these are short commands
(reconcile, status, compare) whose start is most of their time, every setting is a string with
nothing to validate, and importing pydantic-settings was a fifth of `reconcile`'s run.
"""

import dataclasses
import os


def _default_dsn(environ) -> str:
    # with nothing set, the platform `make run` started from this checkout
    return f"postgresql://loyalty_import@127.0.0.1:{environ.get('PGPORT', '54329')}/loyalty"


@dataclasses.dataclass(frozen=True)
class ImportSettings:
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

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None, **overrides) -> "ImportSettings":
        """Each field from the variable of its name in any case (IMPORT_DATABASE_URL, ...); overrides win."""
        environ = os.environ if environ is None else environ
        by_name = {k.lower(): v for k, v in environ.items()}
        found = {f.name: by_name[f.name] for f in dataclasses.fields(cls) if f.name in by_name}
        settings = found | overrides
        settings["import_database_url"] = settings.get("import_database_url") or _default_dsn(environ)
        return cls(**settings)

    @property
    def dsn(self) -> str:
        return self.import_database_url or _default_dsn(os.environ)
