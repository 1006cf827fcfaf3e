"""Cumulative counters made monotonic: rollover and meter replacement, decided without I/O.

A meter's register is a counter of fixed width; it rolls over to 0 (2^32 Wh in our
Modbus map, 999999.99 kWh in DL/T 645, 999999.99 m3 in CJ/T 188). Downstream takes
deltas, so acquisition publishes *normalised* counters = raw + offset, which never go
backwards:
- raw fell by more than half the counter's range: a rollover, the offset grows by the range;
- raw fell by less: the register was reset or the meter was swapped for a new one; the
  offset absorbs the drop so the normalised value carries on from where it was (the
  interval containing the swap bills nothing; operators see the event and may add it by hand).
"""

from __future__ import annotations

from dataclasses import dataclass, field

ROLLOVER = "rollover"
RESET = "register reset (meter replaced?)"


@dataclass(frozen=True)
class CounterState:
    last_raw: dict[str, int] = field(default_factory=dict)
    offsets: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Normalised:
    values: dict[str, int]
    state: CounterState
    events: list[tuple[str, str]]  # (counter, ROLLOVER | RESET)


def normalise(raw: dict[str, int], state: CounterState, modulus: int) -> Normalised:
    """Normalised counters for a new raw sample taken after every sample `state` has seen."""
    offsets, events = dict(state.offsets), []
    for name, value in raw.items():
        previous = state.last_raw.get(name)
        if previous is None or value >= previous:
            continue
        drop = previous - value
        if drop > modulus // 2:
            offsets[name] = offsets.get(name, 0) + modulus
            events.append((name, ROLLOVER))
        else:
            offsets[name] = offsets.get(name, 0) + drop
            events.append((name, RESET))
    values = {name: value + offsets.get(name, 0) for name, value in raw.items()}
    return Normalised(values, CounterState(dict(raw), offsets), events)


def normalise_earlier(raw: dict[str, int], state: CounterState) -> dict[str, int]:
    """A sample older than the last one seen (a late replay): current offsets, state unchanged."""
    return {name: value + state.offsets.get(name, 0) for name, value in raw.items()}
