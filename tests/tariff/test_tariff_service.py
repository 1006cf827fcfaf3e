"""Tariff use cases against a real PostgreSQL built by the tariff's migrations."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from services.contracts.meterpay.v1 import charges_pb2, common_pb2, readings_pb2
from services.kit.outbox import OUTBOX
from services.tariff import service
from services.tariff.domain.commands import (
    AddPlanVersion,
    AssignPlan,
    CreatePlan,
    QuoteUsage,
    RateReadings,
    SetSinglePrice,
)
from services.tariff.domain.errors import UnknownPlan
from services.tariff.domain.plans import CHINA, InvalidPlan
from services.tariff.domain.rating_batch import BatchOutcome, RatingLimits
from services.tariff.entrypoints import events
from services.tariff.entrypoints.consumers import reading_from_message
from services.tariff.unit_of_work import TariffUnitOfWork

MIGRATIONS = str(Path(service.__file__).parent / "migrations")
T0 = datetime(2026, 11, 10, tzinfo=CHINA)
LIMITS = RatingLimits(max_power_w=200_000, default_price=Decimal("1.0000"))
TOU = {"pricing": "tou", "flat_price": "1.00",
       "segments": [["00:00", "valley"], ["08:00", "peak"], ["20:00", "flat"]]}


@pytest.fixture
async def new_uow(service_database):
    sessions = await service_database("tariff", MIGRATIONS)
    return lambda: TariffUnitOfWork(sessions, lambda: None, events.to_outgoing)


def reading(meter_id: str, at: datetime, total_wh: int, **extra) -> readings_pb2.MeterReading:
    extra.setdefault("kind", common_pb2.METER_KIND_ELECTRICITY)
    message = readings_pb2.MeterReading(meter_id=meter_id, total_wh=total_wh, **extra)
    message.read_at.FromDatetime(at.astimezone(UTC))
    return message


async def rate(uow: TariffUnitOfWork, batch: list[readings_pb2.MeterReading]) -> BatchOutcome:
    """Rate protobuf readings as the consumer does: translated at the edge, one use case."""
    return await service.rate_readings(uow, RateReadings([reading_from_message(m) for m in batch]), LIMITS)


async def outbox(new_uow, topic: str, message_type):
    async with new_uow() as uow:
        rows = (await uow.session.execute(OUTBOX.select().order_by(OUTBOX.c.id))).all()
    return [message_type.FromString(r.payload) for r in rows if r.topic == topic]


class TestRatingBatches:
    async def test_a_batch_rates_each_meter_in_time_order_and_emits_charges(self, new_uow):
        batch = [reading("M1", T0 + timedelta(hours=2), 2000), reading("M1", T0, 0),
                 reading("M2", T0, 100), reading("M1", T0 + timedelta(hours=1), 1000),
                 reading("M2", T0 + timedelta(hours=1), 600)]
        outcome = await rate(new_uow(), batch)
        assert sorted((c.meter_id, c.amount_fen) for c in outcome.charges) == [("M1", 100), ("M1", 100), ("M2", 50)]
        charges = await outbox(new_uow, "usage.charges.v1", charges_pb2.UsageCharge)
        assert sum(c.amount_fen for c in charges) == 250

    async def test_a_replayed_batch_is_a_no_op(self, new_uow):
        batch = [reading("M1", T0, 0), reading("M1", T0 + timedelta(hours=1), 1000)]
        await rate(new_uow(), batch)
        again = await rate(new_uow(), batch)
        assert again.charges == [] and again.ignored == 2
        assert len(await outbox(new_uow, "usage.charges.v1", charges_pb2.UsageCharge)) == 1

    async def test_an_impossible_jump_is_quarantined_with_an_event(self, new_uow):
        await rate(new_uow(), [reading("M1", T0, 0)])
        outcome = await rate(new_uow(), [reading("M1", T0 + timedelta(minutes=1), 900_000)])
        assert outcome.charges == [] and len(outcome.quarantined) == 1
        [anomaly] = await outbox(new_uow, events.TARIFF_ANOMALIES, charges_pb2.RatingAnomaly)
        assert anomaly.meter_id == "M1" and anomaly.total_wh == 900_000
        async with new_uow() as uow:
            assert [q.total for q in await uow.usage.quarantined("M1", limit=10)] == [900_000]

    async def test_a_meter_swap_is_rated_from_the_new_baseline(self, new_uow):
        await rate(new_uow(), [reading("M1", T0, 5_000_000)])
        swapped = await rate(new_uow(), [reading("M1", T0 + timedelta(hours=1), 100)])
        assert swapped.quarantined
        await service.reset_baseline(new_uow(), service.Reading("M1", T0 + timedelta(hours=1), 100))
        after = await rate(new_uow(), [reading("M1", T0 + timedelta(hours=2), 1100)])
        assert [c.amount_fen for c in after.charges] == [100]

    async def test_band_registers_and_water_meters(self, new_uow):
        await service.create_plan(new_uow(), CreatePlan("tou", "TOU", json.dumps(TOU), "tou-1",
                                                        T0 - timedelta(days=30)))
        await service.create_plan(new_uow(), CreatePlan("water", "水价 water", json.dumps(
            {"commodity": "water", "pricing": "single", "price": "4.00"}), "w-1", T0 - timedelta(days=30)))
        await service.assign_plan(new_uow(), AssignPlan("tou", ["E1"], T0 - timedelta(days=1)))
        await service.assign_plan(new_uow(), AssignPlan("water", ["W1"], T0 - timedelta(days=1)))
        bands = dict(has_band_registers=True)
        water = dict(kind=common_pb2.METER_KIND_WATER)
        batch = [reading("E1", T0, 0, **bands), reading("W1", T0, 0, volume_l=0, **water),
                 reading("E1", T0 + timedelta(hours=1), 3000, peak_wh=1000, valley_wh=2000, **bands),
                 reading("W1", T0 + timedelta(hours=1), 0, volume_l=1500, **water)]
        outcome = await rate(new_uow(), batch)
        # 1 kWh peak at 1.70 + 2 kWh valley at 0.30 = 2.30; 1.5 m3 at 4.00 = 6.00
        assert sorted((c.meter_id, c.amount_fen) for c in outcome.charges) == [("E1", 230), ("W1", 600)]
        bill = await service.preview_bill(new_uow(), "E1", "2026-11", T0)
        assert (bill.amount_fen, bill.bands) == (230, {"peak": 1000, "valley": 2000})


class TestPlansAndVersions:
    async def test_a_scheduled_price_change_applies_only_to_the_chosen_meters_from_its_time(self, new_uow):
        await service.create_plan(new_uow(), CreatePlan("shops", "商铺 shops", json.dumps({"price": "1.00"}), "s-1",
                                                        T0 - timedelta(days=30)))
        await service.assign_plan(new_uow(), AssignPlan("shops", ["A", "B"], T0 - timedelta(days=30)))
        change = T0 + timedelta(hours=1)
        await service.create_plan(new_uow(), CreatePlan("shops-new", "新价 new", json.dumps({"price": "2.00"}), "n-1",
                                                        change))
        await service.assign_plan(new_uow(), AssignPlan("shops-new", ["A"], change))
        batch = [reading(m, T0 + timedelta(hours=h), 1000 * h) for m in ("A", "B") for h in (0, 1, 2)]
        outcome = await rate(new_uow(), batch)
        by_meter = {m: [c.amount_fen for c in outcome.charges if c.meter_id == m] for m in ("A", "B")}
        assert by_meter == {"A": [100, 200], "B": [100, 100]}

    async def test_a_new_version_never_reprices_energy_already_rated(self, new_uow):
        await service.create_plan(new_uow(), CreatePlan("p", "p", json.dumps({"price": "1.00"}), "p-1",
                                                        T0 - timedelta(days=1)))
        await service.assign_plan(new_uow(), AssignPlan("p", ["A"], T0 - timedelta(days=1)))
        await rate(new_uow(), [reading("A", T0, 0), reading("A", T0 + timedelta(hours=1), 1000)])
        await service.add_plan_version(new_uow(), AddPlanVersion("p", "p-2", json.dumps({"price": "3.00"}),
                                                                 T0 + timedelta(hours=1)))
        later = await rate(new_uow(), [reading("A", T0 + timedelta(hours=2), 2000)])
        assert [c.amount_fen for c in later.charges] == [300]
        bill = await service.preview_bill(new_uow(), "A", "2026-11", T0)
        assert bill.amount_fen == 400

    async def test_bad_plans_and_unknown_plans_are_refused_and_nothing_is_written(self, new_uow):
        with pytest.raises(InvalidPlan):
            await service.create_plan(new_uow(), CreatePlan("bad", "bad", "{not json", "b-1", T0))
        with pytest.raises(UnknownPlan):
            await service.add_plan_version(new_uow(), AddPlanVersion("nope", "v", json.dumps({"price": "1"}), T0))
        with pytest.raises(UnknownPlan):
            await service.assign_plan(new_uow(), AssignPlan("nope", ["A"], T0))
        async with new_uow() as uow:
            assert (await uow.plans.list_plans(limit=10)).items == ()

    async def test_quote_uses_the_version_in_force_and_the_tier_position(self, new_uow):
        tiers = {"pricing": "tiered", "tiers": [{"up_to": "1", "price": "0.50"}, {"up_to": None, "price": "1.00"}]}
        await service.create_plan(new_uow(), CreatePlan("t", "t", json.dumps(tiers), "t-1", T0 - timedelta(days=1)))
        await service.assign_plan(new_uow(), AssignPlan("t", ["A"], T0 - timedelta(days=1)))
        quote = await service.quote(new_uow(), QuoteUsage("A", 2000, T0), LIMITS.default_price)
        assert (quote.amount_fen, quote.average_price, quote.version_id) == (150, Decimal("0.750000"), "t-1")
        await rate(new_uow(), [reading("A", T0, 0), reading("A", T0 + timedelta(hours=1), 1000)])
        later = await service.quote(new_uow(), QuoteUsage("A", 2000, T0 + timedelta(hours=2)), LIMITS.default_price)
        assert later.amount_fen == 200  # the first tier is used up this month

    async def test_set_single_price_keeps_working_for_seeding_and_the_console(self, new_uow):
        price = SetSinglePrice("v1", "M9", "1.5000", T0 - timedelta(days=1))
        assert await service.set_single_price(new_uow(), price)
        assert not await service.set_single_price(new_uow(), price)
        assert (await service.quote(new_uow(), QuoteUsage("M9", 1000, T0), LIMITS.default_price)).amount_fen == 150
        assert (await service.quote(new_uow(), QuoteUsage("OTHER", 1000, T0), LIMITS.default_price)).amount_fen == 100
        with pytest.raises(InvalidPlan):  # a ValueError before; now the domain error that says what it is
            await service.set_single_price(new_uow(), SetSinglePrice("v2", "M9", "-1", T0))
