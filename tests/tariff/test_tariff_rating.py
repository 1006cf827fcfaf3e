"""Rating worked out by hand for each tariff kind, and the telescoping-rounding property."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.tariff.domain.plans import (
    CHINA,
    Band,
    Commodity,
    InvalidPlan,
    plan_from_dict,
    plan_to_dict,
    single_price_plan,
)
from services.tariff.domain.rating import (
    Charge,
    Ignored,
    PlanVersion,
    Quarantined,
    Reading,
    first_reading,
    rate,
    share,
    versions_for_interval,
)

MAX_W = 1_000_000
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
DAY = datetime(2026, 11, 10, tzinfo=CHINA)

TOU_DAY = {
    "pricing": "tou", "flat_price": "1.00",
    "segments": [["00:00", "deep_valley"], ["06:00", "valley"], ["08:00", "flat"], ["10:00", "peak"],
                 ["14:00", "sharp"], ["16:00", "peak"], ["20:00", "flat"], ["22:00", "valley"]],
}
TIERED_MONTH = {"pricing": "tiered", "tier_period": "month",
                "tiers": [{"up_to": "200", "price": "0.50"}, {"up_to": "400", "price": "0.55"},
                          {"up_to": None, "price": "0.80"}]}


def version(plan_dict: dict, vid: str = "v1", effective_from: datetime = EPOCH) -> PlanVersion:
    return PlanVersion(vid, effective_from, plan_from_dict(plan_dict))


def run(versions: list[PlanVersion], readings: list[tuple[datetime, int]], bands: list[tuple[int, ...]] | None = None,
        max_w: int = MAX_W) -> list:
    """Rate a sequence of (time, cumulative units) readings; the first is the baseline."""
    def reading(i: int) -> Reading:
        return Reading("M1", readings[i][0], readings[i][1], bands[i] if bands else None)

    state = first_reading(reading(0))
    outcomes = []
    for i in range(1, len(readings)):
        r = reading(i)
        state, outcome = rate(state, r, versions_for_interval(versions, state.last_read_at, r.read_at), max_w)
        outcomes.append(outcome)
    return outcomes


def total_fen(outcomes: list) -> int:
    return sum(o.amount_fen for o in outcomes if isinstance(o, Charge))


def hourly(start: datetime, hours: int, wh_per_hour: int) -> list[tuple[datetime, int]]:
    return [(start + timedelta(hours=h), h * wh_per_hour) for h in range(hours + 1)]


class TestWorkedExamples:
    """Each case priced by hand (comments show the arithmetic)."""

    @pytest.mark.parametrize(("name", "plans", "readings", "expected_fen"), [
        # 24 kWh over a day at 1.00 yuan/kWh.
        ("single price day", [{"pricing": "single", "price": "1.00"}], hourly(DAY, 24, 1000), 2400),
        # 1 kW all day, flat 1.00; sharp 2.00, peak 1.70, valley 0.30, deep valley 0.10:
        # DV 6h*0.1 + V 2h*0.3 + F 2h*1 + P 4h*1.7 + S 2h*2 + P 4h*1.7 + F 2h*1 + V 2h*0.3 = 23.40
        ("TOU day, hourly readings", [TOU_DAY], hourly(DAY, 24, 1000), 2340),
        ("TOU day, one reading split by band", [TOU_DAY], [(DAY, 0), (DAY + timedelta(days=1), 24_000)], 2340),
        # 150 kWh at 0.50 = 75; then 300 kWh: 50*0.50 + 200*0.55 + 50*0.80 = 175; month 250.00
        ("tiered month crossing two tiers", [TIERED_MONTH],
         [(DAY, 0), (DAY + timedelta(days=3), 150_000), (DAY + timedelta(days=9), 450_000)], 25000),
        # Capacity: 400 kVA * 28.00 = 11200 + 10 000 kWh * 0.60 = 6000 -> 17200.00
        ("two-part on capacity", [{"pricing": "single", "price": "0.60",
                                   "basic_charge": {"basis": "capacity", "rate_yuan": "28", "capacity_kva": 400}}],
         [(DAY, 0), (DAY + timedelta(days=5), 4_000_000), (DAY + timedelta(days=15), 10_000_000)], 1_720_000),
        # Demand: hours of 100 kWh and one of 300 kWh -> 300 kW * 40.00 = 12000 + 500 kWh * 0.60 = 300
        ("two-part on maximum demand", [{"pricing": "single", "price": "0.60",
                                         "basic_charge": {"basis": "demand", "rate_yuan": "40"}}],
         [(DAY, 0), (DAY + timedelta(hours=1), 100_000), (DAY + timedelta(hours=2), 400_000),
          (DAY + timedelta(hours=3), 500_000)], 1_230_000),
        # Water, litres: 8 m3 at 3.00 then 5 m3: 2*3.00 + 3*4.50 -> 24 + 19.5 = 43.50
        ("water tiered per m3", [{"commodity": "water", "pricing": "tiered",
                                  "tiers": [{"up_to": "10", "price": "3.00"}, {"up_to": None, "price": "4.50"}]}],
         [(DAY, 0), (DAY + timedelta(days=10), 8_000), (DAY + timedelta(days=20), 13_000)], 4350),
        ("water single per m3", [{"commodity": "water", "pricing": "single", "price": "3.65"}],
         [(DAY, 0), (DAY + timedelta(days=10), 12_345)], 4506),  # 12.345 m3 * 3.65 = 45.059 -> 45.06
    ])
    def test_a_period_bills_what_was_worked_out_by_hand(self, name, plans, readings, expected_fen):
        assert total_fen(run([version(p, f"v{i}") for i, p in enumerate(plans)], readings)) == expected_fen

    def test_band_registers_are_priced_per_band(self):
        # The meter says: 1 kWh sharp, 2 peak, 3 flat, 4 valley, 5 deep valley = 2+3.4+3+1.2+0.5 = 10.10
        readings = [(DAY, 0), (DAY + timedelta(hours=1), 15_000)]
        bands = [(0, 0, 0, 0, 0), (1000, 2000, 3000, 4000, 5000)]
        [charge] = run([version(TOU_DAY)], readings, bands)
        assert charge.amount_fen == 1010
        assert {p.band: p.units for p in charge.pieces} == {Band.SHARP: 1000, Band.PEAK: 2000, Band.FLAT: 3000,
                                                            Band.VALLEY: 4000, Band.DEEP_VALLEY: 5000}

    def test_a_price_change_at_midnight_on_the_first_prices_each_side_by_its_version(self):
        change = datetime(2026, 12, 1, tzinfo=CHINA)
        versions = [version({"price": "1.00"}, "nov"), version({"price": "1.20"}, "dec", change)]
        readings = [(change - timedelta(hours=1), 0), (change + timedelta(hours=1), 2000)]
        [charge] = run(versions, readings)
        assert charge.amount_fen == 220  # 1 kWh at 1.00 + 1 kWh at 1.20
        assert [(p.version_id, p.units) for p in charge.pieces] == [("nov", 1000), ("dec", 1000)]
        assert charge.version_id == "dec"

    def test_a_later_price_change_never_reprices_earlier_energy(self):
        change = DAY + timedelta(days=5)
        versions = [version({"price": "1.00"}, "a"), version({"price": "9.00"}, "b", change)]
        outcomes = run(versions, [(DAY, 0), (DAY + timedelta(days=1), 10_000), (change + timedelta(hours=1), 10_000)])
        assert [o.amount_fen for o in outcomes] == [1000, 0]

    def test_tiers_by_year_carry_over_months(self):
        plan = dict(TIERED_MONTH, tier_period="year")
        readings = [(datetime(2026, 10, 5, tzinfo=CHINA), 0), (datetime(2026, 10, 25, tzinfo=CHINA), 150_000),
                    (datetime(2026, 11, 20, tzinfo=CHINA), 250_000)]
        outcomes = run([version(plan)], readings)
        assert [o.amount_fen for o in outcomes] == [7500, 5250]  # 50*0.50 + 50*0.55 in November
        assert outcomes[1].period_cost_fen == 5250  # a new billing period, not a new tier year


class TestAwkwardReadings:
    def test_a_duplicate_or_older_reading_is_a_no_op(self):
        outcomes = run([version({"price": "1"})], [(DAY, 0), (DAY + timedelta(hours=2), 2000),
                                                   (DAY + timedelta(hours=2), 2000), (DAY + timedelta(hours=1), 1000)])
        assert isinstance(outcomes[1], Ignored) and isinstance(outcomes[2], Ignored)

    def test_a_negative_delta_is_quarantined_not_billed(self):
        outcomes = run([version({"price": "1"})], [(DAY, 5000), (DAY + timedelta(hours=1), 4000),
                                                   (DAY + timedelta(hours=2), 6000)])
        assert isinstance(outcomes[0], Quarantined) and "negative" in outcomes[0].reason
        assert outcomes[1].amount_fen == 100  # still measured against the last rated reading (5000)

    def test_an_impossible_jump_is_quarantined(self):
        outcomes = run([version({"price": "1"})], [(DAY, 0), (DAY + timedelta(hours=1), 500_000)], max_w=100_000)
        assert isinstance(outcomes[0], Quarantined) and "rating" in outcomes[0].reason

    def test_a_register_rollover_bills_the_wrapped_delta(self):
        state = first_reading(Reading("M1", DAY, 99_999_000))
        _, charge = rate(state, Reading("M1", DAY + timedelta(hours=1), 1_000), [version({"price": "1"})],
                         MAX_W, register_max=100_000_000)
        assert isinstance(charge, Charge) and charge.rollover and charge.units == 2000 and charge.amount_fen == 200

    def test_a_meter_swap_back_to_zero_is_quarantined(self):
        state = first_reading(Reading("M1", DAY, 5_000_000))
        _, outcome = rate(state, Reading("M1", DAY + timedelta(hours=1), 10), [version({"price": "1"})],
                          MAX_W, register_max=100_000_000)
        assert isinstance(outcome, Quarantined)


class TestPlanValidation:
    @pytest.mark.parametrize("bad", [
        {"pricing": "single", "price": "-1"},
        {"pricing": "single", "price": "abc"},
        {"pricing": "single", "price": "0.1234567"},
        {"pricing": "tiered", "tiers": [{"up_to": "100", "price": "1"}]},
        {"pricing": "tiered", "tiers": [{"up_to": "100", "price": "1"}, {"up_to": "50", "price": "2"},
                                        {"up_to": None, "price": "3"}]},
        {"pricing": "tou", "flat_price": "1", "segments": [["01:00", "flat"]]},
        {"pricing": "tou", "band_prices": {"flat": "1"}, "segments": [["00:00", "peak"]]},
        {"pricing": "tou", "flat_price": "1", "seasons": [{"months": [1, 2], "segments": [["00:00", "flat"]]}]},
        {"pricing": "single", "price": "1", "basic_charge": {"basis": "capacity", "rate_yuan": "28"}},
        {"commodity": "gas", "price": "1"},
    ])
    def test_a_plan_that_cannot_be_priced_is_refused(self, bad):
        with pytest.raises(InvalidPlan):
            plan_from_dict(bad)

    @pytest.mark.parametrize("bad", [
        {"pricing": "tou", "flat_price": "1", "seasons": [{"months": ["x"], "segments": [["00:00", "flat"]]}]},
        {"pricing": "tou", "flat_price": "1", "seasons": [[1, 2]]},
        {"pricing": "tou", "flat_price": "1", "segments": [["00:00", "flat"]], "holidays": ["soon"]},
        {"pricing": "tou", "flat_price": "1", "segments": [["00:00", "flat"]], "holidays": 2026},
        {"pricing": "tou", "band_prices": ["flat", "1"], "segments": [["00:00", "flat"]]},
        {"pricing": "tou", "flat_price": "1", "segments": [["00:00", "flat"]], "statutory_holiday_years": [None]},
        {"pricing": "tiered", "tiers": ["100", "200"]},
        {"pricing": "tiered", "tiers": 100},
        {"pricing": "single", "price": "1", "basic_charge": {"basis": "capacity", "rate_yuan": "28",
                                                             "capacity_kva": "big"}},
        {"pricing": "single", "price": "1", "basic_charge": "capacity"},
    ])
    def test_a_definition_of_the_wrong_shape_is_an_invalid_plan_not_a_bug(self, bad):
        with pytest.raises(InvalidPlan):
            plan_from_dict(bad)

    @pytest.mark.parametrize("good", [TOU_DAY, TIERED_MONTH, {"pricing": "single", "price": "0.58",
                                      "basic_charge": {"basis": "capacity", "rate_yuan": "28", "capacity_kva": 400}}])
    def test_a_plan_survives_its_stored_form(self, good):
        plan = plan_from_dict(good)
        assert plan_from_dict(plan_to_dict(plan)) == plan

    def test_seasons_and_holidays_choose_the_day_segments(self):
        plan = plan_from_dict({"pricing": "tou", "flat_price": "1", "holidays": ["2026-10-01"],
                               "holiday_segments": [["00:00", "valley"]],
                               "seasons": [{"months": [7, 8], "segments": [["00:00", "flat"], ["12:00", "sharp"]]},
                                           {"months": [1, 2, 3, 4, 5, 6, 9, 10, 11, 12],
                                            "segments": [["00:00", "flat"], ["12:00", "peak"]]}]})
        assert plan.calendar.band_at(datetime(2026, 7, 1, 13, tzinfo=CHINA)) is Band.SHARP
        assert plan.calendar.band_at(datetime(2026, 9, 1, 13, tzinfo=CHINA)) is Band.PEAK
        assert plan.calendar.band_at(datetime(2026, 10, 1, 13, tzinfo=CHINA)) is Band.VALLEY


def test_statutory_holidays_come_from_the_published_calendar():
    plan = plan_from_dict({"pricing": "tou", "flat_price": "1", "statutory_holiday_years": [2026],
                           "holiday_segments": [["00:00", "valley"]], "segments": [["00:00", "peak"]]})
    assert plan.calendar.band_at(datetime(2026, 10, 1, 12, tzinfo=CHINA)) is Band.VALLEY   # National Day
    assert plan.calendar.band_at(datetime(2026, 10, 12, 12, tzinfo=CHINA)) is Band.PEAK
    with pytest.raises(InvalidPlan):
        plan_from_dict({"pricing": "tou", "flat_price": "1", "statutory_holiday_years": [1900],
                        "segments": [["00:00", "peak"]]})


# ---- property: a period's charges add up to its rounded bill, to the fen ----

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5"), places=4)
plans = st.one_of(
    prices.map(lambda p: {"pricing": "single", "price": str(p)}),
    prices.map(lambda p: dict(TOU_DAY, flat_price=str(p))),
    st.tuples(prices, prices, st.integers(1, 500)).map(lambda t: {
        "pricing": "tiered", "tiers": [{"up_to": str(t[2]), "price": str(t[0])}, {"up_to": None, "price": str(t[1])}]}),
    st.tuples(prices, prices).map(lambda t: {"pricing": "single", "price": str(t[0]),
                                             "basic_charge": {"basis": "demand", "rate_yuan": str(t[1])}}),
)
steps = st.lists(st.tuples(st.integers(1, 6 * 3600), st.integers(0, 30_000)), min_size=1, max_size=40)


def half_up_fen(yuan: Decimal) -> int:
    return int((yuan * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@settings(max_examples=150, deadline=None)
@given(plan_a=plans, plan_b=plans, change_after_s=st.integers(0, 20 * 86400), steps=steps,
       start_offset_s=st.integers(0, 40 * 86400))
def test_charges_of_a_period_add_up_to_its_rounded_bill(plan_a, plan_b, change_after_s, steps, start_offset_s):
    start = datetime(2026, 10, 1, tzinfo=CHINA) + timedelta(seconds=start_offset_s)
    versions = [version(plan_a, "a"), version(plan_b, "b", start + timedelta(seconds=change_after_s))]
    readings, at, total = [(start, 0)], start, 0
    for seconds, units in steps:
        at, total = at + timedelta(seconds=seconds), total + units
        readings.append((at, total))
    charges = [o for o in run(versions, readings, max_w=10**9) if isinstance(o, Charge)]
    assert len(charges) == len(steps)
    by_period: dict[str, list[Charge]] = {}
    for c in charges:
        by_period.setdefault(c.period, []).append(c)
    for period_charges in by_period.values():
        exact_bill = sum((c.cost_yuan for c in period_charges), Decimal(0))
        charged = sum(c.amount_fen for c in period_charges)
        assert charged == half_up_fen(exact_bill) == period_charges[-1].period_cost_fen
        assert all(c.amount_fen >= 0 for c in period_charges)
    assert sum(c.units for c in charges) == total  # every unit priced once, none invented


@given(weights=st.lists(st.integers(0, 10**9), min_size=1, max_size=20), total=st.integers(0, 10**7))
def test_sharing_units_over_pieces_is_exact(weights, total):
    shares = share(weights, total)
    assert sum(shares) == total and all(s >= 0 for s in shares)


def test_single_price_plan_helper_is_a_single_price():
    assert single_price_plan(Decimal("1.2"), Commodity.WATER).price == Decimal("1.2")
