from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings


class ConsoleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONSOLE_", extra="ignore")
    service_name = "console"

    http_host: str = "127.0.0.1"
    http_port: int = 8080
    acquisition_target: str = "127.0.0.1:50051"
    tariff_target: str = "127.0.0.1:50052"
    wallet_target: str = "127.0.0.1:50053"
    control_target: str = "127.0.0.1:50054"
    grpc_timeout_s: float = 10.0
    # Sessions: idle and absolute timeouts; cookies marked Secure when served over HTTPS.
    session_idle_timeout_s: int = 30 * 60
    session_absolute_timeout_s: int = 12 * 3600
    cookie_secure: bool = False
    # Login throttling: failures allowed per window, per username and per address.
    login_window_s: int = 15 * 60
    login_failures_per_user: int = 5
    login_failures_per_address: int = 20
    # Tenant one-time SMS codes.
    login_code_ttl_s: int = 300
    login_code_attempts: int = 5
    # Alibaba Cloud SMS (the sandbox in simulators/sms in make run); unset endpoint = codes are only logged.
    sms_endpoint: str = ""               # "dysmsapi.aliyuncs.com" in production
    sms_protocol: str = "https"          # "http" for the sandbox
    sms_access_key_id: str = ""
    sms_access_key_secret: str = ""
    sms_sign_name: str = "meterpay"
    sms_login_template: str = "SMS_LOGIN_CODE"
    # The first operator (HQ admin at the group root), created at start when missing.
    group_name: str = "集团 Group"
    bootstrap_admin_username: str = ""
    bootstrap_admin_password: str = ""
    # Read models: how many readings / charges are projected per transaction.
    batch_max_records: int = 2000
    batch_timeout_ms: int = 50
