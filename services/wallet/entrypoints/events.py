"""The wallet's one event mapper: domain event -> Outgoing(wallet.events.v1, account id, WalletEvent).

The wire format is as it always was: event_id = "<transfer id>:<kind name>", and for an
alarm level change ":<level>" after it (control's inbox deduplicates on it).
"""

from __future__ import annotations

from services.contracts.meterpay.v1 import wallet_pb2
from services.kit import messaging
from services.kit.db import Outgoing
from services.wallet.domain.events import (
    AccountEvent,
    AlarmLevelReached,
    BalanceChanged,
    FellIntoArrears,
    Recharged,
    RecoveredFromArrears,
)

KINDS = {
    FellIntoArrears: wallet_pb2.WALLET_EVENT_KIND_ARREARS,
    RecoveredFromArrears: wallet_pb2.WALLET_EVENT_KIND_RECOVERED,
    AlarmLevelReached: wallet_pb2.WALLET_EVENT_KIND_ALARM_LEVEL,
    Recharged: wallet_pb2.WALLET_EVENT_KIND_RECHARGED,
    BalanceChanged: wallet_pb2.WALLET_EVENT_KIND_BALANCE,
}


def wallet_event(event: AccountEvent) -> wallet_pb2.WalletEvent:
    kind = KINDS[type(event)]
    suffix = f":{event.alarm_level}" if isinstance(event, AlarmLevelReached) else ""
    return wallet_pb2.WalletEvent(
        event_id=f"{event.transfer_id}:{wallet_pb2.WalletEventKind.Name(kind)}{suffix}",
        account_id=event.account_id, meter_ids=list(event.meter_ids), kind=kind, balance_fen=event.balance_fen,
        alarm_level=event.alarm_level, occurred_at=messaging.timestamp(event.occurred_at),
        transfer_id=event.transfer_id,
        alarm_repeat_count=event.repeat_count if isinstance(event, AlarmLevelReached) else 0)


def to_outgoing(event: AccountEvent) -> Outgoing:
    if type(event) not in KINDS:
        raise TypeError(f"the wallet publishes no {type(event).__name__}")
    return Outgoing(messaging.WALLET_EVENTS, event.account_id, wallet_event(event))
