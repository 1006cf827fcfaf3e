"""Money arithmetic, settings, the embedded infrastructure and the gRPC bootstrap."""

from __future__ import annotations

import os
from decimal import Decimal

import grpc
import pytest
import redis
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.control.settings import ControlSettings
from services.kit.grpc import start_grpc_server, wait_healthy
from services.kit.money import energy_cost_yuan, format_fen, parse_price, round_to_fen
from services.kit.settings import as_asyncpg
from services.wallet.settings import WalletSettings


class TestMoney:
    @pytest.mark.parametrize(("yuan", "fen"), [("0.004", 0), ("0.005", 1), ("1.234", 123), ("1.235", 124),
                                               ("-0.005", -1), ("12345678.905", 1234567891)])
    def test_rounding_is_half_up_to_the_fen(self, yuan, fen):
        assert round_to_fen(Decimal(yuan)) == fen

    def test_energy_cost_is_exact(self):
        assert energy_cost_yuan(1, Decimal("0.6543")) == Decimal("0.0006543")

    @pytest.mark.parametrize("text", ["-1", "abc", "1.1234567", "NaN", "Infinity"])
    def test_a_bad_price_is_refused(self, text):
        with pytest.raises(ValueError):
            parse_price(text)

    def test_fen_are_shown_as_yuan(self):
        assert (format_fen(12345), format_fen(-5), format_fen(0)) == ("¥123.45", "-¥0.05", "¥0.00")


class TestSettings:
    def test_each_service_gets_its_own_database_on_the_shared_server(self, monkeypatch):
        monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db.example:5432/postgres")
        assert WalletSettings().own_database_url() == "postgresql+asyncpg://u:p@db.example:5432/meterpay_wallet"

    def test_a_service_database_url_overrides_the_shared_server(self, monkeypatch):
        monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db.example:5432/postgres")
        monkeypatch.setenv("WALLET_DATABASE_URL", "postgres://w@ledger.example/wallet_prod")
        assert WalletSettings().own_database_url() == "postgresql+asyncpg://w@ledger.example/wallet_prod"

    def test_servers_listen_on_loopback_unless_told(self, monkeypatch):
        monkeypatch.delenv("METERPAY_BIND_HOST", raising=False)
        wallet = WalletSettings()
        assert (wallet.grpc_host, wallet.http_host, ControlSettings().grpc_host) == ("127.0.0.1",) * 3

    def test_the_shared_bind_host_moves_every_server_a_service_does_not_place_itself(self, monkeypatch):
        monkeypatch.setenv("METERPAY_BIND_HOST", "0.0.0.0")
        monkeypatch.setenv("WALLET_HTTP_HOST", "10.0.0.7")
        monkeypatch.setenv("CONTROL_GRPC_HOST", "127.0.0.2")
        wallet = WalletSettings()
        assert (wallet.grpc_host, wallet.http_host, ControlSettings().grpc_host) == (
            "0.0.0.0", "10.0.0.7", "127.0.0.2")

    def test_a_non_postgres_url_is_refused(self):
        with pytest.raises(ValueError, match="not a PostgreSQL URL"):
            as_asyncpg("mysql://x/y")


class TestEmbeddedInfrastructure:
    def test_the_embedded_redis_listens_on_loopback_only(self, infra):
        if os.environ.get("REDIS_URL"):
            pytest.skip("Redis is given by the environment, not embedded")
        client = redis.Redis.from_url(infra.redis_url)
        try:
            assert client.config_get("bind")["bind"] == "127.0.0.1"
        finally:
            client.close()


class TestGrpcBootstrap:
    async def test_the_server_reports_serving_on_the_health_service(self):
        server, port = await start_grpc_server("127.0.0.1", 0, [])
        try:
            await wait_healthy(f"127.0.0.1:{port}", 10)
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as ch:
                reply = await health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(service=""))
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        finally:
            await server.stop(None)
