"""gRPC aio bootstrap: a server with health checking and reflection, and client channels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from grpc_reflection.v1alpha import reflection

Registration = tuple[Callable[[Any, grpc.aio.Server], None], Any, str]


async def start_grpc_server(host: str, port: int, registrations: list[Registration]) -> tuple[grpc.aio.Server, int]:
    """Serve the given (add_to_server, servicer, full service name) triples; returns the bound port."""
    server = grpc.aio.server()
    health = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    names = [health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME]
    for add_to_server, servicer, name in registrations:
        add_to_server(servicer, server)
        names.append(name)
        await health.set(name, health_pb2.HealthCheckResponse.SERVING)
    await health.set("", health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection(names, server)
    bound = server.add_insecure_port(f"{host}:{port}")
    await server.start()
    return server, bound


def channel(target: str) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(target)


async def wait_healthy(target: str, timeout_s: float = 30.0) -> None:
    """Block until the server at target answers SERVING (start-up ordering in scripts and tests)."""
    import asyncio

    deadline = asyncio.get_running_loop().time() + timeout_s
    async with channel(target) as ch:
        stub = health_pb2_grpc.HealthStub(ch)
        while True:
            try:
                reply = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"gRPC server at {target} not healthy after {timeout_s}s")
            await asyncio.sleep(0.2)
