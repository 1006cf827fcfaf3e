from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings


class AcquisitionSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ACQUISITION_", extra="ignore")
    service_name = "acquisition"

    grpc_port: int = 50051
    poll_interval_s: float = 1800.0       # F-01: every 30 minutes unless the project says otherwise
    poll_jitter_s: float = 30.0           # spread gateway cycles so they do not all start together
    max_parallel_gateways: int = 1000     # gateways polled at the same time (one request each)
    request_timeout_s: float = 2.0
    request_retries: int = 1
    offline_after_missed_polls: int = 3   # K missed polls and a meter is offline (失联)
    buffer_max_records: int = 5000        # store-and-forward records taken per gateway per cycle
    dtu_host: str = "0.0.0.0"
    dtu_port: int = 16020                 # where 4G DTUs dial in
    dtu_heartbeat_s: float = 60.0
    lease_ttl_s: float = 30.0             # a crashed instance's gateways move after this long
    # Store what a gateway cycle has read every N s (0: once at the end of the cycle). Shorter means
    # a reading that exhausts a balance leaves sooner; longer means fewer transactions per cycle.
    store_every_s: float = 0.5
    command_workers: int = 32             # field commands executed at the same time (different meters)
    use_leases: bool = True               # share gateways with other instances through Redis
