"""The gRPC face over a real channel: bulk import (all or nothing), registration errors, listing, read-now."""

from __future__ import annotations

import grpc
import pytest

from services.acquisition.entrypoints.grpc import AcquisitionGrpc
from services.contracts.meterpay.v1 import acquisition_pb2 as pb
from services.contracts.meterpay.v1 import acquisition_pb2_grpc
from services.kit.grpc import start_grpc_server
from simulators.site import GatewaySpec, MeterSpec, SiteSpec

HEADER = "meter_id,gateway_id,gateway_transport,gateway_host,gateway_port,protocol,device_id\n"


@pytest.fixture
async def stub(new_uow, poller):
    server, port = await start_grpc_server("127.0.0.1", 0, [(
        acquisition_pb2_grpc.add_AcquisitionServiceServicer_to_server, AcquisitionGrpc(new_uow, poller),
        "meterpay.v1.AcquisitionService")])
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    yield acquisition_pb2_grpc.AcquisitionServiceStub(channel)
    await channel.close()
    await server.stop(grace=0)


class TestAcquisitionGrpc:
    async def test_import_then_read_now_over_grpc(self, stub, start_site):
        sim = await start_site(SiteSpec(name="t", bus_delay=False, gateways=(GatewaySpec(name="g", port=0, meters=(
            MeterSpec(device_id=1, meter_id="M-1", kind="constant", base_power_w=1, initial_total_wh=777),)),)))
        sheet = HEADER + f"M-1,GW-1,modbus-tcp,127.0.0.1,{sim.gateways[0].port},modbus,1\n"
        reply = await stub.ImportSheet(pb.ImportSheetRequest(content=sheet.encode(), filename="m.csv"))
        assert (reply.gateways, reply.meters_created) == (1, 1)
        assert (await stub.ReadNow(pb.ReadNowRequest(meter_ids=["M-1"]))).read == 1
        listed = (await stub.ListMeters(pb.ListMetersRequest())).meters
        assert [(m.meter.meter_id, m.last_total_wh, m.online) for m in listed] == [("M-1", 777, True)]

    async def test_a_bad_sheet_is_invalid_argument_naming_the_line_and_imports_nothing(self, stub):
        sheet = HEADER + "M-1,GW-1,modbus-tcp,10.0.0.5,502,modbus,1\nM-2,GW-1,modbus-tcp,10.0.0.5,502,modbus,999\n"
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await stub.ImportSheet(pb.ImportSheetRequest(content=sheet.encode(), filename="m.csv"))
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "line 3" in error.value.details() and "device_id 999" in error.value.details()
        assert (await stub.ListMeters(pb.ListMetersRequest())).meters == []

    async def test_meters_are_listed_in_pages_without_overlap_or_gap(self, stub):
        await stub.RegisterGateway(pb.Gateway(gateway_id="GW-1", host="10.0.0.5", port=502))
        for n in range(1, 6):
            await stub.RegisterMeter(pb.Meter(meter_id=f"M-{n}", gateway_id="GW-1", device_id=n))
        first = await stub.ListMeters(pb.ListMetersRequest(limit=2))
        second = await stub.ListMeters(pb.ListMetersRequest(limit=2, cursor=first.next_cursor))
        last = await stub.ListMeters(pb.ListMetersRequest(limit=2, cursor=second.next_cursor))
        pages = [[m.meter.meter_id for m in page.meters] for page in (first, second, last)]
        assert pages == [["M-1", "M-2"], ["M-3", "M-4"], ["M-5"]]
        assert first.next_cursor and second.next_cursor and last.next_cursor == ""
        everything = await stub.ListMeters(pb.ListMetersRequest())  # limit 0: the default page
        assert len(everything.meters) == 5 and everything.next_cursor == ""

    async def test_a_cursor_not_handed_out_or_a_negative_limit_is_invalid_argument(self, stub):
        for request in (pb.ListMetersRequest(cursor="garbage"), pb.ListMetersRequest(cursor="M-1"),
                        pb.ListMetersRequest(limit=-1)):
            with pytest.raises(grpc.aio.AioRpcError) as error:
                await stub.ListMeters(request)
            assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT, request

    async def test_a_meter_on_an_unknown_gateway_is_not_found(self, stub):
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await stub.RegisterMeter(pb.Meter(meter_id="M-1", gateway_id="NOPE", device_id=1))
        assert error.value.code() == grpc.StatusCode.NOT_FOUND

    async def test_a_dtu_gateway_needs_no_address_but_a_project_interval_must_be_sane(self, stub):
        created = await stub.RegisterGateway(pb.Gateway(gateway_id="DTU-1", protocol="dtu", project_id="P"))
        assert created.created
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await stub.SetProjectInterval(pb.SetProjectIntervalRequest(project_id="P", poll_interval_s=5))
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
