from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class SetSinglePriceRequest(_message.Message):
    __slots__ = ("meter_id", "price_yuan_per_kwh", "version_id")
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_YUAN_PER_KWH_FIELD_NUMBER: _ClassVar[int]
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    meter_id: str
    price_yuan_per_kwh: str
    version_id: str
    def __init__(self, meter_id: _Optional[str] = ..., price_yuan_per_kwh: _Optional[str] = ..., version_id: _Optional[str] = ...) -> None: ...

class SetSinglePriceReply(_message.Message):
    __slots__ = ("version_id", "created")
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    version_id: str
    created: bool
    def __init__(self, version_id: _Optional[str] = ..., created: _Optional[bool] = ...) -> None: ...

class QuoteRequest(_message.Message):
    __slots__ = ("meter_id", "energy_wh")
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    ENERGY_WH_FIELD_NUMBER: _ClassVar[int]
    meter_id: str
    energy_wh: int
    def __init__(self, meter_id: _Optional[str] = ..., energy_wh: _Optional[int] = ...) -> None: ...

class QuoteReply(_message.Message):
    __slots__ = ("amount_fen", "price_yuan_per_kwh")
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    PRICE_YUAN_PER_KWH_FIELD_NUMBER: _ClassVar[int]
    amount_fen: int
    price_yuan_per_kwh: str
    def __init__(self, amount_fen: _Optional[int] = ..., price_yuan_per_kwh: _Optional[str] = ...) -> None: ...
