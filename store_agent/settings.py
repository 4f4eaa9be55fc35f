"""The agent's configuration: environment variables `STORE_AGENT_*` (or an env file), validated at start.

A bad or missing setting stops the process with one line per problem naming the variable.
"""

import pathlib
import re
from decimal import Decimal
from typing import Literal

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PREFIX = "STORE_AGENT_"
_CODE = r"^[a-z0-9][a-z0-9_.-]{0,62}$"


class ConfigError(Exception):
    """The configuration is unusable; `problems` are `VARIABLE: message` lines."""

    def __init__(self, problems: list[str]):
        super().__init__("bad store agent configuration:\n  " + "\n  ".join(problems))
        self.problems = problems


class AgentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, env_file=None, extra="ignore")

    platform_url: AnyHttpUrl = Field(description="The platform's base URL; GraphQL is at <url>/graphql")
    api_key: SecretStr = Field(description="The store's API key (x-api-key)")
    program: str = Field(pattern=_CODE, description="The program's code")
    store_code: str = Field(pattern=_CODE, description="This store's location code (sent as locationCode)")
    terminal_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$", description="This till's id")
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    data_dir: pathlib.Path = Field(default=pathlib.Path("store-agent-data"))

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8765, ge=0, le=65535)

    # Forwarding: how long a till waits for the platform before it gets "accepted, will post"
    online_wait_seconds: float = Field(default=1.5, gt=0, le=30)
    request_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    backoff_initial_seconds: float = Field(default=0.5, gt=0)
    backoff_max_seconds: float = Field(default=30.0, gt=0)
    alert_age_seconds: int = Field(default=900, ge=1, description="Alert when the oldest queued item is older")
    rules_sync_seconds: int = Field(default=300, ge=5)
    # The platform keeps its flat base rate to itself; used offline only when no program rules are published
    base_earn_rate: Decimal = Field(default=Decimal(1), ge=0)

    # Receipt interceptor (raw printing, port 9100 protocol)
    printer_host: str | None = Field(default=None, description="The real printer; unset: no interceptor")
    printer_port: int = Field(default=9100, ge=1, le=65535)
    printer_keepalive_seconds: float = Field(
        default=2.0, ge=0, le=60,
        description="Keep the printer's connection open this long after a job, for the next one (a till "
                    "prints in bursts; a connect per receipt costs the queue); 0: one connection per job, "
                    "ended by EOF, for printers that print a job only when its connection closes")
    proxy_host: str = "127.0.0.1"
    proxy_port: int = Field(default=9100, ge=0, le=65535)
    receipt_mode: Literal["escpos", "text"] = "escpos"
    receipt_deadline_ms: int = Field(default=400, ge=10, le=5000)
    receipt_reference_pattern: str = r"(?:Ref|REF|Receipt|Ticket)[ #:.]*(?P<ref>[A-Za-z0-9][A-Za-z0-9_/-]*)"
    receipt_total_pattern: str = r"(?:TOTAL|Total)[ :]*[A-Z]{0,3}[ ]*(?P<total>\d+[.,]\d{2})"
    receipt_encoding: str = "cp437"
    receipt_width: int = Field(default=42, ge=20, le=80)

    @field_validator("receipt_reference_pattern", "receipt_total_pattern")
    @classmethod
    def _pattern(cls, value: str, info) -> str:
        group = "ref" if info.field_name == "receipt_reference_pattern" else "total"
        try:
            compiled = re.compile(value)
        except re.error as e:
            raise ValueError(f"not a regular expression: {e}") from None
        if group not in compiled.groupindex:
            raise ValueError(f"needs a named group (?P<{group}>...)")
        return value

    @field_validator("receipt_encoding")
    @classmethod
    def _encoding(cls, value: str) -> str:
        try:
            "".encode(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r}") from None
        return value

    @model_validator(mode="after")
    def _backoff(self) -> "AgentSettings":
        if self.backoff_max_seconds < self.backoff_initial_seconds:
            raise ValueError("backoff_max_seconds must be >= backoff_initial_seconds")
        return self

    @property
    def graphql_url(self) -> str:
        return str(self.platform_url).rstrip("/") + "/graphql"

    @property
    def queue_path(self) -> pathlib.Path:
        return self.data_dir / "queue.sqlite3"


def load_settings(**overrides) -> AgentSettings:
    """Settings from the environment; a ConfigError names every bad variable."""
    try:
        return AgentSettings(**overrides)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            where = err["loc"][0] if err["loc"] else ""
            name = f"{PREFIX}{str(where).upper()}" if where else PREFIX + "*"
            message = err["msg"]
            if err["type"] == "missing":
                message = "required, not set"
            problems.append(f"{name}: {message}")
        raise ConfigError(problems) from None
