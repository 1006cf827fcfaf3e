"""The tariff's gRPC face in-process over a real database, and its migrations both ways."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import grpc
import pytest
from alembic import command

from services.contracts.meterpay.v1 import tariff_pb2 as pb
from services.contracts.meterpay.v1 import tariff_pb2_grpc
from services.kit import db
from services.kit.clock import FixedClock
from services.kit.grpc import start_grpc_server
from services.kit.testing import fresh_database
from services.tariff import service
from services.tariff.entrypoints.grpc import TariffGrpc
from services.tariff.service import RatingLimits, TariffUnitOfWork

MIGRATIONS = str(Path(service.__file__).parent / "migrations")
NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)


@pytest.fixture
async def tariff(service_database):
    sessions = await service_database("tariff", MIGRATIONS)
    servicer = TariffGrpc(lambda: TariffUnitOfWork(sessions, lambda: None), FixedClock(NOW),
                          RatingLimits(default_price=Decimal("1")))
    server, port = await start_grpc_server("127.0.0.1", 0, [
        (tariff_pb2_grpc.add_TariffServiceServicer_to_server, servicer, "meterpay.v1.TariffService")])
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield tariff_pb2_grpc.TariffServiceStub(channel)
    await server.stop(0)


async def test_plans_versions_and_quotes_over_grpc(tariff):
    definition = json.dumps({"pricing": "single", "price": "0.80"})
    assert (await tariff.CreatePlan(pb.CreatePlanRequest(plan_id="p", name="商铺", definition_json=definition,
                                                         version_id="p-1"))).created
    assert (await tariff.AssignPlan(pb.AssignPlanRequest(plan_id="p", meter_ids=["M1", "M2"]))).assigned == 2
    quote = await tariff.Quote(pb.QuoteRequest(meter_id="M1", energy_wh=10_000))
    assert (quote.amount_fen, quote.version_id) == (800, "p-1")
    timeline = await tariff.GetMeterTariff(pb.MeterTariffRequest(meter_id="M1"))
    assert [v.version_id for v in timeline.timeline] == ["default", "p-1"]
    assert (await tariff.ListPlans(pb.ListPlansRequest())).plans[0].plan_id == "p"


@pytest.mark.parametrize(("call", "code"), [
    (lambda t: t.CreatePlan(pb.CreatePlanRequest(plan_id="x", version_id="v", definition_json="{")),
     grpc.StatusCode.INVALID_ARGUMENT),
    (lambda t: t.AddPlanVersion(pb.AddPlanVersionRequest(plan_id="nope", version_id="v",
                                                         definition_json='{"price": "1"}')),
     grpc.StatusCode.NOT_FOUND),
    (lambda t: t.AssignPlan(pb.AssignPlanRequest(plan_id="nope", meter_ids=["M1"])), grpc.StatusCode.NOT_FOUND),
    (lambda t: t.Quote(pb.QuoteRequest(meter_id="M1", energy_wh=-1)), grpc.StatusCode.INVALID_ARGUMENT),
    (lambda t: t.SetSinglePrice(pb.SetSinglePriceRequest(version_id="v", price_yuan_per_kwh="abc")),
     grpc.StatusCode.INVALID_ARGUMENT),
    (lambda t: t.ResetBaseline(pb.ResetBaselineRequest(meter_id="M1", band_wh=[1, 2])),
     grpc.StatusCode.INVALID_ARGUMENT),
])
async def test_bad_requests_get_clear_status_codes(tariff, call, code):
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await call(tariff)
    assert error.value.code() == code


@pytest.mark.parametrize(("service_name", "down_to"), [("tariff", "tar0001"), ("wallet", "wal0001")])
async def test_migrations_are_reversible(infra, service_name, down_to):
    migrations = str(Path(service.__file__).parents[1] / service_name / "migrations")
    url = await fresh_database(infra.database_url, service_name, migrations)
    config = db.alembic_config(url, migrations, f"alembic_version_{service_name}")
    import asyncio

    await asyncio.to_thread(command.downgrade, config, down_to)
    await asyncio.to_thread(command.upgrade, config, "head")
