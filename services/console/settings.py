from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings


class ConsoleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONSOLE_", extra="ignore")
    service_name = "console"

    http_host: str = "127.0.0.1"
    http_port: int = 8080
    acquisition_target: str = "127.0.0.1:50051"
    wallet_target: str = "127.0.0.1:50053"
    control_target: str = "127.0.0.1:50054"
