"""Money moved at the console: kinds of movements, counter channels, and what a receipt prints.

Glossary: 售电 = recharge at the counter; 退费 = refund; 冲正 = reversal (a correcting entry the
other way); 开户 = opening (with the money paid when opening); 销户 = closing (final settlement paid
back); 过户 = transfer of ownership; 换表 = meter replacement; 批量退补 = batch top-up / refund;
三联单 = the three-part receipt; 大写金额 = the amount in Chinese capital numerals.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

MAX_AMOUNT_FEN = 100_000_000      # one movement moves at most 1,000,000 yuan
MAX_BATCH_ITEMS = 1000


class MovementKind(StrEnum):
    RECHARGE = "recharge"
    REFUND = "refund"
    REVERSAL = "reversal"
    OPENING = "opening"
    CLOSING = "closing"
    OWNERSHIP = "ownership"       # what the old owner was paid on a transfer of ownership


KIND_ZH = {MovementKind.RECHARGE: "售电", MovementKind.REFUND: "退费", MovementKind.REVERSAL: "冲正",
           MovementKind.OPENING: "开户", MovementKind.CLOSING: "销户结算", MovementKind.OWNERSHIP: "过户结算"}

# Entries a counter operator may reverse: money that was taken or paid out at the counter.
REVERSIBLE = frozenset({MovementKind.RECHARGE, MovementKind.REFUND, MovementKind.OPENING})
# What a receipt is printed for.
RECEIPTED = frozenset({MovementKind.RECHARGE, MovementKind.REFUND, MovementKind.OPENING})


class Channel(StrEnum):
    CASH = "cash"
    WECHAT = "wechat"
    ALIPAY = "alipay"
    BANK = "bank"
    IC_CARD = "ic_card"
    UNIONPAY = "unionpay"


CHANNEL_ZH = {Channel.CASH: "现金", Channel.WECHAT: "微信支付", Channel.ALIPAY: "支付宝", Channel.BANK: "银行转账",
              Channel.IC_CARD: "IC卡", Channel.UNIONPAY: "银联"}
TENANT_CHANNELS = (Channel.WECHAT, Channel.ALIPAY)   # what a tenant pays online with


class Purse(StrEnum):
    ELECTRICITY = "electricity"
    WATER = "water"


@dataclass(frozen=True)
class Movement:
    """One movement console asked wallet for, as console recorded it."""

    transfer_id: str
    account_id: str
    kind: MovementKind
    amount_fen: int
    channel: str
    purse: str
    operator: str
    property_id: str
    path: str
    balance_after_fen: int | None = None
    reverses_transfer_id: str | None = None
    created_at: datetime | None = None


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_IN_GROUP = ("", "拾", "佰", "仟")
_GROUPS = ("", "万", "亿", "兆")


def capital_amount(amount_fen: int) -> str:
    """大写金额 as a Chinese receipt or cheque writes it: 10000 -> 壹佰元整, 12345 -> 壹佰贰拾叁元肆角伍分,
    100005 -> 壹仟元零伍分, 100400 -> 壹仟零肆元整."""
    if amount_fen < 0:
        raise ValueError(f"an amount on a receipt is not negative: {amount_fen}")
    yuan, fen = divmod(amount_fen, 100)
    jiao, fen = divmod(fen, 10)
    if yuan >= 10_000 ** len(_GROUPS):
        raise ValueError(f"amount too large for a receipt: {amount_fen}")
    text = f"{_capital_yuan(yuan)}元" if yuan or not (jiao or fen) else ""
    if not (jiao or fen):
        return text + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif yuan:
        text += "零"          # 壹仟元零伍分: a zero 角 between 元 and 分 is written
    return text + (_DIGITS[fen] + "分" if fen else "")


def _capital_yuan(yuan: int) -> str:
    if yuan == 0:
        return "零"
    groups = []
    while yuan:
        yuan, group = divmod(yuan, 10_000)
        groups.append(group)
    text = ""
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        if text and (group < 1000 or groups[index + 1] % 10 == 0):
            text += "零"          # zeros between two written digits are one 零: 壹万零伍, 壹仟万零壹仟
        text += _capital_group(group) + _GROUPS[index]
    return text


def _capital_group(group: int) -> str:
    """One group of four digits, without its leading zeros (the caller writes those as one 零)."""
    digits = f"{group:04d}".lstrip("0")
    text, zero = "", False
    for position, digit in enumerate(digits):
        place = len(digits) - 1 - position
        if digit == "0":
            zero = bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += _DIGITS[int(digit)] + _IN_GROUP[place]
    return text


def yuan_text(amount_fen: int) -> str:
    """12345 -> "123.45" (no float on the way)."""
    sign = "-" if amount_fen < 0 else ""
    yuan, fen = divmod(abs(amount_fen), 100)
    return f"{sign}{yuan:,}.{fen:02d}"


def receipt_no(transfer_id: str, at: datetime) -> str:
    """A short number printed on the receipt; the same movement always prints the same number."""
    digest = hashlib.sha256(transfer_id.encode()).hexdigest()[:8].upper()
    return f"{at:%Y%m%d}-{digest}"


def movement_id(kind: MovementKind, derived_id: str) -> str:
    """The wallet transfer id of a console movement, from the id the idempotency helper derived."""
    return f"console:{kind}:{derived_id}"[:200]


def order_id(derived_id: str) -> str:
    """A payment order id (out_trade_no: at most 32 characters) from the derived id."""
    return "mp" + hashlib.sha256(derived_id.encode()).hexdigest()[:30]
