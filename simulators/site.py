"""Description of a simulated site: gateways on TCP endpoints, meters on their RS-485 buses.

Loaded from YAML or JSON (see simulators/sites/demo.yaml); unknown keys are rejected so a
typo in a site file fails loudly instead of silently using a default.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from simulators.meter import Band, LoadProfile, TouSchedule

MODBUS_DEVICE_IDS = range(1, 248)  # 0 is broadcast, 248..255 are reserved
GATEWAY_PROTOCOLS = ("modbus", "transparent", "dtu")  # Modbus TCP gateway, transparent TCP, dial-in 4G DTU
METER_PROTOCOLS = {"modbus": ("modbus",), "transparent": ("dlt645", "cjt188"), "dtu": ("dlt645", "cjt188")}
ADDRESS_DIGITS = {"dlt645": 12, "cjt188": 14}
DEMO_KINDS = ("shop", "office", "apartment", "restaurant")
DEMO_BASE_POWER_W = {"shop": 3000, "office": 2000, "apartment": 1200, "restaurant": 6000}
TOU_KEYS = {"sharp": Band.SHARP, "peak": Band.PEAK, "flat": Band.FLAT, "valley": Band.VALLEY,
            "deep_valley": Band.DEEP_VALLEY}
DEFAULT_TOU_PERIODS: dict[str, tuple[str, ...]] = {
    "sharp": ("19:00-21:00",),
    "peak": ("08:00-11:00", "17:00-19:00"),
    "valley": ("23:00-07:00",),
}


class SiteConfigError(ValueError):
    """A site description that cannot be simulated; the message names the offending entry."""


@dataclass(frozen=True)
class MeterSpec:
    device_id: int
    meter_id: str
    kind: str = "shop"
    base_power_w: float = 1000.0
    initial_total_wh: int = 0
    # 24 hourly multipliers of base power that replace the kind's curve.
    profile: tuple[float, ...] | None = None
    reversed_wiring: bool = False
    protocol: str = "modbus"  # modbus | dlt645 | cjt188 (water: base_power_w is litres per hour)
    address: str = ""         # DL/T 645: 12 digits, CJ/T 188: 14 digits

    def load_profile(self) -> LoadProfile:
        return LoadProfile.of_kind(self.kind, self.base_power_w, self.profile)


@dataclass(frozen=True)
class GatewaySpec:
    name: str
    host: str = "127.0.0.1"
    port: int = 15020  # 0 picks a free port at start (tests)
    baud: int = 9600
    bits_per_byte: int = 11  # start + 8 data + parity + stop
    turnaround_ms: float = 5.0
    # How long the gateway waits for a meter that does not answer before replying 0x0B.
    response_timeout_ms: float = 500.0
    meters: tuple[MeterSpec, ...] = ()
    protocol: str = "modbus"  # modbus | transparent | dtu (a DTU's name is its registration id)


@dataclass(frozen=True)
class SiteSpec:
    name: str
    gateways: tuple[GatewaySpec, ...]
    time_scale: float = 1.0  # simulated seconds per real second
    timezone: str = "Asia/Shanghai"  # meters keep local standard time (no DST)
    # {band name: ("HH:MM-HH:MM", ...)}; minutes not listed are flat.
    tou_periods: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_TOU_PERIODS))
    bus_delay: bool = True  # False: answer at once (fast unit tests), no RS-485 timing
    platform: str = "127.0.0.1:16020"  # where DTUs dial in (the acquisition service's DTU port)

    def __post_init__(self) -> None:
        validate_site(self)

    def tou_schedule(self) -> TouSchedule:
        return parse_tou_periods(self.tou_periods)

    def all_meters(self) -> list[MeterSpec]:
        return [meter for gateway in self.gateways for meter in gateway.meters]


# --------------------------------------------------------------------------- validation


def validate_site(site: SiteSpec) -> None:
    if site.time_scale <= 0:
        raise SiteConfigError(f"site {site.name}: time_scale must be positive, got {site.time_scale}")
    if not site.gateways:
        raise SiteConfigError(f"site {site.name}: no gateways")
    try:
        parse_tou_periods(site.tou_periods)
    except ValueError as exc:
        raise SiteConfigError(f"site {site.name}: tou: {exc}") from exc
    _require_unique([g.name for g in site.gateways], f"site {site.name}: gateway name")
    _require_unique([(g.host, g.port) for g in site.gateways if g.port], f"site {site.name}: host:port")
    _require_unique([m.meter_id for m in site.all_meters()], f"site {site.name}: meter_id")
    for gateway in site.gateways:
        _validate_gateway(gateway)


def _validate_gateway(gateway: GatewaySpec) -> None:
    where = f"gateway {gateway.name}"
    if gateway.protocol not in GATEWAY_PROTOCOLS:
        raise SiteConfigError(f"{where}: protocol {gateway.protocol!r} is not one of {GATEWAY_PROTOCOLS}")
    if not 0 <= gateway.port <= 65535:
        raise SiteConfigError(f"{where}: port {gateway.port} out of range")
    if gateway.baud <= 0 or gateway.bits_per_byte <= 0:
        raise SiteConfigError(f"{where}: baud and bits_per_byte must be positive")
    if gateway.turnaround_ms < 0 or gateway.response_timeout_ms < 0:
        raise SiteConfigError(f"{where}: turnaround_ms and response_timeout_ms must not be negative")
    _require_unique([m.device_id for m in gateway.meters], f"{where}: device_id")
    for meter in gateway.meters:
        _validate_meter(meter, where, METER_PROTOCOLS[gateway.protocol])


def _validate_meter(meter: MeterSpec, where: str, protocols: tuple[str, ...]) -> None:
    where = f"{where}, meter {meter.meter_id}"
    if meter.protocol not in protocols:
        raise SiteConfigError(f"{where}: protocol {meter.protocol!r} does not fit this gateway ({protocols})")
    digits = ADDRESS_DIGITS.get(meter.protocol)
    if digits and (len(meter.address) != digits or not meter.address.isdigit()):
        raise SiteConfigError(f"{where}: a {meter.protocol} address is {digits} digits, not {meter.address!r}")
    if meter.device_id not in MODBUS_DEVICE_IDS:
        raise SiteConfigError(f"{where}: device_id {meter.device_id} is not in 1..247")
    if meter.initial_total_wh < 0:
        raise SiteConfigError(f"{where}: initial_total_wh must not be negative")
    try:
        meter.load_profile()
    except ValueError as exc:
        raise SiteConfigError(f"{where}: {exc}") from exc


def _require_unique(values: list[Any], what: str) -> None:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise SiteConfigError(f"{what} {value!r} appears twice")
        seen.add(value)


def parse_tou_periods(periods: dict[str, tuple[str, ...] | list[str]]) -> TouSchedule:
    """{"peak": ["08:00-11:00"], ...} -> TouSchedule; "HH:MM-HH:MM" may wrap midnight, 24:00 ends a day."""
    by_band: dict[Band, list[tuple[int, int]]] = {}
    for name, spans in periods.items():
        if name not in TOU_KEYS:
            raise ValueError(f"unknown band {name!r}; known: {', '.join(TOU_KEYS)}")
        by_band[TOU_KEYS[name]] = [_parse_span(span) for span in spans]
    return TouSchedule.from_periods(by_band)


def _parse_span(span: str) -> tuple[int, int]:
    try:
        start, end = (part.strip() for part in span.split("-"))
        return _minute_of_day(start), _minute_of_day(end)
    except ValueError as exc:
        raise ValueError(f"period {span!r} is not HH:MM-HH:MM") from exc


def _minute_of_day(text: str) -> int:
    hours, minutes = (int(part) for part in text.split(":"))
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        raise ValueError(text)
    return hours * 60 + minutes


# --------------------------------------------------------------------------- loading


def load_site(path: str | Path) -> SiteSpec:
    """Read a site from a .yaml/.yml or .json file."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    if not isinstance(data, dict):
        raise SiteConfigError(f"{path}: expected a mapping at the top level")
    return site_from_dict(data, default_name=path.stem)


def site_from_dict(data: dict[str, Any], default_name: str = "site") -> SiteSpec:
    site_data = _checked_keys(data, SiteSpec, "site", renames={"tou": "tou_periods"})
    gateways = tuple(_gateway_from_dict(g) for g in site_data.pop("gateways", []))
    tou = site_data.pop("tou_periods", None)
    if tou is not None:
        site_data["tou_periods"] = {band: tuple(spans or ()) for band, spans in tou.items()}
    site_data.setdefault("name", default_name)
    return SiteSpec(gateways=gateways, **site_data)


def _gateway_from_dict(data: dict[str, Any]) -> GatewaySpec:
    gateway_data = _checked_keys(data, GatewaySpec, f"gateway {data.get('name', '?')}")
    meters = tuple(_meter_from_dict(m) for m in gateway_data.pop("meters", []))
    return GatewaySpec(meters=meters, **gateway_data)


def _meter_from_dict(data: dict[str, Any]) -> MeterSpec:
    meter_data = _checked_keys(data, MeterSpec, f"meter {data.get('meter_id', '?')}")
    if "address" in meter_data:
        meter_data["address"] = str(meter_data["address"])
    if meter_data.get("profile") is not None:
        meter_data["profile"] = tuple(float(x) for x in meter_data["profile"])
    return MeterSpec(**meter_data)


def _checked_keys(data: Any, spec: type, where: str, renames: dict[str, str] | None = None) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise SiteConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    renames = renames or {}
    allowed = {f.name for f in fields(spec)}
    result = {renames.get(key, key): value for key, value in data.items()}
    unknown = sorted(set(result) - allowed)
    if unknown:
        raise SiteConfigError(f"{where}: unknown keys {unknown}; allowed: {sorted(allowed)}")
    return result


# --------------------------------------------------------------------------- demo


def demo_site(
    meters: int = 3,
    port: int = 15020,
    time_scale: float = 60.0,
    host: str = "127.0.0.1",
    bus_delay: bool = True,
) -> SiteSpec:
    """One gateway with meters M-0001.. on device ids 1.., cycling through the load kinds."""
    if not 1 <= meters <= len(MODBUS_DEVICE_IDS):
        raise SiteConfigError(f"a demo gateway holds 1..{len(MODBUS_DEVICE_IDS)} meters, not {meters}")
    specs = tuple(_demo_meter(device_id) for device_id in range(1, meters + 1))
    gateway = GatewaySpec(name="gw-demo-1", host=host, port=port, meters=specs)
    return SiteSpec(name="demo", gateways=(gateway,), time_scale=time_scale, bus_delay=bus_delay)


def _demo_meter(device_id: int) -> MeterSpec:
    kind = DEMO_KINDS[(device_id - 1) % len(DEMO_KINDS)]
    return MeterSpec(
        device_id=device_id,
        meter_id=f"M-{device_id:04d}",
        kind=kind,
        base_power_w=DEMO_BASE_POWER_W[kind],
        initial_total_wh=10_000 * device_id,
    )
