"""Plans against a real database: retries with caller-chosen ids, the default plan as a typed kind,
pages of lists, and rating states that can only be saved locked."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from services.kit.paging import InvalidPage
from services.tariff import service
from services.tariff.domain.catalog import PLAN_PAGE, PlanKind
from services.tariff.domain.commands import (
    AddPlanVersion,
    AssignPlan,
    CreatePlan,
    ListPlans,
    QuoteUsage,
    RateReadings,
    SetSinglePrice,
)
from services.tariff.domain.errors import ConflictingRetry, DefaultPlanExists, InvalidBaseline
from services.tariff.domain.plans import CHINA
from services.tariff.domain.rating import Quarantined, Reading
from services.tariff.domain.rating_batch import NotLocked, RatingLimits
from services.tariff.entrypoints import events
from services.tariff.unit_of_work import TariffUnitOfWork

MIGRATIONS = str(Path(service.__file__).parent / "migrations")
T0 = datetime(2026, 11, 10, tzinfo=CHINA)
PRICE_1 = json.dumps({"price": "1.00"})
PRICE_2 = json.dumps({"price": "2.00"})
LIMITS = RatingLimits(max_power_w=200_000, default_price=Decimal("1.0000"))


@pytest.fixture
async def new_uow(service_database):
    sessions = await service_database("tariff", MIGRATIONS)
    return lambda: TariffUnitOfWork(sessions, lambda: None, events.to_outgoing)


async def price_of(new_uow, meter_id: str, at: datetime = T0) -> int:
    return (await service.quote(new_uow(), QuoteUsage(meter_id, 1000, at), LIMITS.default_price)).amount_fen


async def all_plans(new_uow) -> list[str]:
    return [p.plan_id for p in (await service.list_plans(new_uow(), ListPlans(limit=PLAN_PAGE.maximum))).items]


class TestRetries:
    async def test_a_retried_version_is_a_no_op_and_one_with_other_fields_an_error(self, new_uow):
        await service.create_plan(new_uow(), CreatePlan("p", "p", PRICE_1, "p-1", T0 - timedelta(days=1)))
        version = AddPlanVersion("p", "p-2", PRICE_2, T0)
        assert await service.add_plan_version(new_uow(), version)
        assert not await service.add_plan_version(new_uow(), version)
        same_price_other_spelling = AddPlanVersion("p", "p-2", json.dumps({"price": "2.0"}), T0)
        assert not await service.add_plan_version(new_uow(), same_price_other_spelling)
        for changed in (AddPlanVersion("p", "p-2", json.dumps({"price": "3.00"}), T0),
                        AddPlanVersion("p", "p-2", PRICE_2, T0 + timedelta(hours=1))):
            with pytest.raises(ConflictingRetry):
                await service.add_plan_version(new_uow(), changed)
        await service.assign_plan(new_uow(), AssignPlan("p", ["A"], T0 - timedelta(days=1)))
        assert await price_of(new_uow, "A") == 200  # still the version first written

    async def test_a_retried_assignment_is_a_no_op_and_one_to_another_plan_an_error(self, new_uow):
        await service.create_plan(new_uow(), CreatePlan("p", "p", PRICE_1, "p-1", T0 - timedelta(days=1)))
        await service.create_plan(new_uow(), CreatePlan("q", "q", PRICE_2, "q-1", T0 - timedelta(days=1)))
        assert await service.assign_plan(new_uow(), AssignPlan("p", ["A", "B"], T0)) == 2
        assert await service.assign_plan(new_uow(), AssignPlan("p", ["A", "B"], T0)) == 0
        with pytest.raises(ConflictingRetry):
            await service.assign_plan(new_uow(), AssignPlan("q", ["C", "B"], T0))
        assert await price_of(new_uow, "B") == 100
        assert await price_of(new_uow, "C") == 100  # the default price: nothing of the refused call was written
        assert await service.assign_plan(new_uow(), AssignPlan("q", ["B"], T0 + timedelta(hours=1))) == 1

    async def test_a_retried_plan_is_a_no_op_and_one_with_other_fields_an_error(self, new_uow):
        plan = CreatePlan("p", "商铺 shops", PRICE_1, "p-1", T0)
        assert await service.create_plan(new_uow(), plan)
        assert not await service.create_plan(new_uow(), plan)
        for changed in (CreatePlan("p", "商铺 shops", PRICE_2, "p-1", T0), CreatePlan("p", "other", PRICE_1, "p-1", T0),
                        CreatePlan("p", "商铺 shops", PRICE_1, "p-9", T0)):
            with pytest.raises(ConflictingRetry):
                await service.create_plan(new_uow(), changed)

    async def test_a_retried_single_price_with_another_price_is_an_error(self, new_uow):
        assert await service.set_single_price(new_uow(), SetSinglePrice("v1", "M9", "1.5000", T0))
        with pytest.raises(ConflictingRetry):
            await service.set_single_price(new_uow(), SetSinglePrice("v1", "M9", "1.6000", T0))


class TestPlanKinds:
    async def test_the_default_plan_is_a_kind_not_an_id(self, new_uow):
        await service.create_plan(new_uow(), CreatePlan("default", "just a name", PRICE_2, "x-1", T0 - timedelta(1)))
        assert await price_of(new_uow, "ANY") == 100  # the configured price: no default plan yet
        await service.create_plan(new_uow(), CreatePlan("base", "基础 base", PRICE_2, "b-1", T0 - timedelta(1),
                                                         default_plan=True))
        assert await price_of(new_uow, "ANY") == 200
        with pytest.raises(DefaultPlanExists):
            await service.create_plan(new_uow(), CreatePlan("other", "o", PRICE_1, "o-1", T0, default_plan=True))
        await service.set_single_price(new_uow(), SetSinglePrice("b-2", "", "3.00", T0))  # the default plan, by kind
        assert await price_of(new_uow, "ANY", T0 + timedelta(hours=1)) == 300
        kinds = {p.plan_id: p.kind for p in (await service.list_plans(new_uow(), ListPlans())).items}
        assert kinds == {"base": PlanKind.DEFAULT, "default": PlanKind.SHARED}

    async def test_a_meters_single_price_plan_names_its_meter(self, new_uow):
        await service.set_single_price(new_uow(), SetSinglePrice("v1", "M9", "1.5000", T0 - timedelta(1)))
        await service.set_single_price(new_uow(), SetSinglePrice("d1", "", "0.5000", T0 - timedelta(1)))
        [default, own] = (await service.list_plans(new_uow(), ListPlans())).items
        assert (default.kind, default.meter_id) == (PlanKind.DEFAULT, None)
        assert (own.kind, own.meter_id) == (PlanKind.METER, "M9")
        assert (await price_of(new_uow, "M9"), await price_of(new_uow, "OTHER")) == (150, 50)


class TestPages:
    async def test_two_pages_of_plans_have_no_overlap_and_no_gap(self, new_uow):
        ids = [f"plan-{i:02d}" for i in range(7)]
        for plan_id in reversed(ids):
            await service.create_plan(new_uow(), CreatePlan(plan_id, plan_id, PRICE_1, f"{plan_id}-v1", T0))
        first = await service.list_plans(new_uow(), ListPlans(limit=4))
        second = await service.list_plans(new_uow(), ListPlans(limit=4, cursor=first.next_cursor))
        assert [p.plan_id for p in first.items] + [p.plan_id for p in second.items] == ids
        assert first.next_cursor and second.next_cursor == ""

    async def test_an_exact_last_page_says_it_is_the_last(self, new_uow):
        for plan_id in ("a", "b"):
            await service.create_plan(new_uow(), CreatePlan(plan_id, plan_id, PRICE_1, f"{plan_id}-v1", T0))
        page = await service.list_plans(new_uow(), ListPlans(limit=2))
        assert (len(page.items), page.next_cursor) == (2, "")

    async def test_two_pages_of_quarantined_readings(self, new_uow):
        readings = [Reading("M1", T0, 0)] + [Reading("M1", T0 + timedelta(minutes=m), 10**9) for m in range(1, 6)]
        await service.rate_readings(new_uow(), RateReadings(readings), LIMITS)
        async with new_uow() as uow:
            first = await uow.usage.quarantined("M1", limit=3)
            second = await uow.usage.quarantined("M1", limit=3, after=first[-1].read_at)
        assert [q.read_at for q in first + second] == [r.read_at for r in readings[1:]]
        assert all(isinstance(q, Quarantined) for q in first + second)

    def test_a_page_size_of_zero_is_the_default_and_too_many_is_capped(self):
        assert PLAN_PAGE.of(0) == 100 and PLAN_PAGE.of(7) == 7 and PLAN_PAGE.of(10**6) == PLAN_PAGE.maximum == 1000
        with pytest.raises(InvalidPage):
            PLAN_PAGE.of(-1)


class TestLockedRatingStates:
    async def test_only_states_locked_by_this_unit_of_work_can_be_saved(self, new_uow):
        async with new_uow() as uow:
            states = await uow.rating.get_for_update(["M1"])
        states.reset_baseline(Reading("M1", T0, 100))
        async with new_uow() as uow:
            with pytest.raises(NotLocked):
                await uow.rating.save(states)
            assert await uow.rating.get("M1") is None

    async def test_a_meter_outside_the_locked_set_cannot_change(self, new_uow):
        async with new_uow() as uow:
            states = await uow.rating.get_for_update(["M1"])
            with pytest.raises(NotLocked):
                states.reset_baseline(Reading("M2", T0, 100))

    async def test_a_baseline_older_than_the_last_rated_reading_is_refused(self, new_uow):
        await service.reset_baseline(new_uow(), Reading("M1", T0, 100))
        with pytest.raises(InvalidBaseline):
            await service.reset_baseline(new_uow(), Reading("M1", T0 - timedelta(hours=1), 50))
