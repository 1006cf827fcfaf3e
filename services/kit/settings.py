"""Settings base shared by every service: one pydantic-settings class per service.

Infrastructure is chosen by URL. The shared names (DATABASE_URL, REDIS_URL,
KAFKA_BOOTSTRAP) point at a server; each service keeps its own database on it,
named meterpay_<service>, unless <PREFIX>DATABASE_URL names one outright. When a
URL is unset the kit starts the embedded part (see embedded.py).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    service_name: ClassVar[str] = "service"
    # The host fields METERPAY_BIND_HOST sets when the service's own variable does not.
    shared_host_fields: ClassVar[tuple[str, ...]] = ("grpc_host",)

    database_url: str | None = None  # <PREFIX>DATABASE_URL: this service's own database
    server_database_url: str | None = Field(None, validation_alias="DATABASE_URL")
    redis_url: str | None = Field(None, validation_alias="REDIS_URL")
    kafka_bootstrap: str | None = Field(None, validation_alias="KAFKA_BOOTSTRAP")
    # Tansu does not serve the idempotent producer; real Kafka should have it on.
    kafka_idempotence: bool = Field(False, validation_alias="KAFKA_IDEMPOTENCE")
    kafka_partitions: int = Field(8, validation_alias="KAFKA_PARTITIONS")
    embedded_dir: str = Field(".run/embedded", validation_alias="METERPAY_EMBEDDED_DIR")
    log_level: str = Field("INFO", validation_alias="LOG_LEVEL")
    # Servers listen on loopback unless told otherwise: <PREFIX>GRPC_HOST for one service, or
    # METERPAY_BIND_HOST (e.g. 0.0.0.0 in a container) for every server a process has that does
    # not name its own host. The metrics endpoint follows the gRPC host.
    bind_host: str | None = Field(None, validation_alias="METERPAY_BIND_HOST")
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 0
    metrics_port: int = 0
    outbox_batch_size: int = 2000  # rows the outbox relay publishes per round (<PREFIX>OUTBOX_BATCH_SIZE)

    @model_validator(mode="after")
    def _apply_shared_bind_host(self) -> ServiceSettings:
        if self.bind_host:
            for name in self.shared_host_fields:
                if name not in self.model_fields_set:
                    setattr(self, name, self.bind_host)
        return self

    def own_database_url(self) -> str:
        """The SQLAlchemy asyncpg URL of this service's database."""
        if self.database_url:
            return as_asyncpg(self.database_url)
        if not self.server_database_url:
            raise RuntimeError("no database: set DATABASE_URL or start the embedded stack")
        url = make_url(as_asyncpg(self.server_database_url))
        return url.set(database=f"meterpay_{self.service_name}").render_as_string(hide_password=False)


def as_asyncpg(url: str) -> str:
    """Accept postgres://, postgresql:// or postgresql+asyncpg:// and return the asyncpg form."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {url!r}")
