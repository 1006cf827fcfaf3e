from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings


class TariffSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TARIFF_", extra="ignore")
    service_name = "tariff"

    grpc_port: int = 50052
    default_price_yuan_per_kwh: str = "1.0000"  # until a default plan is set, so a new site bills something sane
    max_power_w: int = 200_000                   # what a meter's rating can draw; more is a quarantined jump
    max_flow_l_per_h: int = 20_000               # the same for water meters
    register_max_wh: int = 1_000_000_000         # where a total register wraps to zero (rollover)
    batch_max_records: int = 5000                # readings rated in one transaction
    batch_timeout_ms: int = 20                   # how long a batch may wait to fill
    batch_consumers: int = 2                     # concurrent batches (each its own partitions)
    outbox_batch_size: int = 10_000              # one charge per reading leaves through the outbox
