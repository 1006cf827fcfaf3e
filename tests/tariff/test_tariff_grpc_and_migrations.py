"""The tariff's gRPC face in-process over a real database, and its migrations both ways."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
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
from services.kit.messaging import timestamp
from services.kit.testing import fresh_database
from services.tariff import service
from services.tariff.domain.rating_batch import RatingLimits
from services.tariff.entrypoints import events
from services.tariff.entrypoints.grpc import TariffGrpc
from services.tariff.unit_of_work import TariffUnitOfWork

MIGRATIONS = str(Path(service.__file__).parent / "migrations")
NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
async def tariff(service_database, clock):
    sessions = await service_database("tariff", MIGRATIONS)
    servicer = TariffGrpc(lambda: TariffUnitOfWork(sessions, lambda: None, events.to_outgoing), clock,
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


async def test_a_retry_with_other_fields_is_already_exists(tariff):
    definition = json.dumps({"pricing": "single", "price": "0.80"})
    await tariff.CreatePlan(pb.CreatePlanRequest(plan_id="p", definition_json=definition, version_id="p-1"))
    again = pb.AddPlanVersionRequest(plan_id="p", version_id="p-1", definition_json=json.dumps({"price": "0.90"}))
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await tariff.AddPlanVersion(again)
    assert error.value.code() == grpc.StatusCode.ALREADY_EXISTS
    await tariff.CreatePlan(pb.CreatePlanRequest(plan_id="q", definition_json=definition, version_id="q-1"))
    await tariff.AssignPlan(pb.AssignPlanRequest(plan_id="p", meter_ids=["M1"]))
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await tariff.AssignPlan(pb.AssignPlanRequest(plan_id="q", meter_ids=["M1"]))  # same meter, same time
    assert error.value.code() == grpc.StatusCode.ALREADY_EXISTS


async def test_a_retry_that_left_the_time_to_tariff_is_a_no_op_when_it_comes_later(tariff, clock):
    price = pb.SetSinglePriceRequest(meter_id="M1", price_yuan_per_kwh="1.2000", version_id="s-1")
    version = pb.AddPlanVersionRequest(plan_id="single:M1", version_id="s-2", definition_json='{"price": "1.3"}')
    assert (await tariff.SetSinglePrice(price)).created
    assert (await tariff.AddPlanVersion(version)).created
    clock.advance(timedelta(minutes=5))
    assert not (await tariff.SetSinglePrice(price)).created
    assert not (await tariff.AddPlanVersion(version)).created
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await tariff.AddPlanVersion(pb.AddPlanVersionRequest(plan_id="single:M1", version_id="s-2",
                                                             definition_json='{"price": "1.3"}',
                                                             effective_from=timestamp(NOW + timedelta(days=1))))
    assert error.value.code() == grpc.StatusCode.ALREADY_EXISTS  # a time the caller chose must match


async def test_a_second_default_plan_is_a_failed_precondition(tariff):
    definition = json.dumps({"pricing": "single", "price": "0.80"})
    assert (await tariff.CreatePlan(pb.CreatePlanRequest(plan_id="base", definition_json=definition,
                                                         version_id="b-1", default_plan=True))).created
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await tariff.CreatePlan(pb.CreatePlanRequest(plan_id="other", definition_json=definition, version_id="o-1",
                                                     default_plan=True))
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    [plan] = (await tariff.ListPlans(pb.ListPlansRequest())).plans
    assert (plan.plan_id, plan.kind, plan.meter_id) == ("base", "default", "")


async def test_list_plans_pages_through_every_plan_once(tariff):
    definition = json.dumps({"pricing": "single", "price": "0.80"})
    for i in range(5):
        await tariff.CreatePlan(pb.CreatePlanRequest(plan_id=f"p{i}", definition_json=definition, version_id=f"v{i}"))
    first = await tariff.ListPlans(pb.ListPlansRequest(limit=3))
    second = await tariff.ListPlans(pb.ListPlansRequest(limit=3, cursor=first.next_cursor))
    assert [p.plan_id for p in (*first.plans, *second.plans)] == ["p0", "p1", "p2", "p3", "p4"]
    assert first.next_cursor and not second.next_cursor
    for request in (pb.ListPlansRequest(limit=-1), pb.ListPlansRequest(cursor="garbage"),
                    pb.ListPlansRequest(cursor="p2")):  # a negative limit; not a cursor; a bare plan id
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await tariff.ListPlans(request)
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT, request


async def test_a_bug_is_not_reported_as_the_callers_mistake(tariff, monkeypatch):
    async def broken_quote(*args, **kwargs):
        raise ValueError("a bug, not a bad request")

    monkeypatch.setattr(service, "quote", broken_quote)
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await tariff.Quote(pb.QuoteRequest(meter_id="M1", energy_wh=1000))
    assert error.value.code() == grpc.StatusCode.UNKNOWN


async def _sql(url: str, *statements: str) -> list[list[tuple]]:
    """Run the statements in one transaction; the rows of each SELECT, in order."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    selected = []
    try:
        async with engine.begin() as conn:
            for statement in statements:
                result = await conn.execute(text(statement))
                if statement.startswith("SELECT"):
                    selected.append([tuple(r) for r in result.all()])
    finally:
        await engine.dispose()
    return selected


PLANS = "SELECT plan_id, name, commodity FROM plans ORDER BY plan_id"
KINDS = "SELECT plan_id, kind, meter_id FROM plans ORDER BY plan_id"


async def test_plan_kinds_migrate_from_the_ids_and_back(infra):
    import asyncio

    url = await fresh_database(infra.database_url, "tariff", MIGRATIONS)
    config = db.alembic_config(url, MIGRATIONS, "alembic_version_tariff")
    await asyncio.to_thread(command.downgrade, config, "tar0002")
    [before] = await _sql(
        url, "INSERT INTO plans (plan_id, name, commodity) VALUES ('default', 'default', 'electricity'),"
             " ('single:M1', 'single price M1', 'electricity'), ('shops', '商铺', 'electricity')", PLANS)
    await asyncio.to_thread(command.upgrade, config, "head")
    [kinds] = await _sql(url, KINDS)
    assert kinds == [("default", "default", None), ("shops", "shared", None), ("single:M1", "meter", "M1")]
    await asyncio.to_thread(command.downgrade, config, "tar0002")
    assert await _sql(url, PLANS) == [before]
    await asyncio.to_thread(command.upgrade, config, "head")
    assert await _sql(url, KINDS) == [kinds]


async def test_a_default_plan_under_another_id_is_plan_default_again_after_a_downgrade(infra):
    import asyncio

    url = await fresh_database(infra.database_url, "tariff", MIGRATIONS)
    config = db.alembic_config(url, MIGRATIONS, "alembic_version_tariff")
    await _sql(url, "INSERT INTO plans (plan_id, name, commodity, kind)"
                    " VALUES ('base', '基础', 'electricity', 'default')",
               "INSERT INTO plan_versions (version_id, plan_id, effective_from, definition)"
               " VALUES ('b-1', 'base', now(), '{\"pricing\": \"single\", \"price\": \"1\"}')",
               "INSERT INTO meter_plans (meter_id, effective_from, plan_id) VALUES ('M1', now(), 'base')")
    await asyncio.to_thread(command.downgrade, config, "tar0002")
    moved = await _sql(url, PLANS, "SELECT version_id, plan_id FROM plan_versions", "SELECT plan_id FROM meter_plans")
    assert moved == [[("default", "基础", "electricity")], [("b-1", "default")], [("default",)]]
