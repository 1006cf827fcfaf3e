"""The tariff's one event mapper: a domain event -> Outgoing(topic, key, protobuf).

The unit of work serialises every event a use case publishes through `to_outgoing`;
the messages are the ones tariff has always sent (same fields, keyed by meter id).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.contracts.meterpay.v1 import charges_pb2
from services.kit import messaging
from services.kit.db import Outgoing
from services.kit.messaging import timestamp as _ts
from services.tariff.domain.events import TariffEvent
from services.tariff.domain.rating import Charge, Quarantined

TARIFF_ANOMALIES = "tariff.anomalies.v1"


def usage_charge(c: Charge) -> Outgoing:
    return Outgoing(messaging.USAGE_CHARGES, c.meter_id, charges_pb2.UsageCharge(
        charge_id=c.charge_id, meter_id=c.meter_id, period=c.period, from_time=_ts(c.from_time),
        to_time=_ts(c.to_time), energy_wh=c.units, amount_fen=c.amount_fen, period_cost_fen=c.period_cost_fen,
        price_yuan_per_kwh=str(c.average_price), tariff_version_id=c.version_id, commodity=c.commodity.value))


def rating_anomaly(q: Quarantined) -> Outgoing:
    return Outgoing(TARIFF_ANOMALIES, q.meter_id, charges_pb2.RatingAnomaly(
        meter_id=q.meter_id, read_at=_ts(q.read_at), total_wh=q.total, last_total_wh=q.last_total, reason=q.reason))


_BY_TYPE: dict[type, Callable[[Any], Outgoing]] = {Charge: usage_charge, Quarantined: rating_anomaly}


def to_outgoing(event: TariffEvent) -> Outgoing:
    """Dispatch on the event's type (a dict lookup: one charge per reading passes through here)."""
    mapper = _BY_TYPE.get(type(event))
    if mapper is None:
        raise TypeError(f"tariff publishes no {type(event).__name__}")
    return mapper(event)
