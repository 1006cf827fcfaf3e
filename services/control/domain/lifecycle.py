"""The life of a command: queued -> sent -> confirmed, or failed -> retried with bounded backoff
-> given up (status "failed", listed with its batch and re-sendable by an operator).

A command whose result never arrives times out and counts as a failed attempt.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from services.control.domain.operations import Settings
from services.control.domain.policy import Action, Supply

MAX_COMMAND_ID_CHARS = 100     # what acquisition's field_commands table keeps
MAX_TEXT_CHARS = 200           # requested_by, reason
MAX_DETAIL_CHARS = 500         # what the device answered


class Status(StrEnum):
    QUEUED = "queued"          # waiting its turn (or its next attempt's time)
    SENT = "sent"              # on its way to the meter; one per meter at a time
    CONFIRMED = "confirmed"    # the device read back as asked
    FAILED = "failed"          # every allowed attempt failed: given up, listed, re-sendable
    CANCELLED = "cancelled"    # no longer wanted (an automatic command the balance overtook)


FINAL = frozenset({Status.CONFIRMED, Status.FAILED, Status.CANCELLED})


class Origin(StrEnum):
    AUTO = "auto"              # wallet events, protection windows, overload: re-checked before sending
    OPERATOR = "operator"      # sent as asked


class AttemptOutcome(StrEnum):
    PENDING = ""               # sent, no answer yet
    CONFIRMED = "confirmed"
    FAILED = "failed"
    TIMEOUT = "timeout"        # no result in time: counts as failed; a late answer is ignored


@dataclass(frozen=True)
class CommandRequest:
    """A command to queue for a meter. Its id is derived from the caller's key when there is one."""

    action: Action
    origin: Origin
    requested_by: str
    reason: str
    command_id: str | None = None
    batch_id: str | None = None
    settings: Settings | None = None


@dataclass(frozen=True)
class Command:
    """A command as control keeps it: what was asked, by whom, and how far it got."""

    command_id: str
    meter_id: str
    action: Action
    status: Status
    origin: Origin
    attempt: int               # attempts made so far
    attempt_limit: int         # attempts allowed before giving up (grows on re-send)
    requested_by: str
    reason: str
    detail: str
    relay_state: Supply        # as the device last answered
    batch_id: str | None
    settings: Settings | None
    created_at: datetime
    sent_at: datetime | None
    completed_at: datetime | None
    next_attempt_at: datetime | None
    result_deadline: datetime | None
    seq: int                   # the order commands were queued in

    def due(self, now: datetime) -> bool:
        return self.next_attempt_at is None or self.next_attempt_at <= now

    def awaits_result_of(self, attempt: int) -> bool:
        """Only the answer to the attempt in flight counts; anything else is a duplicate or too late."""
        return self.status is Status.SENT and attempt == self.attempt

    def overdue(self, now: datetime) -> bool:
        return self.status is Status.SENT and self.result_deadline is not None and self.result_deadline < now


@dataclass(frozen=True)
class Attempt:
    """One try of a command and what the device answered."""

    command_id: str
    attempt: int
    sent_at: datetime
    completed_at: datetime | None
    outcome: AttemptOutcome
    detail: str
    relay_state: Supply


@dataclass(frozen=True)
class AttemptEnd:
    """How an attempt ended: the device's answer, or a timeout."""

    outcome: AttemptOutcome
    relay_state: Supply
    detail: str

    @property
    def confirmed(self) -> bool:
        return self.outcome is AttemptOutcome.CONFIRMED


def bounded_id(text: str, limit: int = MAX_COMMAND_ID_CHARS) -> str:
    """Command ids fit the 100 characters acquisition keeps; a longer derived id keeps a hash of the rest."""
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:32]
    return f"{text[:limit - 33]}~{digest}"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    backoff_base_s: float = 2.0
    backoff_max_s: float = 60.0
    result_timeout_s: float = 60.0

    def backoff(self, attempt: int) -> timedelta:
        """Delay before attempt n+1 after attempt n failed: doubling, capped."""
        return timedelta(seconds=min(self.backoff_base_s * 2 ** max(0, attempt - 1), self.backoff_max_s))


@dataclass(frozen=True)
class AfterFailure:
    status: Status
    next_attempt_at: datetime | None


def after_failure(policy: RetryPolicy, attempt: int, attempt_limit: int, now: datetime) -> AfterFailure:
    """Retry later while attempts remain, else give up."""
    if attempt < attempt_limit:
        return AfterFailure(Status.QUEUED, now + policy.backoff(attempt))
    return AfterFailure(Status.FAILED, None)
