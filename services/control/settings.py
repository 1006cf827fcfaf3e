from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings


class ControlSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONTROL_", extra="ignore")
    service_name = "control"

    grpc_port: int = 50054
