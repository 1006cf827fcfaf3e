"""Ready-made sites: the 353-meter building from the seeds and a 15,000-meter park.

Both are deterministic (same meters, addresses, ports and loads every time), so a
bench or a demo can be compared run to run. `python -m simulators --preset park`.

- building: a podium of shops and restaurants and two towers (offices; apartments),
  12 Modbus gateways (ANet-style), 353 prepaid electricity meters;
- park: 500 gateways, 15,000 meters: 450 Modbus gateways (31-32 meters each at 9600
  baud), 40 transparent gateways with 15 DL/T 645 meters each (9600 baud), and 10
  transparent gateways with 10 CJ/T 188 water meters each (2400 baud, as water meters ship).
"""

from __future__ import annotations

from simulators.site import DEMO_BASE_POWER_W, GatewaySpec, MeterSpec, SiteSpec

PRESETS = ("building", "park")
WATER_LITRES_PER_HOUR = {"shop": 20, "office": 15, "apartment": 30, "restaurant": 120}


def _meter(device_id: int, meter_id: str, kind: str, serial: int, **extra) -> MeterSpec:
    # Spread base loads +-30 % so meters of one kind do not read the same.
    scale = 0.7 + (serial * 37 % 61) / 100
    return MeterSpec(device_id=device_id, meter_id=meter_id, kind=kind,
                     base_power_w=round(DEMO_BASE_POWER_W[kind] * scale), initial_total_wh=1000 * (serial % 997),
                     **extra)


def building_site(first_port: int = 15021, host: str = "127.0.0.1", time_scale: float = 1.0) -> SiteSpec:
    """353 meters: podium B1-L3 (113 shops and restaurants), tower A offices (120), tower B apartments (120)."""
    plan = [("podium", ("shop", "shop", "restaurant"), (30, 30, 30, 23)),
            ("towerA", ("office",), (30, 30, 30, 30)),
            ("towerB", ("apartment",), (30, 30, 30, 30))]
    gateways, serial = [], 0
    for part, kinds, sizes in plan:
        for floor, size in enumerate(sizes, start=1):
            meters = []
            for device_id in range(1, size + 1):
                serial += 1
                kind = kinds[device_id % len(kinds)]
                meters.append(_meter(device_id, f"{part}-F{floor}-{device_id:03d}", kind, serial))
            port = first_port + len(gateways)
            gateways.append(GatewaySpec(name=f"gw-{part}-{floor}", host=host, port=port, meters=tuple(meters)))
    return SiteSpec(name="building-353", gateways=tuple(gateways), time_scale=time_scale)


def park_site(first_port: int = 20000, host: str = "127.0.0.1", time_scale: float = 1.0) -> SiteSpec:
    """15,000 meters behind 500 gateways (see the module docstring for the mix)."""
    gateways: list[GatewaySpec] = []
    for g in range(450):
        size = 32 if g < 350 else 31
        meters = tuple(_meter(d, f"P-{g:03d}-{d:02d}", ("shop", "office", "apartment", "restaurant")[(g + d) % 4],
                              g * 100 + d) for d in range(1, size + 1))
        gateways.append(GatewaySpec(name=f"gw-m{g:03d}", host=host, port=first_port + g, meters=meters))
    for g in range(40):
        meters = tuple(_meter(d, f"D-{g:02d}-{d:02d}", ("shop", "office")[d % 2], 50_000 + g * 100 + d,
                              protocol="dlt645", address=f"{g * 100 + d:012d}") for d in range(1, 16))
        gateways.append(GatewaySpec(name=f"gw-d{g:02d}", host=host, port=first_port + 450 + g, protocol="transparent",
                                    turnaround_ms=20, meters=meters))
    for g in range(10):
        meters = tuple(MeterSpec(device_id=d, meter_id=f"W-{g:02d}-{d:02d}", kind="apartment",
                                 base_power_w=WATER_LITRES_PER_HOUR["apartment"], protocol="cjt188",
                                 address=f"{g * 100 + d:014d}", initial_total_wh=10 * d) for d in range(1, 11))
        gateways.append(GatewaySpec(name=f"gw-w{g:02d}", host=host, port=first_port + 490 + g, protocol="transparent",
                                    baud=2400, turnaround_ms=20, meters=meters))
    return SiteSpec(name="park-15000", gateways=tuple(gateways), time_scale=time_scale)


def preset(name: str, **options) -> SiteSpec:
    if name == "building":
        return building_site(**options)
    if name == "park":
        return park_site(**options)
    raise ValueError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")


def site_as_dict(site: SiteSpec) -> dict:
    """The site as a mapping `load_site` reads back (to write a YAML or JSON file)."""
    from dataclasses import asdict

    data = asdict(site)
    data["tou"] = {band: list(spans) for band, spans in data.pop("tou_periods").items()}
    for gateway in data["gateways"]:
        for meter in gateway["meters"]:
            for key in [k for k, v in meter.items() if v in (None, "", False)]:
                del meter[key]
    return data
