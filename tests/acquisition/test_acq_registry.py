"""The registry: gateways and meters by gRPC-level use cases, bulk import from CSV / Excel, migrations."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

import pytest
from alembic import command
from openpyxl import Workbook
from sqlalchemy import text

from services.acquisition import service, sheets
from services.acquisition.domain.commands import RegisterGateway, RegisterMeter, SetProjectInterval
from services.acquisition.domain.errors import UnknownGateway
from services.acquisition.domain.events import MeterRead, ReadingSource
from services.acquisition.domain.registry import BusPosition, MeterKind
from services.acquisition.domain.samples import RelayState
from services.acquisition.domain.sheet import SheetRejected, check_sheet
from services.kit.db import alembic_config

MIGRATIONS = str(__import__("pathlib").Path(service.__file__).parent / "migrations")

HEADER = "meter_id,gateway_id,gateway_transport,gateway_host,gateway_port,protocol,address,device_id,bus,ct_ratio,kind"
GOOD_ROWS = [
    "M-1,GW-1,modbus-tcp,10.0.0.5,502,modbus,,1,1,1,electricity",
    "M-2,GW-1,modbus-tcp,10.0.0.5,502,modbus,,2,1,50,electricity",
    "E-1,GW-2,transparent-tcp,10.0.0.6,4001,dlt645,000000000101,1,1,1,",
    "W-1,DTU-9,dtu,,,cjt188,78330011223344,1,1,1,water",
]


def csv_sheet(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows]).encode("utf-8-sig")


async def import_sheet(new_uow, content: bytes, filename: str = "meters.csv") -> service.ImportSummary:
    return await service.import_commissioning(new_uow(), check_sheet(sheets.read_rows(content, filename)))


async def all_meters(new_uow):
    async with new_uow() as uow:
        return await uow.repo.meters(limit=1000)


class TestBulkImport:
    async def test_a_good_csv_sheet_is_imported_and_a_second_import_updates(self, new_uow):
        summary = await import_sheet(new_uow, csv_sheet(*GOOD_ROWS))
        assert (summary.gateways, summary.meters_created, summary.meters_updated) == (3, 4, 0)
        meters = {m.meter_id: m for m in await all_meters(new_uow)}
        assert meters["M-2"].ct_ratio == 50 and meters["E-1"].address == "000000000101"
        assert meters["W-1"].kind == 2 and meters["W-1"].protocol == "cjt188"
        again = await import_sheet(new_uow, csv_sheet(*GOOD_ROWS))
        assert (again.meters_created, again.meters_updated) == (0, 4)

    async def test_bad_rows_are_reported_by_line_and_nothing_is_imported(self, new_uow):
        rows = [*GOOD_ROWS,
                "E-2,GW-2,transparent-tcp,10.0.0.6,4001,dlt645,12345,2,1,1,",     # line 6: short address
                "M-1,GW-1,modbus-tcp,10.0.0.5,502,modbus,,3,1,1,",                # line 7: meter twice
                "M-9,GW-1,modbus-tcp,10.0.0.5,502,modbus,,2,1,1,",                # line 8: device id taken
                "M-8,GW-1,modbus-tcp,10.0.0.7,502,modbus,,8,1,1,",                # line 9: gateway host differs
                "M-7,GW-1,modbus-tcp,10.0.0.5,502,modbus,,300,1,1,"]              # line 10: device id range
        with pytest.raises(SheetRejected) as rejected:
            await import_sheet(new_uow, csv_sheet(*rows))
        assert [line for line, _ in rejected.value.problems] == [6, 7, 8, 9, 10]
        assert "12 digits" in rejected.value.problems[0][1] and "line 2" in rejected.value.problems[1][1]
        assert "第6行" in str(rejected.value)
        assert await all_meters(new_uow) == []

    async def test_an_excel_sheet_with_chinese_headers_is_read(self, new_uow):
        book = Workbook()
        sheet = book.active
        sheet.append(["表号", "网关", "网关类型", "网关地址", "网关端口", "协议", "地址", "设备号"])
        sheet.append(["M-1", "GW-1", "modbus-tcp", "10.0.0.5", 502, "modbus", None, 1])
        sheet.append([None] * 8)
        sheet.append(["M-2", "GW-1", "modbus-tcp", "10.0.0.5", 502, "modbus", None, 2.0])
        buffer = io.BytesIO()
        book.save(buffer)
        summary = await import_sheet(new_uow, buffer.getvalue(), "commissioning.xlsx")
        assert summary.meters_created == 2
        assert [m.device_id for m in await all_meters(new_uow)] == [1, 2]

    def test_a_file_that_is_not_a_sheet_is_rejected(self):
        with pytest.raises(SheetRejected, match="xlsx"):
            sheets.read_rows(b"not a zip", "x.xlsx")
        with pytest.raises(SheetRejected, match="unsupported"):
            sheets.read_rows(b"", "x.pdf")


class TestPaging:
    async def test_meters_page_in_poll_order_and_gateways_in_id_order(self, new_uow):
        await import_sheet(new_uow, csv_sheet(*GOOD_ROWS))
        async with new_uow() as uow:
            first = await uow.repo.meters(limit=3)
            last = await uow.repo.meters(limit=3, after=BusPosition(first[-1].gateway_id, first[-1].bus,
                                                                    first[-1].device_id))
            gateways = await uow.repo.gateways(limit=2)
            more = await uow.repo.gateways(limit=2, after=gateways[-1].gateway_id)
        assert [m.meter_id for m in first] == ["W-1", "M-1", "M-2"]  # DTU-9 < GW-1 < GW-2, then bus order
        assert [m.meter_id for m in last] == ["E-1"]
        assert [g.gateway_id for g in gateways + more] == ["DTU-9", "GW-1", "GW-2"]

    def test_a_limit_of_zero_is_the_default_page_and_a_huge_one_is_capped(self):
        size = service.METER_PAGE
        assert (size.of(0), size.of(7), size.of(10**6)) == (500, 7, 5000)

    async def test_the_poller_reads_every_meter_across_pages(self, new_uow, monkeypatch):
        await import_sheet(new_uow, csv_sheet(*GOOD_ROWS))
        monkeypatch.setattr(service, "SCAN_PAGE", 1)
        meters = await service.meters_to_poll(new_uow())
        assert [m.meter_id for m in meters] == ["W-1", "M-1", "M-2", "E-1"]
        assert [g.gateway_id for g in await service.all_gateways(new_uow())] == ["DTU-9", "GW-1", "GW-2"]


class TestRegistry:
    async def test_meters_must_fit_their_gateway(self, new_uow):
        await service.register_gateway(new_uow(), RegisterGateway("GW-1", "10.0.0.5", 502, "modbus-tcp"))
        with pytest.raises(ValueError, match="cannot sit behind"):
            await service.register_meter(new_uow(), RegisterMeter("E-1", "GW-1", 1, protocol="dlt645",
                                                                      address="000000000001"))
        with pytest.raises(UnknownGateway):
            await service.register_meter(new_uow(), RegisterMeter("M-1", "GW-X", 1))
        with pytest.raises(ValueError, match="transport"):
            await service.register_gateway(new_uow(), RegisterGateway("GW-2", "10.0.0.5", 502, "carrier-pigeon"))

    async def test_a_project_interval_applies_to_its_gateways(self, new_uow):
        await service.register_gateway(new_uow(), RegisterGateway(
            "GW-1", "10.0.0.5", 502, "modbus-tcp", project_id="P-1"))
        await service.set_project_interval(new_uow(), SetProjectInterval("P-1", 900))
        async with new_uow() as uow:
            gateway = await uow.repo.gateway("GW-1")
        assert gateway.interval_s(1800) == 900


class TestReadingPartitions:
    async def test_partitions_are_created_ahead_and_for_backfilled_months(self, new_uow):
        known: set = set()
        await service.ensure_partitions_ahead(new_uow(), datetime(2026, 12, 5, tzinfo=UTC), known)
        async with new_uow() as uow:
            names = set(await uow.repo.partitions(limit=100))
        assert names == {"readings_y2026m12", "readings_y2027m01", "readings_y2027m02"}
        async with new_uow() as uow:
            kind = await uow.session.scalar(text("SELECT relkind::text FROM pg_class WHERE relname = 'readings'"))
        assert kind == "p"  # a partitioned table

    async def test_the_partitioning_migration_is_reversible_and_keeps_readings(self, new_uow):
        await service.register_gateway(new_uow(), RegisterGateway("GW-1", "10.0.0.5", 502, "modbus-tcp"))
        await service.register_meter(new_uow(), RegisterMeter("M-1", "GW-1", 1))
        at = datetime(2026, 10, 15, 8, 0, tzinfo=UTC)
        async with new_uow() as uow:
            await uow.repo.ensure_partitions({at.date().replace(day=1)})
            await uow.repo.add_readings([_reading("M-1", at, 4242)])
            await uow.commit()
            url = uow.session.bind.url.render_as_string(hide_password=False)
        config = alembic_config(url, MIGRATIONS, "alembic_version_acquisition")
        await asyncio.to_thread(command.downgrade, config, "acq0001")
        async with new_uow() as uow:
            kind = await uow.session.scalar(text("SELECT relkind::text FROM pg_class WHERE relname = 'readings'"))
            total = await uow.session.scalar(text("SELECT total_wh FROM readings"))
        assert (kind, total) == ("r", 4242)
        await asyncio.to_thread(command.upgrade, config, "head")
        async with new_uow() as uow:
            assert set(await uow.repo.partitions(limit=100)) == {"readings_y2026m10"}
            assert [r.total_wh for r in await uow.repo.readings_of("M-1", limit=100)] == [4242]


def _reading(meter_id: str, at: datetime, total_wh: int) -> MeterRead:
    zeros = dict.fromkeys(("sharp_wh", "peak_wh", "valley_wh", "deep_valley_wh", "reverse_wh", "voltage_dv",
                           "current_ca", "power_w", "power_factor_milli"), 0)
    return MeterRead(meter_id=meter_id, gateway_id="GW-1", kind=MeterKind.ELECTRICITY, read_at=at,
                     source=ReadingSource.POLL, total_wh=total_wh, flat_wh=total_wh, volume_l=0,
                     relay_state=RelayState.UNSPECIFIED, power_guarantee=False, has_band_registers=True, **zeros)
