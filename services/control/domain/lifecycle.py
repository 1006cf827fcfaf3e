"""The life of a command: queued -> sent -> confirmed, or failed -> retried with bounded backoff
-> given up (status "failed", listed with its batch and re-sendable by an operator).

A command whose result never arrives times out and counts as a failed attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


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
