from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings


class WalletSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WALLET_", extra="ignore")
    service_name = "wallet"
    shared_host_fields = ("grpc_host", "http_host")   # METERPAY_BIND_HOST sets both unless given here

    grpc_port: int = 50053
    http_host: str = "127.0.0.1"              # provider callbacks: loopback unless told (WALLET_HTTP_HOST)
    http_port: int = 8090                     # provider callbacks; 0 = any free port
    batch_max_records: int = 5000             # charges posted in one transaction
    batch_timeout_ms: int = 20
    batch_consumers: int = 2                  # concurrent batches (each its own partitions)
    # WeChat Pay API v3 (keys inline as PEM, or "@/path/to/file.pem"); unset = channel off
    wechat_mchid: str = ""
    wechat_platform_serial: str = ""
    wechat_platform_public_key: str = ""
    wechat_apiv3_key: str = ""
    # Alipay (RSA2)
    alipay_app_id: str = ""
    alipay_public_key: str = ""
    alipay_app_private_key: str = ""
