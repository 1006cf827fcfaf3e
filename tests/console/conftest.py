"""Console test fixtures: a fresh console database built by its migrations (shared helpers below are
added by the owners of identity (HC): an app with real Redis sessions and a login helper)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from console_port_fakes import FakeSms, Tripwire, fake_ports  # noqa: F401 - fixtures' helpers
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

import services.console
from services.console.domain.tree import path_label
from services.console.entrypoints.http.app import create_app
from services.console.entrypoints.http.deps import AppDeps
from services.console.identity import Identity
from services.console.ports import Ports
from services.console.service.operators import ensure_operator
from services.console.settings import ConsoleSettings
from services.console.unit_of_work import ConsoleUnitOfWork
from services.kit.clock import SystemClock

CONSOLE_MIGRATIONS = str(Path(services.console.__file__).parent / "migrations")


@pytest.fixture
async def console_sessions(service_database):
    """async_sessionmaker on a new console database (ltree extension and every table)."""
    return await service_database("console", CONSOLE_MIGRATIONS)


# ---- the app over a real database and Redis (identity: HC) -------------------------------------------

def _mapper():
    try:
        from services.console.entrypoints.events import to_outgoing
    except ImportError:  # the registry mapper is not there yet
        return None
    return to_outgoing


@dataclass
class ConsoleHarness:
    """The console app on a test database and the session's Redis (its own key prefix)."""

    app: FastAPI
    deps: AppDeps
    client: httpx.AsyncClient
    sessions: async_sessionmaker

    @property
    def sms(self) -> FakeSms:
        return self.deps.ports.sms

    async def login(self, username: str, password: str | None) -> dict[str, str]:
        """Bearer headers of a new session; password None: a tenant (phone) by SMS code."""
        return await login_as(self.client, self.deps, username, password)


async def login_as(client: httpx.AsyncClient, deps: AppDeps, username: str, password: str | None) -> dict[str, str]:
    if password is None:
        sent = await client.post("/api/v1/tenant-codes", json={"phone": username})
        assert sent.status_code == 202, sent.text
        answer = await client.post("/api/v1/tenant-sessions",
                                   json={"phone": username, "code": deps.ports.sms.last_code(username)})
    else:
        answer = await client.post("/api/v1/session", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


@pytest.fixture
async def console_app(infra, console_sessions):
    """make(ports=None, sessions=None, clock=None, scope_cache_s=0.0, **settings) -> ConsoleHarness.

    sessions defaults to console_sessions; settings are ConsoleSettings fields (e.g.
    session_idle_timeout_s=1); ports default to fake_ports() (tripwires and a FakeSms)."""
    made: list[ConsoleHarness] = []

    async def make(ports: Ports | None = None, sessions: async_sessionmaker | None = None, clock=None,
                   scope_cache_s: float = 0.0, **settings) -> ConsoleHarness:
        sessions = sessions or console_sessions
        config = ConsoleSettings(**settings)
        mapper = _mapper()

        def new_uow() -> ConsoleUnitOfWork:
            if mapper is None:
                return ConsoleUnitOfWork(sessions, on_commit=lambda: None)
            return ConsoleUnitOfWork(sessions, on_commit=lambda: None, mapper=mapper)

        clock = clock or SystemClock()
        identity = Identity.from_url(infra.redis_url, config, clock, prefix=f"test-{uuid.uuid4().hex[:12]}:",
                                     scope_cache_s=scope_cache_s)
        deps = AppDeps(new_uow=new_uow, ports=ports or fake_ports(), clock=clock, identity=identity,
                       settings=config)
        app = create_app(deps)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console.test")
        harness = ConsoleHarness(app, deps, client, sessions)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        await harness.client.aclose()
        await harness.deps.identity.close()


@pytest.fixture
async def console(console_app) -> ConsoleHarness:
    """The default harness: fake ports, default settings."""
    return await console_app()


@pytest.fixture
def console_client_factory(console_app):
    """make(sessions, ports=None, **settings) -> (app, client, login(username, password | None) -> headers)."""

    async def make(sessions=None, ports: Ports | None = None, **settings):
        harness = await console_app(ports=ports, sessions=sessions, **settings)
        return harness.app, harness.client, harness.login

    return make


@pytest.fixture
def login():
    """login(client_or_harness, username, password | None) -> Bearer headers (None: tenant by SMS code)."""

    async def do(target, username: str, password: str | None) -> dict[str, str]:
        if isinstance(target, ConsoleHarness):
            return await target.login(username, password)
        deps = target._transport.app.state.deps
        return await login_as(target, deps, username, password)

    return do


@pytest.fixture
def add_node(console_sessions):
    """add(node_id, kind, parent_id=None, name=None, area_m2=None, room_use=None) -> path; straight SQL
    (the path and property_id follow the parent's)."""

    async def add(node_id: str, kind: str, parent_id: str | None = None, name: str | None = None,
                  area_m2=None, room_use: str | None = None) -> str:
        async with console_sessions() as s:
            parent = None
            if parent_id is not None:
                parent = (await s.execute(text("SELECT ltree2text(path) AS path, property_id FROM nodes"
                                               " WHERE node_id = :i"), {"i": parent_id})).mappings().one()
            path = f"{parent['path']}.{path_label(node_id)}" if parent else path_label(node_id)
            property_id = node_id if kind == "property" else (parent["property_id"] if parent else None)
            await s.execute(text("INSERT INTO nodes (node_id, kind, name, parent_id, path, property_id, area_m2,"
                                 " room_use) VALUES (:i, :k, :n, :p, text2ltree(:path), :prop, :area, :use)"),
                            {"i": node_id, "k": kind, "n": name or node_id, "p": parent_id, "path": path,
                             "prop": property_id, "area": area_m2, "use": room_use})
            await s.commit()
        return path

    return add


@pytest.fixture
async def console_tree(add_node) -> dict[str, str]:
    """G -> east -> prop-a (-> a-b1 -> a-b1-f1 -> room-a1) and G -> west -> prop-b (-> ... room-b1);
    returns node id -> path."""
    paths = {"G": await add_node("G", "group", name="集团")}
    for region, prop, tag in (("east", "prop-a", "a"), ("west", "prop-b", "b")):
        paths[region] = await add_node(region, "region", "G")
        paths[prop] = await add_node(prop, "property", region)
        paths[f"{tag}-b1"] = await add_node(f"{tag}-b1", "building", prop)
        paths[f"{tag}-b1-f1"] = await add_node(f"{tag}-b1-f1", "floor", f"{tag}-b1")
        paths[f"room-{tag}1"] = await add_node(f"room-{tag}1", "room", f"{tag}-b1-f1", area_m2=50, room_use="shop")
    return paths


@pytest.fixture
def make_operator(console_sessions):
    """make(username, password, grants=[(role_id, node_id)], display_name=None) -> operator_id, through
    service.operators.ensure_operator (built-in roles included); nodes must exist (add_node)."""

    async def make(username: str, password: str, grants=(), display_name: str | None = None) -> str:
        uow = ConsoleUnitOfWork(console_sessions, on_commit=lambda: None)
        async with uow:
            operator_id = await ensure_operator(uow, username, display_name or username, password, list(grants))
            await uow.commit()
        return operator_id

    return make
