from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings


class AcquisitionSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ACQUISITION_", extra="ignore")
    service_name = "acquisition"

    grpc_port: int = 50051
    poll_interval_s: float = 1800.0       # F-01: every 30 minutes unless the project says otherwise
    request_timeout_s: float = 2.0
    request_retries: int = 1
    offline_after_missed_polls: int = 3   # K missed polls and a meter is offline (失联)
    command_confirm_delay_s: float = 0.05
