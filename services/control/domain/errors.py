"""The errors a caller of control can make; each message is shown to the operator (zh-CN, then English).

The entrypoints map each family to a status code (InvalidRequest -> INVALID_ARGUMENT,
NotFound -> NOT_FOUND). None of them is a ValueError, so a ValueError raised by a bug
is never mistaken for a caller's mistake.
"""

from __future__ import annotations


class ControlError(Exception):
    """Something the caller asked for that control refuses; nothing was changed."""


class InvalidRequest(ControlError):
    """The request itself is wrong (a bad value, a missing field)."""


class InvalidOperation(InvalidRequest):
    """An operator request that cannot be carried out."""


class InvalidWindow(InvalidRequest):
    """A protection window that cannot exist (half a night, an unknown timezone)."""


class InvalidSelection(InvalidRequest):
    """A meter selection or list filter naming a state, mode or status control does not know."""


class InvalidTags(InvalidRequest):
    """Meter tags control cannot keep (no meter id, a negative threshold, an unknown kind)."""


class NotFound(ControlError):
    """The request names something control does not have."""


class UnknownBatch(NotFound):
    pass
