"""Binary-coded decimal, least significant byte first: the number format of DL/T 645 and CJ/T 188."""

from __future__ import annotations


def encode(value: int, size: int) -> bytes:
    """Unsigned integer -> `size` BCD bytes, least significant byte first."""
    if value < 0 or value >= 100**size:
        raise ValueError(f"{value} does not fit in {size} BCD bytes")
    digits = f"{value:0{size * 2}d}"
    return bytes(int(digits[i:i + 2], 16) for i in range(len(digits) - 2, -1, -2))


def decode(raw: bytes, error: type[Exception]) -> int:
    """BCD bytes, least significant first -> integer; a nibble above 9 raises `error` (the codec's FrameError)."""
    value = 0
    for byte in reversed(raw):
        high, low = byte >> 4, byte & 0x0F
        if high > 9 or low > 9:
            raise error(f"byte {byte:#04x} is not BCD")
        value = value * 100 + high * 10 + low
    return value
