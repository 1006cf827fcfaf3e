"""What tariff publishes: a rated charge (usage.charges.v1) and a quarantined reading (tariff.anomalies.v1).

The events are the domain results themselves, `Charge` and `Quarantined` (domain/rating.py):
they are exactly what happened, and a wrapper per reading would cost the rating hot path
for nothing. entrypoints/events.py maps each to its protobuf.
"""

from __future__ import annotations

from services.tariff.domain.rating import Charge, Quarantined

TariffEvent = Charge | Quarantined
