"""Online/offline (失联) of meters and gateways, as transitions; no I/O."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PollState:
    online: bool
    missed_polls: int


@dataclass(frozen=True)
class PollVerdict:
    state: PollState
    changed: bool  # publish a device.status event


def after_answer(state: PollState) -> PollVerdict:
    """The meter answered: missed polls reset; an offline meter is back online."""
    return PollVerdict(PollState(True, 0), changed=not state.online)


def after_missed_poll(state: PollState, offline_after: int) -> PollVerdict:
    """The meter did not answer (or answered garbage): offline after K misses in a row, announced once."""
    missed = state.missed_polls + 1
    online = state.online and missed < offline_after
    return PollVerdict(PollState(online, missed), changed=state.online and not online)


def gateway_transition(was_online: bool, link_up: bool) -> bool:
    """A gateway's status changes when its link comes or goes."""
    return was_online != link_up
