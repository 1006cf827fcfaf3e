"""Payment orders and provider callbacks (WeChat Pay, Alipay) as plain rules.

Glossary: 支付订单 = payment order; 支付回调/异步通知 = payment callback (notification);
商户订单号 out_trade_no = order id; 交易号 transaction_id / trade_no = channel transaction id.

A callback is believed only when its signature verifies (done by the adapter), its
timestamp is fresh, it names an order we created, and it pays exactly that order's
amount. The same callback again is a duplicate and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from services.wallet.domain.errors import AccountConflict, InvalidTransfer, WalletError
from services.wallet.domain.ledger import Channel, Purse, parse_channel, parse_purse

CALLBACK_WINDOW = timedelta(minutes=5)


class OrderStatus(StrEnum):
    CREATED = "created"
    PAID = "paid"


class CallbackOutcome(StrEnum):
    CREDITED = "credited"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True)
class PaymentNotice:
    """What a verified callback says: this order was paid this much under this channel transaction."""

    channel: str
    order_id: str
    channel_transaction_id: str
    amount_fen: int
    succeeded: bool


@dataclass(frozen=True)
class Order:
    order_id: str
    account_id: str
    channel: Channel
    purse: Purse
    amount_fen: int
    status: OrderStatus = OrderStatus.CREATED

    @classmethod
    def new(cls, order_id: str, account_id: str, channel: str, amount_fen: int, purse: str) -> Order:
        """A payment order the tenant is about to pay, its fields checked."""
        if not order_id or len(order_id) > 32:
            raise InvalidTransfer("an order id (out_trade_no) has 1 to 32 characters")
        if amount_fen <= 0:
            raise InvalidTransfer("an order amount is a positive number of fen")
        return cls(order_id, account_id, parse_channel(channel), parse_purse(purse), amount_fen)

    def same_as(self, existing: Order | None) -> Order:
        """The order already stored under this id, if it names the same account, amount and channel."""
        if existing is None or (existing.account_id, existing.amount_fen, existing.channel) != (
                self.account_id, self.amount_fen, self.channel):
            raise AccountConflict(f"order {self.order_id!r} exists with different fields")
        return existing


@dataclass(frozen=True)
class LockedOrder(Order):
    """An order whose row this transaction holds FOR UPDATE, so concurrent replays of its callback
    serialise: the only order that may be marked paid."""


@dataclass(frozen=True)
class CallbackRecord:
    """One callback as it was recorded, believed or not."""

    callback_id: int
    channel: str
    order_id: str
    outcome: CallbackOutcome
    reason: str


class CallbackRejected(WalletError):
    """A callback we must not believe; the reason is recorded (with the order, once the notice is readable)."""

    def __init__(self, reason: str, order_id: str = "") -> None:
        super().__init__(reason)
        self.order_id = order_id


def check_timestamp(sent_at: datetime, now: datetime) -> None:
    if abs(now - sent_at) > CALLBACK_WINDOW:
        raise CallbackRejected(f"stale timestamp: {sent_at.isoformat()} is more than 5 minutes from now")


def check_notice_against_order(notice: PaymentNotice, order: LockedOrder | None) -> LockedOrder:
    """The order the notice pays, when it may be believed."""
    if order is None:
        raise CallbackRejected(f"unknown order {notice.order_id!r}", notice.order_id)
    if order.channel != notice.channel:
        raise CallbackRejected(f"order {order.order_id!r} was created for {order.channel}, not {notice.channel}",
                               notice.order_id)
    if notice.amount_fen != order.amount_fen:
        raise CallbackRejected(f"wrong amount: order {order.order_id!r} is {order.amount_fen} fen, "
                               f"callback says {notice.amount_fen}", notice.order_id)
    if not notice.succeeded:
        raise CallbackRejected("the payment did not succeed", notice.order_id)
    return order
