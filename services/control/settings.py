from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings


class ControlSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONTROL_", extra="ignore")
    service_name = "control"

    grpc_port: int = 50054
    max_attempts: int = 3              # tries of one command before it is given up and listed
    backoff_base_s: float = 2.0        # wait before the 2nd try; doubles for each further try
    backoff_max_s: float = 60.0
    result_timeout_s: float = 60.0     # a command whose result has not come by then counts as failed
    sweep_interval_s: float = 0.5      # timeouts, retries, scheduled batches, protection-window ends
    sweep_limit: int = 500             # at most this many of each per sweep
    overload_refresh_s: float = 5.0    # how stale the in-memory overload thresholds may be
