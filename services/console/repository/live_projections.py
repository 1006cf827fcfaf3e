"""Projection statements: one batch of facts -> one statement per read model (arrays expanded with unnest).

Each statement updates only what is newer than what it holds (the order guard), skips what belongs
to meters / accounts / gateways console has not placed yet, and reports (applied, unknown).
Meters and accounts rows are created by the placements (repository/tree.py); projections only fill
their live columns. meter_days and gateways rows are created here.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.console.domain.live import (
    AccountStateChange,
    CommandOutcomeSeen,
    GatewayStatusSeen,
    MeterDayCharges,
    MeterDayReadings,
    MeterStatusSeen,
    Projected,
    ReadingSeen,
)
from services.kit import bulk

_COUNTS = """SELECT (SELECT count(*) FROM changed) AS applied,
    (SELECT count(*) FROM v WHERE NOT EXISTS (SELECT 1 FROM {table} k WHERE k.{key} = v.{vkey})) AS unknown"""

_METER_STATUS = """
WITH v AS (SELECT * FROM unnest($1::text[], $2::bool[], $3::text[], $4::timestamptz[]) AS v(id, online, relay, at)),
changed AS (
    UPDATE meters m SET online = v.online, status_changed_at = v.at, updated_at = now(),
        relay_state = CASE WHEN v.relay = 'unknown' THEN m.relay_state ELSE v.relay END
    FROM v WHERE m.meter_id = v.id AND (m.status_changed_at IS NULL OR m.status_changed_at <= v.at)
    RETURNING m.meter_id)
""" + _COUNTS.format(table="meters", key="meter_id", vkey="id")

# A gateway lies in the property of the meters that name it (the first such property, by id).
_GATEWAY_STATUS = """
WITH v AS (SELECT * FROM unnest($1::text[], $2::bool[], $3::timestamptz[]) AS v(id, online, at)),
placed AS (
    SELECT DISTINCT ON (v.id) v.id, v.online, v.at, m.property_id, p.path
    FROM v JOIN meters m ON m.gateway_id = v.id JOIN nodes p ON p.node_id = m.property_id
    ORDER BY v.id, m.property_id),
changed AS (
    INSERT INTO gateways (gateway_id, property_id, path, online, changed_at)
    SELECT id, property_id, path, online, at FROM placed
    ON CONFLICT (gateway_id) DO UPDATE SET online = EXCLUDED.online, changed_at = EXCLUDED.changed_at,
        property_id = EXCLUDED.property_id, path = EXCLUDED.path
    WHERE gateways.changed_at IS NULL OR gateways.changed_at <= EXCLUDED.changed_at
    RETURNING gateway_id)
SELECT (SELECT count(*) FROM changed) AS applied, (SELECT count(*) FROM v) - (SELECT count(*) FROM placed) AS unknown
"""

# The newest reading per meter; its relay state only if no newer status said otherwise.
_READINGS = """
WITH v AS (SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::bool[], $4::int8[], $5::int8[], $6::text[],
        $7::int4[], $8::int4[], $9::int4[], $10::int4[], $11::text[])
    AS v(id, at, water, total, vol, bands, volt, curr, power, pf, relay)),
changed AS (
    UPDATE meters m SET last_read_at = v.at, updated_at = now(),
        total_wh = CASE WHEN v.water THEN m.total_wh ELSE v.total END,
        volume_l = CASE WHEN v.water THEN v.vol ELSE m.volume_l END,
        bands_wh = CASE WHEN v.water THEN m.bands_wh ELSE v.bands::bigint[] END,
        voltage_dv = v.volt, current_ca = v.curr, power_w = v.power, power_factor_milli = v.pf,
        relay_state = CASE WHEN v.relay <> 'unknown' AND (m.status_changed_at IS NULL OR m.status_changed_at <= v.at)
                           THEN v.relay ELSE m.relay_state END
    FROM v WHERE m.meter_id = v.id AND (m.last_read_at IS NULL OR m.last_read_at < v.at)
    RETURNING m.meter_id)
""" + _COUNTS.format(table="meters", key="meter_id", vkey="id")

# A new day starts from the register the meter ended its last earlier day with (the interval that spans
# midnight counts on the day it ends, as its charge does); registers only grow, hence LEAST / GREATEST.
_DAY_READINGS = """
WITH v AS (SELECT * FROM unnest($1::text[], $2::date[], $3::int8[], $4::int8[]) AS v(id, day, low, high)),
changed AS (
    INSERT INTO meter_days AS d (meter_id, day, property_id, path, first_wh, last_wh, energy_wh)
    SELECT v.id, v.day, m.property_id, m.path, f.first_wh, v.high, v.high - f.first_wh
    FROM v JOIN meters m ON m.meter_id = v.id
    CROSS JOIN LATERAL (SELECT LEAST(v.low, (SELECT p.last_wh FROM meter_days p WHERE p.meter_id = v.id
        AND p.day < v.day AND p.last_wh IS NOT NULL ORDER BY p.day DESC LIMIT 1)) AS first_wh) f
    ON CONFLICT (meter_id, day) DO UPDATE SET
        first_wh = LEAST(d.first_wh, EXCLUDED.first_wh),
        last_wh = GREATEST(d.last_wh, EXCLUDED.last_wh),
        energy_wh = GREATEST(d.last_wh, EXCLUDED.last_wh) - LEAST(d.first_wh, EXCLUDED.first_wh)
    RETURNING d.meter_id)
""" + _COUNTS.format(table="meters", key="meter_id", vkey="id")

# A day written late (a backfill) is the baseline of the meter's next day already held.
_NEXT_DAY_BASELINE = """
UPDATE meter_days n SET first_wh = v.high, energy_wh = n.last_wh - v.high
FROM unnest($1::text[], $2::date[], $3::int8[]) AS v(id, day, high)
WHERE n.meter_id = v.id
  AND n.day = (SELECT min(x.day) FROM meter_days x WHERE x.meter_id = v.id AND x.day > v.day)
  AND n.first_wh < v.high AND v.high <= n.last_wh
"""

# Charges ending at or before what the meter-day has counted are redeliveries: skipped.
_DAY_CHARGES = """
WITH v AS (SELECT * FROM unnest($1::text[], $2::date[], $3::timestamptz[], $4::int8[]) AS v(id, day, to_time, amount)),
fresh AS (
    SELECT v.id, v.day, sum(v.amount) AS amount, max(v.to_time) AS to_time, count(*) AS charges
    FROM v LEFT JOIN meter_days d ON d.meter_id = v.id AND d.day = v.day
    WHERE d.last_charge_to IS NULL OR v.to_time > d.last_charge_to
    GROUP BY v.id, v.day),
changed AS (
    INSERT INTO meter_days AS d (meter_id, day, property_id, path, amount_fen, last_charge_to)
    SELECT f.id, f.day, m.property_id, m.path, f.amount, f.to_time FROM fresh f JOIN meters m ON m.meter_id = f.id
    ON CONFLICT (meter_id, day) DO UPDATE SET amount_fen = d.amount_fen + EXCLUDED.amount_fen,
        last_charge_to = GREATEST(d.last_charge_to, EXCLUDED.last_charge_to)
    RETURNING d.meter_id, d.day)
SELECT (SELECT coalesce(sum(f.charges), 0) FROM fresh f JOIN changed c ON c.meter_id = f.id AND c.day = f.day)
        AS applied,
    (SELECT count(*) FROM v WHERE NOT EXISTS (SELECT 1 FROM meters k WHERE k.meter_id = v.id)) AS unknown
"""

# Events older than the balance held are ignored; of the rest, each part only when it was stated.
_ACCOUNTS = """
WITH v AS (SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::int8[], $4::int4[], $5::timestamptz[],
        $6::bool[], $7::timestamptz[]) AS v(id, at, balance, alarm, alarm_at, arrears, arrears_at)),
changed AS (
    UPDATE accounts a SET balance_fen = v.balance, balance_at = v.at, updated_at = now(),
        alarm_level = CASE WHEN v.alarm_at >= coalesce(a.balance_at, '-infinity') THEN v.alarm
                           ELSE a.alarm_level END,
        in_arrears = CASE WHEN v.arrears_at >= coalesce(a.balance_at, '-infinity') THEN v.arrears
                          ELSE a.in_arrears END
    FROM v WHERE a.account_id = v.id AND v.at >= coalesce(a.balance_at, '-infinity')
    RETURNING a.account_id)
""" + _COUNTS.format(table="accounts", key="account_id", vkey="id")

_COMMANDS = """
WITH v AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
        $8::timestamptz[]) AS v(id, meter, action, status, detail, reason, requested_by, at)),
changed AS (
    INSERT INTO commands AS c (command_id, meter_id, property_id, path, action, status, requested_by, reason, detail,
        created_at, completed_at)
    SELECT v.id, v.meter, m.property_id, m.path, v.action, v.status, v.requested_by, v.reason, v.detail, v.at, v.at
    FROM v JOIN meters m ON m.meter_id = v.meter
    ON CONFLICT (command_id) DO UPDATE SET status = EXCLUDED.status, detail = EXCLUDED.detail,
        completed_at = EXCLUDED.completed_at, action = EXCLUDED.action,
        requested_by = CASE WHEN c.requested_by = '' THEN EXCLUDED.requested_by ELSE c.requested_by END,
        reason = CASE WHEN c.reason = '' THEN EXCLUDED.reason ELSE c.reason END
    WHERE c.completed_at IS NULL OR c.completed_at <= EXCLUDED.completed_at
    RETURNING c.command_id)
""" + _COUNTS.format(table="meters", key="meter_id", vkey="meter")

# What a confirmed command says about its meter: the relay as read back, and the mode a guarantee leaves.
_COMMAND_EFFECTS = """
UPDATE meters m SET updated_at = now(), control_mode = coalesce(v.mode, m.control_mode),
    relay_state = CASE WHEN v.relay <> 'unknown' AND (m.status_changed_at IS NULL OR m.status_changed_at <= v.at)
                       THEN v.relay ELSE m.relay_state END,
    status_changed_at = CASE WHEN v.relay <> 'unknown' AND (m.status_changed_at IS NULL OR m.status_changed_at <= v.at)
                             THEN v.at ELSE m.status_changed_at END
FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS v(id, mode, relay, at)
WHERE m.meter_id = v.id
"""


def _bands(bands: tuple[int, ...] | None) -> str | None:
    return None if bands is None else "{" + ",".join(str(b) for b in bands) + "}"


class ProjectionStatements:
    """The write side of LiveRepository."""

    session: AsyncSession

    async def _counted(self, sql: str, rows: list[tuple], width: int, total: int | None = None) -> Projected:
        if not rows:
            return Projected(0, 0)
        record = (await bulk.fetch(self.session, sql, *bulk.columns(rows, width)))[0]
        total = len(rows) if total is None else total
        applied, unknown = int(record["applied"]), int(record["unknown"])
        return Projected(applied, unknown, max(0, total - applied - unknown))

    async def project_meter_statuses(self, seen: list[MeterStatusSeen]) -> Projected:
        rows = [(s.meter_id, s.online, s.relay_state, s.changed_at) for s in seen]
        return await self._counted(_METER_STATUS, rows, 4)

    async def project_gateway_statuses(self, seen: list[GatewayStatusSeen]) -> Projected:
        rows = [(s.gateway_id, s.online, s.changed_at) for s in seen]
        return await self._counted(_GATEWAY_STATUS, rows, 3)

    async def project_readings(self, latest: list[ReadingSeen]) -> Projected:
        rows = [(r.meter_id, r.read_at, r.water, r.total_wh, r.volume_l, _bands(r.bands_wh), r.voltage_dv,
                 r.current_ca, r.power_w, r.power_factor_milli, r.relay_state) for r in latest]
        return await self._counted(_READINGS, rows, 11)

    async def project_day_readings(self, spans: list[MeterDayReadings]) -> Projected:
        rows = [(s.meter_id, s.day, s.min_wh, s.max_wh) for s in spans]
        projected = await self._counted(_DAY_READINGS, rows, 4)
        if rows:
            await bulk.execute(self.session, _NEXT_DAY_BASELINE,
                               *bulk.columns([(s.meter_id, s.day, s.max_wh) for s in spans], 3))
        return projected

    async def project_day_charges(self, days: list[MeterDayCharges]) -> Projected:
        rows = [(c.meter_id, d.day, c.to_time, c.amount_fen) for d in days for c in d.charges]
        return await self._counted(_DAY_CHARGES, rows, 4)

    async def project_account_changes(self, changes: list[AccountStateChange]) -> Projected:
        rows = [(c.account_id, c.occurred_at, c.balance_fen, c.alarm_level, c.alarm_at, c.in_arrears, c.arrears_at)
                for c in changes]
        return await self._counted(_ACCOUNTS, rows, 7)

    async def project_command_outcomes(self, outcomes: list[CommandOutcomeSeen]) -> Projected:
        rows = [(o.command_id, o.meter_id, o.action[:32], o.status[:16], o.detail[:500], o.reason[:200],
                 o.requested_by[:100], o.completed_at) for o in outcomes]
        return await self._counted(_COMMANDS, rows, 8)

    async def apply_command_effects(self, effects: list[tuple[str, str | None, str, object]]) -> None:
        """(meter_id, control mode or None to keep, relay state read back, completed_at) per meter."""
        if effects:
            await bulk.execute(self.session, _COMMAND_EFFECTS, *bulk.columns(effects, 4))

    async def set_control_mode(self, meter_ids: list[str], mode: str) -> None:
        """For the console's own control use cases: the mode an operator's request leaves (forced_off, ...)."""
        if meter_ids:
            await bulk.execute(self.session, "UPDATE meters SET control_mode = $2, updated_at = now() "
                               "WHERE meter_id = ANY($1::text[])", meter_ids, mode)
