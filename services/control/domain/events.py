"""What control publishes: commands to the field, and the final outcome of each command.

The one mapper in entrypoints/events.py turns these into the wire messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.control.domain.lifecycle import MAX_DETAIL_CHARS, Command, Status
from services.control.domain.operations import Settings
from services.control.domain.policy import Action, Supply


@dataclass(frozen=True)
class CommandIssued:
    """One attempt of a command leaves for the meter (control.commands.v1); (command_id, attempt) is
    the idempotency key acquisition keeps."""

    command_id: str
    meter_id: str
    action: Action
    attempt: int
    issued_at: datetime
    requested_by: str
    reason: str
    settings: Settings | None      # price and threshold pushes only

    @classmethod
    def attempt_of(cls, command: Command, attempt: int, now: datetime) -> CommandIssued:
        return cls(command.command_id, command.meter_id, command.action, attempt, now, command.requested_by,
                   command.reason, command.settings)


@dataclass(frozen=True)
class CommandFinished:
    """A command reached a final status (control.events.v1, for notify and the console)."""

    command_id: str
    meter_id: str
    action: Action
    status: Status                 # confirmed / failed (given up) / cancelled
    attempt: int
    relay_state: Supply
    detail: str
    completed_at: datetime
    requested_by: str
    reason: str

    @classmethod
    def of(cls, command: Command, status: Status, detail: str, relay_state: Supply,
           now: datetime) -> CommandFinished:
        return cls(command.command_id, command.meter_id, command.action, status, command.attempt, relay_state,
                   detail[:MAX_DETAIL_CHARS], now, command.requested_by, command.reason)
