"""The scope matrix, generated from the app's own route table, so a new route cannot escape it.

Two properties in two regions, one object of every kind in each (console_scope_seed.py). The manager
of property A holds every permission there (HQ-admin role granted at A), so only the scope can refuse:
- every route with an object id in its path, given property B's object, answers 404 (like an absent
  one) and never reaches an owning service (the ports are tripwires);
- every list answers only A's items: no B id anywhere in the body, every item with A's property_id;
- a tenant of A asking for B's account through the tenant API gets 404.
"""

from __future__ import annotations

import json
import re

import pytest
from console_port_fakes import fake_ports, read_only_ports
from console_scope_seed import PASSWORD, A, B, seed

PARAM = re.compile(r"{(\w+)}")
# Routes whose path parameters name no object of a property (none today).
NOT_OBJECT_ROUTES: set[tuple[str, str]] = set()


def _operations(app) -> list[tuple[str, str]]:
    """(method, path) of every operation the app serves under /api/v1, from its own OpenAPI document
    (FastAPI builds it from the route table; a route hidden from the schema would be a bug in itself)."""
    found = []
    for path, item in app.openapi()["paths"].items():
        if path.startswith("/api/v1/"):
            found += [(m.upper(), path) for m in item if m in ("get", "post", "put", "patch", "delete")]
    return sorted(found)


def object_routes(app) -> list[tuple[str, str]]:
    return [(m, p) for m, p in _operations(app) if PARAM.search(p) and (m, p) not in NOT_OBJECT_ROUTES]


def list_routes(app) -> list[str]:
    return [p for m, p in _operations(app) if m == "GET" and not PARAM.search(p) and _returns_page(app, p)]


def _returns_page(app, path: str) -> bool:
    schema = app.openapi()["paths"][path]["get"]["responses"].get("200", {})
    text = json.dumps(schema)
    ref = re.search(r'"#/components/schemas/(\w+)"', text)
    if not ref:
        return False
    props = app.openapi()["components"]["schemas"][ref.group(1)].get("properties", {})
    return "items" in props and "next" in props


def example(schema: dict, components: dict, depth: int = 0) -> object:
    """A minimal valid instance of a JSON schema (required fields only)."""
    if "$ref" in schema:
        return example(components[schema["$ref"].rsplit("/", 1)[1]], components, depth + 1)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return example(options[0], components, depth + 1)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {k: example(props[k], components, depth + 1) for k in schema.get("required", []) if depth < 6}
    if kind == "array":
        return [example(schema.get("items", {}), components, depth + 1)] if schema.get("minItems") else []
    if kind == "integer":
        return max(1, int(schema.get("minimum", schema.get("exclusiveMinimum", 0))) + 1)
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return "2026-12-01"
    if schema.get("format") == "date-time":
        return "2026-12-01T00:00:00Z"
    return "x" * max(1, int(schema.get("minLength", 1)))


def request_body(app, method: str, path: str) -> object | None:
    spec = app.openapi()
    body = spec["paths"][path][method.lower()].get("requestBody")
    if not body:
        return None
    content = body.get("content", {})
    if "application/json" not in content:
        return None
    return example(content["application/json"]["schema"], spec.get("components", {}).get("schemas", {}))


def required_query(app, method: str, path: str) -> dict:
    """Values for the operation's required query parameters (a report's date range, ...)."""
    spec = app.openapi()
    components = spec.get("components", {}).get("schemas", {})
    params = spec["paths"][path][method.lower()].get("parameters", [])
    return {p["name"]: example(p.get("schema", {}), components) for p in params
            if p.get("in") == "query" and p.get("required")}


def fill(path: str, ids: dict[str, str]) -> str:
    def one(match: re.Match) -> str:
        name = match.group(1)
        assert name in ids, f"path parameter {{{name}}} of {path} names no object kind the scope matrix knows"
        return ids[name]

    return PARAM.sub(one, path)


@pytest.fixture
async def strict_world(console_client_factory, console_sessions):
    """Every owning service is a tripwire: an out-of-scope object must be refused before any call."""
    await seed(console_sessions)
    return await console_client_factory(console_sessions, ports=fake_ports())


@pytest.fixture
async def world(console_client_factory, console_sessions):
    """Reads of the owning services answer (neutral values); any change request still fails the test."""
    await seed(console_sessions)
    return await console_client_factory(console_sessions, ports=fake_ports(**read_only_ports()))


async def test_every_object_route_answers_404_for_another_propertys_object(strict_world):
    app, client, login = strict_world
    headers = await login(A.username, PASSWORD)
    routes = object_routes(app)
    assert len(routes) >= 20, routes  # the API of the issue: rooms, meters, accounts, commands, ...
    leaks = []
    for method, path in routes:
        url = fill(path, B.ids())
        body = request_body(app, method, path)
        response = await client.request(method, url, headers={**headers, "Idempotency-Key": f"m-{method}-{url}"},
                                        json=body)
        if response.status_code != 404:
            leaks.append(f"{method} {url} -> {response.status_code} {response.text[:200]}")
    assert not leaks, "\n".join(leaks)


async def test_object_routes_reach_the_callers_own_objects(world):
    app, client, login = world
    headers = await login(A.username, PASSWORD)
    missing = []
    for method, path in object_routes(app):
        if method != "GET" or path.startswith("/api/v1/me/"):
            continue
        url = fill(path, A.ids())
        response = await client.get(url, headers=headers)
        if response.status_code == 404:
            missing.append(f"GET {url} -> 404 {response.text[:200]}")
    assert not missing, "\n".join(missing)


async def test_every_list_holds_only_the_callers_scope(world):
    app, client, login = world
    headers = await login(A.username, PASSWORD)
    lists = list_routes(app)
    assert len(lists) >= 8, lists
    b_ids = [v for v in B.ids().values()] + [B.username, B.phone]
    leaks = []
    for path in lists:
        response = await client.get(path, headers=headers, params=required_query(app, "GET", path))
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:300]}"
        text = response.text
        leaks += [f"{path} shows {bid}" for bid in b_ids if bid in text]
        for item in response.json()["items"]:
            if "property_id" not in item:
                leaks.append(f"{path}: an item without property_id: {item}")
            elif item["property_id"] not in (A.property, None):
                leaks.append(f"{path}: item of {item['property_id']}")
    assert not leaks, "\n".join(leaks)


async def test_a_tenant_reaches_only_their_own_accounts(world):
    app, client, login = world
    tenant_headers = await login(A.phone, None)
    own = await client.get(f"/api/v1/me/accounts/{A.account}", headers=tenant_headers)
    assert own.status_code == 200, own.text
    other = await client.get(f"/api/v1/me/accounts/{B.account}", headers=tenant_headers)
    assert other.status_code == 404
    listed = await client.get("/api/v1/me/accounts", headers=tenant_headers)
    assert A.account in listed.text and B.account not in listed.text
    for method, path in object_routes(app):
        if not path.startswith("/api/v1/me/"):
            continue
        url = fill(path, B.ids())
        response = await client.request(method, url, headers={**tenant_headers, "Idempotency-Key": f"t-{url}"},
                                        json=request_body(app, method, path))
        assert response.status_code == 404, f"{method} {url} -> {response.status_code}"
    operator_route = await client.get(f"/api/v1/accounts/{A.account}", headers=tenant_headers)
    assert operator_route.status_code in (401, 403, 404)
