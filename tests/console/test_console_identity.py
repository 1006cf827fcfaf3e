"""Identity: throttled logins, CSRF on cookie sessions, revocation on password change, idle and absolute
timeouts, personal API tokens, tenants' SMS codes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from services.kit.clock import FixedClock

PASSWORD = "right-password"


async def _hq(make_operator, console_tree) -> str:
    return await make_operator("hq", PASSWORD, [("hq_admin", "G")])


async def _login(client, username: str = "hq", password: str = PASSWORD):
    return await client.post("/api/v1/session", json={"username": username, "password": password})


def _bearer(answer) -> dict[str, str]:
    return {"Authorization": f"Bearer {answer.json()['token']}"}


async def _audit_rows(sessions, action: str) -> list[dict]:
    async with sessions() as s:
        rows = await s.execute(text("SELECT actor, outcome, detail, address FROM audit_log WHERE action = :a"
                                    " ORDER BY audit_id"), {"a": action})
        return [dict(r) for r in rows.mappings()]


class TestLogin:
    async def test_login_answers_a_token_and_sets_the_cookies(self, console, console_tree, make_operator):
        await _hq(make_operator, console_tree)
        answer = await _login(console.client)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["operator"]["username"] == "hq" and body["grants"][0]["role_id"] == "hq_admin"
        cookie = answer.headers.get_list("set-cookie")
        session_cookie = next(c for c in cookie if c.startswith("mp_session="))
        assert "HttpOnly" in session_cookie and "samesite=lax" in session_cookie.lower()
        assert any(c.startswith(f"mp_csrf={body['csrf_token']}") for c in cookie)
        me = await console.client.get("/api/v1/session", headers=_bearer(answer))
        assert me.status_code == 200 and me.json()["operator"]["username"] == "hq"

    async def test_a_wrong_password_is_401_and_audited(self, console, console_tree, make_operator):
        await _hq(make_operator, console_tree)
        answer = await _login(console.client, password="wrong-password")
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "bad_credentials"
        unknown = await _login(console.client, username="nobody")
        assert unknown.status_code == 401 and unknown.json()["error"] == answer.json()["error"]
        rows = await _audit_rows(console.sessions, "session.login")
        assert [(r["actor"], r["outcome"]) for r in rows] == [("hq", "failed"), ("nobody", "failed")]

    async def test_the_sixth_attempt_of_a_user_is_refused_even_with_the_right_password(
            self, console, console_tree, make_operator):
        await _hq(make_operator, console_tree)
        for _ in range(5):
            assert (await _login(console.client, password="wrong-password")).status_code == 401
        refused = await _login(console.client)
        assert refused.status_code == 429, refused.text
        assert refused.json()["error"]["code"] == "too_many_attempts"
        outcomes = [r["outcome"] for r in await _audit_rows(console.sessions, "session.login")]
        assert outcomes == ["failed"] * 5 + ["denied"]

    async def test_an_address_is_throttled_across_usernames(self, console_app, console_tree, make_operator):
        harness = await console_app(login_failures_per_address=3, login_failures_per_user=100)
        await _hq(make_operator, console_tree)
        for name in ("a1", "a2", "a3"):
            assert (await _login(harness.client, username=name)).status_code == 401
        assert (await _login(harness.client)).status_code == 429

    async def test_a_success_clears_the_users_failures(self, console, console_tree, make_operator):
        await _hq(make_operator, console_tree)
        for _ in range(4):
            await _login(console.client, password="wrong-password")
        assert (await _login(console.client)).status_code == 200
        for _ in range(4):
            await _login(console.client, password="wrong-password")
        assert (await _login(console.client)).status_code == 200

    async def test_a_disabled_operator_cannot_log_in(self, console, console_tree, make_operator):
        await _hq(make_operator, console_tree)
        async with console.sessions() as s:
            await s.execute(text("UPDATE operators SET disabled = true WHERE username = 'hq'"))
            await s.commit()
        assert (await _login(console.client)).status_code == 401


class TestCsrf:
    async def test_a_cookie_post_needs_the_csrf_header(self, console, console_tree, make_operator):
        await _hq(make_operator, console_tree)
        answer = await _login(console.client)   # the client keeps the cookies
        without = await console.client.post("/api/v1/tokens", json={"name": "ci"})
        assert without.status_code == 403 and without.json()["error"]["code"] == "csrf"
        wrong = await console.client.post("/api/v1/tokens", json={"name": "ci"}, headers={"X-CSRF-Token": "x"})
        assert wrong.status_code == 403
        csrf = console.client.cookies["mp_csrf"]
        assert csrf == answer.json()["csrf_token"]
        ok = await console.client.post("/api/v1/tokens", json={"name": "ci"}, headers={"X-CSRF-Token": csrf})
        assert ok.status_code == 201, ok.text
        assert (await console.client.get("/api/v1/tokens")).status_code == 200   # reads need no token

    async def test_bearer_requests_need_no_csrf_token(self, console, console_tree, make_operator):
        await _hq(make_operator, console_tree)
        headers = _bearer(await _login(console.client))
        console.client.cookies.clear()
        assert (await console.client.post("/api/v1/tokens", json={"name": "ci"}, headers=headers)).status_code == 201

    async def test_logout_ends_the_session(self, console, console_tree, make_operator):
        await _hq(make_operator, console_tree)
        headers = _bearer(await _login(console.client))
        assert (await console.client.delete("/api/v1/session", headers=headers)).status_code == 204
        assert (await console.client.get("/api/v1/session", headers=headers)).status_code == 401


class TestRevocationAndTimeouts:
    async def test_a_password_change_ends_every_session(self, console, console_tree, make_operator):
        await _hq(make_operator, console_tree)
        first, second = _bearer(await _login(console.client)), _bearer(await _login(console.client))
        changed = await console.client.post("/api/v1/session/password", headers=first,
                                            json={"old_password": PASSWORD, "new_password": "new-password-1"})
        assert changed.status_code == 200, changed.text
        for old in (first, second):
            assert (await console.client.get("/api/v1/session", headers=old)).status_code == 401
        assert (await console.client.get("/api/v1/session", headers=_bearer(changed))).status_code == 200
        assert (await _login(console.client)).status_code == 401
        assert (await _login(console.client, password="new-password-1")).status_code == 200

    async def test_a_wrong_old_password_or_a_short_new_one_changes_nothing(self, console, console_tree,
                                                                           make_operator):
        await _hq(make_operator, console_tree)
        headers = _bearer(await _login(console.client))
        wrong = await console.client.post("/api/v1/session/password", headers=headers,
                                          json={"old_password": "nope", "new_password": "new-password-1"})
        assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "wrong_password"
        short = await console.client.post("/api/v1/session/password", headers=headers,
                                          json={"old_password": PASSWORD, "new_password": "short"})
        assert short.status_code == 422
        assert (await console.client.get("/api/v1/session", headers=headers)).status_code == 200

    async def test_an_idle_session_expires(self, console_app, console_tree, make_operator):
        harness = await console_app(session_idle_timeout_s=1)
        await _hq(make_operator, console_tree)
        headers = _bearer(await _login(harness.client))
        for _ in range(3):   # each use restarts the idle timer
            await asyncio.sleep(0.5)
            assert (await harness.client.get("/api/v1/session", headers=headers)).status_code == 200
        await asyncio.sleep(1.3)
        assert (await harness.client.get("/api/v1/session", headers=headers)).status_code == 401

    async def test_a_session_ends_at_its_absolute_timeout_however_busy(self, console_app, console_tree,
                                                                        make_operator):
        clock = FixedClock(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
        harness = await console_app(clock=clock, session_absolute_timeout_s=3600)
        await _hq(make_operator, console_tree)
        headers = _bearer(await _login(harness.client))
        clock.advance(timedelta(minutes=59))
        assert (await harness.client.get("/api/v1/session", headers=headers)).status_code == 200
        clock.advance(timedelta(minutes=1))
        assert (await harness.client.get("/api/v1/session", headers=headers)).status_code == 401

    async def test_no_credentials_is_401(self, console):
        answer = await console.client.get("/api/v1/session")
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthenticated"
        forged = await console.client.get("/api/v1/session", headers={"Authorization": "Bearer forged"})
        assert forged.status_code == 401


class TestApiTokens:
    async def test_a_token_works_with_its_operators_scope_until_revoked(self, console, console_tree,
                                                                         make_operator):
        await _hq(make_operator, console_tree)
        headers = _bearer(await _login(console.client))
        created = await console.client.post("/api/v1/tokens", json={"name": "ERP"}, headers=headers)
        assert created.status_code == 201
        token, token_id = created.json()["token"], created.json()["token_id"]
        assert token.startswith("mpt_")
        api = {"Authorization": f"Bearer {token}"}
        me = await console.client.get("/api/v1/session", headers=api)
        assert me.status_code == 200 and me.json()["via"] == "api_token"
        assert (await console.client.get("/api/v1/operators", headers=api)).status_code == 200
        listed = await console.client.get("/api/v1/tokens", headers=headers)
        assert [t["token_id"] for t in listed.json()["items"]] == [token_id] and token not in listed.text
        async with console.sessions() as s:
            stored = (await s.execute(text("SELECT token_hash FROM api_tokens"))).scalar_one()
        assert token not in stored and len(stored) == 64
        revoked = await console.client.delete(f"/api/v1/tokens/{token_id}", headers=headers)
        assert revoked.status_code == 200 and revoked.json()["revoked_at"]
        assert (await console.client.get("/api/v1/session", headers=api)).status_code == 401
        assert (await console.client.delete(f"/api/v1/tokens/{token_id}", headers=headers)).status_code == 404
        actions = [r["outcome"] for r in await _audit_rows(console.sessions, "token.revoke")]
        assert actions == ["ok"]


class TestTenantCodes:
    async def _tenant(self, sessions, phone: str = "13800000001") -> None:
        async with sessions() as s:
            await s.execute(text("INSERT INTO tenants (tenant_id, name, phone, property_id, path)"
                                 " SELECT 't-1', '张三', :ph, 'prop-a', path FROM nodes WHERE node_id = 'prop-a'"),
                            {"ph": phone})
            await s.commit()

    async def test_a_tenant_logs_in_with_the_texted_code(self, console, console_tree):
        await self._tenant(console.sessions)
        sent = await console.client.post("/api/v1/tenant-codes", json={"phone": "138 0000 0001"})
        assert sent.status_code == 202
        code = console.sms.last_code("13800000001")
        assert len(code) == 6 and code.isdigit()
        answer = await console.client.post("/api/v1/tenant-sessions", json={"phone": "13800000001", "code": code})
        assert answer.status_code == 200, answer.text
        assert answer.json()["tenant"]["tenant_id"] == "t-1"
        me = await console.client.get("/api/v1/session", headers=_bearer(answer))
        assert me.json()["kind"] == "tenant" and me.json()["tenant"]["name"] == "张三"
        again = await console.client.post("/api/v1/tenant-sessions", json={"phone": "13800000001", "code": code})
        assert again.status_code == 401   # used once
        tenant_to_operators = await console.client.get("/api/v1/operators", headers=_bearer(answer))
        assert tenant_to_operators.status_code == 404

    async def test_an_unknown_phone_gets_the_same_answer_and_no_text(self, console, console_tree):
        answer = await console.client.post("/api/v1/tenant-codes", json={"phone": "13900000009"})
        assert answer.status_code == 202 and console.sms.sent == []

    async def test_wrong_codes_use_up_the_code(self, console_app, console_tree):
        harness = await console_app(login_code_attempts=3)
        await self._tenant(harness.sessions)
        await harness.client.post("/api/v1/tenant-codes", json={"phone": "13800000001"})
        code = harness.sms.last_code("13800000001")
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(3):
            answer = await harness.client.post("/api/v1/tenant-sessions",
                                               json={"phone": "13800000001", "code": wrong})
            assert answer.status_code == 401 and answer.json()["error"]["code"] == "bad_code"
        late = await harness.client.post("/api/v1/tenant-sessions", json={"phone": "13800000001", "code": code})
        assert late.status_code == 401

    async def test_a_code_expires(self, console_app, console_tree):
        harness = await console_app(login_code_ttl_s=1)
        await self._tenant(harness.sessions)
        await harness.client.post("/api/v1/tenant-codes", json={"phone": "13800000001"})
        code = harness.sms.last_code("13800000001")
        await asyncio.sleep(1.3)
        answer = await harness.client.post("/api/v1/tenant-sessions", json={"phone": "13800000001", "code": code})
        assert answer.status_code == 401

    async def test_code_requests_are_throttled(self, console_app, console_tree):
        harness = await console_app(login_failures_per_user=2)
        await self._tenant(harness.sessions)
        for _ in range(2):
            assert (await harness.client.post("/api/v1/tenant-codes", json={"phone": "13800000001"})).status_code == 202
        assert (await harness.client.post("/api/v1/tenant-codes", json={"phone": "13800000001"})).status_code == 429
        assert len(harness.sms.sent) == 2
