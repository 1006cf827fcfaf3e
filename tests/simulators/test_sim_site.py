"""Site descriptions: the demo file, YAML/JSON loading and the errors a wrong file gets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulators.meter import Band
from simulators.site import SiteConfigError, demo_site, load_site, site_from_dict

DEMO_FILE = Path(__file__).resolve().parents[2] / "simulators" / "sites" / "demo.yaml"


def minimal_site(**gateway_overrides) -> dict:
    gateway = {"name": "gw-1", "port": 15020, "meters": [{"device_id": 1, "meter_id": "M-0001"}]}
    return {"name": "s", "gateways": [{**gateway, **gateway_overrides}]}


class TestDemoSite:
    def test_demo_file_is_the_demo_site(self):
        from_file, built = load_site(DEMO_FILE), demo_site(3)
        assert from_file.gateways == built.gateways
        assert from_file.time_scale == built.time_scale
        assert from_file.tou_schedule() == built.tou_schedule()

    def test_demo_gateway_has_three_meters_on_15020(self):
        (gateway,) = load_site(DEMO_FILE).gateways
        assert (gateway.host, gateway.port) == ("127.0.0.1", 15020)
        assert [(m.device_id, m.meter_id) for m in gateway.meters] == [
            (1, "M-0001"), (2, "M-0002"), (3, "M-0003")
        ]


class TestLoading:
    def test_json_file_loads(self, tmp_path):
        path = tmp_path / "park.json"
        path.write_text(json.dumps(minimal_site()))
        site = load_site(path)
        assert site.all_meters()[0].meter_id == "M-0001"

    def test_custom_tou_periods(self):
        site = site_from_dict({
            **minimal_site(),
            "tou": {"valley": ["23:00-02:00", "04:00-07:00"], "deep_valley": ["02:00-04:00"]},
        })
        schedule = site.tou_schedule()
        assert schedule.band_at(3 * 3600) == Band.DEEP_VALLEY
        assert schedule.band_at(12 * 3600) == Band.FLAT

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"baud_rate": 9600}, "unknown keys"),
            ({"meters": [{"device_id": 248, "meter_id": "M-1"}]}, "not in 1..247"),
            ({"meters": [{"device_id": 1, "meter_id": "A"}, {"device_id": 1, "meter_id": "B"}]}, "device_id 1"),
            ({"meters": [{"device_id": 1, "meter_id": "A", "kind": "factory"}]}, "unknown load kind"),
            ({"meters": [{"device_id": 1, "meter_id": "A", "profile": [1.0] * 23}]}, "24"),
        ],
    )
    def test_wrong_gateway_entries_are_named(self, change, message):
        with pytest.raises(SiteConfigError, match=message):
            site_from_dict(minimal_site(**change))

    def test_meter_ids_are_unique_across_gateways(self):
        data = minimal_site()
        data["gateways"].append({**data["gateways"][0], "name": "gw-2", "port": 15021})
        with pytest.raises(SiteConfigError, match="meter_id 'M-0001' appears twice"):
            site_from_dict(data)

    def test_malformed_tou_period(self):
        with pytest.raises(SiteConfigError, match="HH:MM-HH:MM"):
            site_from_dict({**minimal_site(), "tou": {"peak": ["8-11"]}})
