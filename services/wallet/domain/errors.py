"""The errors a caller of the wallet can make; the entrypoints map each family to a status code.

Every one means "refused, nothing was written". Anything else that escapes a use case (a bare
ValueError, an AssertionError, NotLocked) is a bug and is reported as one, never as the
caller's fault.
"""

from __future__ import annotations


class WalletError(Exception):
    """A request the wallet refuses."""


class UnknownAccount(WalletError):
    """What the caller named is not there: an account, a meter's account, or a transfer or bill of one."""


class UnknownTransfer(UnknownAccount):
    pass


class UnknownBill(UnknownAccount):
    pass


class AccountConflict(WalletError):
    """The account, one of its meters or a payment order already exists with other fields."""


class InvalidTransfer(WalletError):
    """A request that breaks a rule: an amount, channel, purse, policy or account state."""


class AccountClosed(InvalidTransfer):
    pass


class AccountInDebt(InvalidTransfer):
    """An account that owes money cannot close."""


class RefundExceedsBalance(InvalidTransfer):
    pass


class TransferConflict(WalletError):
    """The transfer id is already posted with different fields: a retry must repeat the original exactly."""


class NotLocked(TypeError):
    """A bug, not a request: an account, order or bill was to change without holding its row lock."""
