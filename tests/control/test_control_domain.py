"""Control's pure rules: desired supply, protection windows, retries, operations."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.control.calendar import official_day_kind
from services.control.domain.lifecycle import RetryPolicy, Status, after_failure
from services.control.domain.operations import InvalidOperation, Operation, Settings, check_request, plan_operation
from services.control.domain.policy import (
    Action,
    Kind,
    MeterState,
    Mode,
    Supply,
    cut_deferred,
    desired_supply,
    next_action,
    refused_by_guarantee,
)
from services.control.domain.windows import DayKind, InvalidWindow, ProtectionWindow, cut_allowed, window_end

SHANGHAI = ZoneInfo("Asia/Shanghai")
NIGHT = ProtectionWindow("p", time(22), time(7))


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def workdays(day: date) -> DayKind:
    return DayKind.WORKDAY


class TestDesiredSupply:
    def test_power_guarantee_keeps_supply_on_in_arrears_and_overload(self):
        meter = MeterState(Mode.POWER_GUARANTEE, in_arrears=True, overload_tripped=True, known=Supply.ON)
        assert desired_supply(meter) is Supply.ON
        assert next_action(meter, cut_allowed=True, supply_command_pending=False) is None

    def test_arrears_cuts_and_recovery_closes(self):
        in_arrears = MeterState(Mode.PREPAID, True, False, Supply.ON)
        assert next_action(in_arrears, True, False) is Action.TRIP
        recovered = MeterState(Mode.PREPAID, False, False, Supply.OFF)
        assert next_action(recovered, True, False) is Action.CLOSE

    def test_water_meters_get_valve_commands(self):
        meter = MeterState(Mode.PREPAID, True, False, Supply.ON, Kind.WATER)
        assert next_action(meter, True, False) is Action.VALVE_CLOSE

    def test_a_window_defers_the_cut_but_does_not_restore_a_meter_already_off(self):
        on = MeterState(Mode.PREPAID, True, False, Supply.ON)
        assert next_action(on, cut_allowed=False, supply_command_pending=False) is None
        assert cut_deferred(on, cut_allowed=False)
        off = MeterState(Mode.PREPAID, True, False, Supply.OFF)
        assert desired_supply(off, cut_allowed=False) is Supply.OFF
        assert not cut_deferred(off, cut_allowed=False)

    def test_forced_off_ignores_windows_and_balance(self):
        meter = MeterState(Mode.FORCED_OFF, False, False, Supply.ON)
        assert next_action(meter, cut_allowed=False, supply_command_pending=False) is Action.TRIP

    def test_a_meter_never_heard_of_gets_a_cut_but_no_close(self):
        assert next_action(MeterState(Mode.PREPAID, True, False, Supply.UNKNOWN), True, False) is Action.TRIP
        assert next_action(MeterState(Mode.PREPAID, False, False, Supply.UNKNOWN), True, False) is None

    def test_one_supply_command_at_a_time(self):
        meter = MeterState(Mode.PREPAID, True, False, Supply.ON)
        assert next_action(meter, True, supply_command_pending=True) is None

    def test_no_cut_ever_leaves_for_a_meter_in_guarantee(self):
        assert refused_by_guarantee(Action.TRIP, Mode.POWER_GUARANTEE)
        assert refused_by_guarantee(Action.VALVE_CLOSE, Mode.POWER_GUARANTEE)
        assert not refused_by_guarantee(Action.CLOSE, Mode.POWER_GUARANTEE)
        assert not refused_by_guarantee(Action.TRIP, Mode.FORCED_OFF)


class TestProtectionWindow:
    def test_night_window_wrapping_midnight(self):
        assert not cut_allowed(NIGHT, local(2026, 11, 23, 23, 0), workdays)
        assert not cut_allowed(NIGHT, local(2026, 11, 24, 6, 59), workdays)
        assert cut_allowed(NIGHT, local(2026, 11, 24, 7, 0), workdays)
        assert cut_allowed(NIGHT, local(2026, 11, 23, 21, 59), workdays)

    def test_an_arrears_at_23_00_is_cut_at_07_00(self):
        at = local(2026, 11, 23, 23, 0).astimezone(UTC)
        assert window_end(NIGHT, at, workdays) == local(2026, 11, 24, 7, 0)

    def test_weekend_and_night_together_end_on_monday_morning(self):
        window = ProtectionWindow("p", time(22), time(7), weekends=True)
        friday_night = local(2026, 11, 20, 23, 30)  # Friday
        assert window_end(window, friday_night, official_day_kind) == local(2026, 11, 23, 7, 0)

    def test_national_day_holidays_end_with_the_golden_week(self):
        window = ProtectionWindow("p", holidays=True)
        end = window_end(window, local(2026, 10, 1, 12, 0), official_day_kind)
        assert end.date() > date(2026, 10, 3)
        assert official_day_kind(end.date()) is not DayKind.HOLIDAY
        assert cut_allowed(window, end, official_day_kind)
        assert not cut_allowed(window, end - timedelta(seconds=1), official_day_kind)

    def test_an_official_makeup_workday_is_not_a_weekend(self):
        # 2026-10-10 is a Saturday the State Council made a workday (调休) after National Day.
        day = date(2026, 10, 10)
        assert day.weekday() == 5
        assert official_day_kind(day) is DayKind.WORKDAY

    def test_years_outside_the_calendar_fall_back_to_weekends(self):
        assert official_day_kind(date(2031, 1, 4)) is DayKind.WEEKEND  # a Saturday
        assert official_day_kind(date(2031, 1, 6)) is DayKind.WORKDAY

    def test_half_a_night_window_is_refused(self):
        with pytest.raises(InvalidWindow):
            ProtectionWindow("p", night_start=time(22))


class TestRetries:
    def test_backoff_doubles_and_is_capped(self):
        policy = RetryPolicy(max_attempts=5, backoff_base_s=2, backoff_max_s=5)
        assert [policy.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [2, 4, 5, 5]

    def test_gives_up_after_the_last_attempt(self):
        now = datetime(2026, 11, 23, tzinfo=UTC)
        policy = RetryPolicy(max_attempts=2, backoff_base_s=3)
        assert after_failure(policy, 1, 2, now).next_attempt_at == now + timedelta(seconds=3)
        assert after_failure(policy, 2, 2, now).status is Status.FAILED


class TestOperations:
    def test_forced_off_from_guarantee_clears_the_device_flag_first(self):
        plan = plan_operation(Operation.FORCED_OFF, Mode.POWER_GUARANTEE, Kind.ELECTRICITY)
        assert plan.new_mode is Mode.FORCED_OFF
        assert plan.before == (Action.POWER_GUARANTEE_OFF,) and plan.item is Action.TRIP

    def test_restore_prepaid_clears_guarantee_and_overload(self):
        plan = plan_operation(Operation.RESTORE_PREPAID, Mode.FORCED_OFF, Kind.WATER)
        assert plan.new_mode is Mode.PREPAID and plan.clears_overload

    @pytest.mark.parametrize("price", ["", "abc", "-1", "0", "1000", "NaN"])
    def test_a_bad_price_push_is_refused(self, price):
        with pytest.raises(InvalidOperation):
            check_request(Operation.PRICE_PUSH, Settings(price_yuan=price))

    def test_an_empty_threshold_push_and_an_unknown_operation_are_refused(self):
        with pytest.raises(InvalidOperation):
            check_request(Operation.THRESHOLD_PUSH, Settings())
        with pytest.raises(InvalidOperation):
            check_request(99, Settings())
        assert check_request(Operation.PRICE_PUSH, Settings(price_yuan="1.2500")) is Operation.PRICE_PUSH
