"""Read-model projections: a batch of facts from one topic -> one transaction on the console's read models.

Every use case is idempotent and order-safe (a redelivered or older fact changes nothing) and skips,
counting them, facts about meters and accounts console has not placed in its tree yet.
"""

from __future__ import annotations

from services.console.domain.live import (
    ChargeSeen,
    CommandOutcomeSeen,
    GatewayStatusSeen,
    MeterStatusSeen,
    Projected,
    ReadingSeen,
    WalletEventSeen,
    account_changes,
    day_charges,
    day_readings,
    latest_outcomes,
    latest_per_gateway,
    latest_per_meter_status,
    latest_readings,
)
from services.console.unit_of_work import ConsoleUnitOfWork

# The mode a confirmed command leaves a meter in (None: the command does not change the mode).
MODE_AFTER = {"power_guarantee_on": "guarantee", "power_guarantee_off": "prepaid"}


async def project_device_statuses(uow: ConsoleUnitOfWork, meters_seen: list[MeterStatusSeen],
                                  gateways_seen: list[GatewayStatusSeen]) -> Projected:
    """设备在线状态: meters' online flag and relay, gateways' online flag (a gateway lies in its meters' property)."""
    async with uow:
        by_meters = await uow.live.project_meter_statuses(latest_per_meter_status(meters_seen))
        by_gateways = await uow.live.project_gateway_statuses(latest_per_gateway(gateways_seen))
        await uow.commit()
    return _sum(by_meters, by_gateways)


async def project_readings(uow: ConsoleUnitOfWork, seen: list[ReadingSeen]) -> Projected:
    """抄表数据: each meter's newest registers and instantaneous values, and its energy per China day."""
    async with uow:
        latest = await uow.live.project_readings(latest_readings(seen))
        await uow.live.project_day_readings(day_readings(seen))
        await uow.commit()
    return latest


async def project_charges(uow: ConsoleUnitOfWork, seen: list[ChargeSeen]) -> Projected:
    """计费: money per meter and China day (a charge counts on the day its interval ends, once)."""
    async with uow:
        projected = await uow.live.project_day_charges(day_charges(seen))
        await uow.commit()
    return projected


async def project_wallet_events(uow: ConsoleUnitOfWork, seen: list[WalletEventSeen]) -> Projected:
    """余额/报警/欠费: each account's newest balance, alarm level and arrears flag."""
    async with uow:
        projected = await uow.live.project_account_changes(account_changes(seen))
        await uow.commit()
    return projected


async def project_command_outcomes(uow: ConsoleUnitOfWork, seen: list[CommandOutcomeSeen]) -> Projected:
    """控制结果: the commands read model, and what a confirmed command says about its meter."""
    latest = latest_outcomes(seen)
    async with uow:
        projected = await uow.live.project_command_outcomes(latest)
        await uow.live.apply_command_effects(command_effects(latest))
        await uow.commit()
    return projected


def command_effects(outcomes: list[CommandOutcomeSeen]) -> list[tuple]:
    """Per meter, from its confirmed commands in completion order: the mode left and the relay read back."""
    effects: dict[str, tuple] = {}
    for o in sorted((o for o in outcomes if o.status == "confirmed"), key=lambda o: o.completed_at):
        mode = MODE_AFTER.get(o.action)
        before = effects.get(o.meter_id)
        kept_mode = mode if mode is not None else (before[1] if before else None)
        relay = (o.relay_state, o.completed_at) if o.relay_state != "unknown" or not before else before[2:]
        effects[o.meter_id] = (o.meter_id, kept_mode, *relay)
    return list(effects.values())


def _sum(*parts: Projected) -> Projected:
    return Projected(sum(p.applied for p in parts), sum(p.unknown for p in parts), sum(p.stale for p in parts))
