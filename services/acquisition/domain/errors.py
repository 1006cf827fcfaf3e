"""The errors a caller of acquisition can make. Entrypoints map each to a status code (or a failed
command result); nothing maps a bare ValueError, which is a bug.

They are ValueErrors (a value the caller gave is wrong), so code that only cares whether an
input was acceptable can still catch ValueError.
"""

from __future__ import annotations


class AcquisitionError(ValueError):
    """Something the caller asked for cannot be done as asked; the message says why."""


class InvalidRegistration(AcquisitionError):
    """A gateway or meter that does not fit the registry's rules (transport, protocol, address, ids)."""


class UnknownGateway(AcquisitionError):
    """A meter registered behind a gateway that is not in the registry."""


class InvalidInterval(AcquisitionError):
    """A project poll interval outside 60..86400 s."""


class InvalidSetting(AcquisitionError):
    """A price or threshold push whose values the meter's registers cannot hold."""


class UnsupportedAction(AcquisitionError):
    """An action the meter's protocol cannot carry out (or one this service does not know)."""
