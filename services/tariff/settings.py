from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings


class TariffSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TARIFF_", extra="ignore")
    service_name = "tariff"

    grpc_port: int = 50052
    default_price_yuan_per_kwh: str = "1.0000"  # until a plan is set, so a new site bills something sane
    max_power_w: int = 200_000                   # what a meter's rating can draw; more is a quarantined jump
