"""Money and energy as integers: fen (0.01 yuan) and Wh. Prices are Decimals.

No floats touch money or energy. Rounding is half-up to the fen, the way a
Chinese receipt rounds.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import NewType

Fen = NewType("Fen", int)
Wh = NewType("Wh", int)

FEN_PER_YUAN = 100
WH_PER_KWH = 1000


def round_to_fen(amount_yuan: Decimal) -> Fen:
    """Round an exact yuan amount to whole fen, half up."""
    return Fen(int((amount_yuan * FEN_PER_YUAN).quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def energy_cost_yuan(energy_wh: int, price_yuan_per_kwh: Decimal) -> Decimal:
    """The exact (unrounded) cost of energy at a price."""
    return Decimal(energy_wh) * price_yuan_per_kwh / WH_PER_KWH


def parse_price(text: str) -> Decimal:
    """A price from the wire or a form: a non-negative decimal with at most 6 places."""
    try:
        price = Decimal(text)
    except Exception as exc:
        raise ValueError(f"not a price: {text!r}") from exc
    if not price.is_finite() or price < 0 or price.as_tuple().exponent < -6:  # type: ignore[operator]
        raise ValueError(f"price must be a non-negative decimal with at most 6 places: {text!r}")
    return price


def format_fen(amount_fen: int) -> str:
    """¥12.34 style text for pages and receipts."""
    sign = "-" if amount_fen < 0 else ""
    return f"{sign}¥{abs(amount_fen) // 100}.{abs(amount_fen) % 100:02d}"
