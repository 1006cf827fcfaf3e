"""The errors a caller of tariff can make; nothing was written when one is raised.

The entrypoints map each to a status code (entrypoints/grpc.py). Anything else that
escapes a use case (a bare ValueError, an AssertionError) is a bug, not a bad request.
"""

from __future__ import annotations


class TariffError(Exception):
    """A request tariff refuses."""


class InvalidRequest(TariffError):
    """A request that can never succeed as it stands (negative energy, ...; a bad page is the kit's InvalidPage)."""


class InvalidPlan(InvalidRequest):
    """A plan definition that cannot be priced exactly, or a plan request missing what it needs."""


class InvalidBaseline(InvalidRequest):
    """A new baseline (after a meter swap) older than the last rated reading."""


class UnknownPlan(TariffError):
    """A plan id that names no plan."""


class ConflictingRetry(TariffError):
    """An id written before with other fields: a retry must repeat them exactly (then it is a no-op)."""


class DefaultPlanExists(TariffError):
    """A second default plan: there is one, and it takes new versions instead."""
