"""The Alibaba Cloud SMS sandbox and the console's sender, over real HTTP with the official SDK.

The sandbox checks the SDK's ACS3-HMAC-SHA256 signature (and the older RPC v1 one), so a wrong
secret, a tampered call or a replayed nonce is refused the way Alibaba refuses them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from alibabacloud_dysmsapi20170525.client import Client as DysmsClient
from alibabacloud_dysmsapi20170525.models import SendSmsRequest
from alibabacloud_tea_openapi.utils import Utils
from alibabacloud_tea_openapi.utils_models import Config
from sim_helpers import free_tcp_port

from services.console.entrypoints.sms import AlibabaSmsSender, LogSmsSender, SmsNotSent
from simulators.sms import SmsSandboxServer, serve_in_thread

REPO_ROOT = Path(__file__).resolve().parents[2]
KEY_ID, SECRET = "LTAI-test-key", "test-secret-abc"
SIGN, TEMPLATE = "美特物业", "SMS_465000001"
PHONE = "13800138000"


@pytest.fixture
def sandbox() -> Iterator[SmsSandboxServer]:
    with serve_in_thread(0, KEY_ID, SECRET, sign_names=[SIGN], template_codes=[TEMPLATE]) as server:
        yield server


def sender_for(server: SmsSandboxServer, secret: str = SECRET, **options) -> AlibabaSmsSender:
    return AlibabaSmsSender(server.endpoint, KEY_ID, secret, options.pop("sign_name", SIGN),
                            options.pop("template_code", TEMPLATE), **options)


async def read_inbox(server: SmsSandboxServer, phone: str) -> list[dict]:
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
        answer = await client.get("/inbox", params={"phone": phone})
    answer.raise_for_status()
    return answer.json()["messages"]


class TestAlibabaSmsSender:
    async def test_the_login_code_reaches_the_sandbox_inbox(self, sandbox):
        await sender_for(sandbox).send_login_code(PHONE, "482913")
        await sender_for(sandbox).send_login_code("+86" + PHONE, "100200")

        messages = await read_inbox(sandbox, PHONE)
        assert [m["template_param"] for m in messages] == [{"code": "482913"}, {"code": "100200"}]  # newest last
        first = messages[0]
        assert (first["phone"], first["sign_name"], first["template_code"]) == (PHONE, SIGN, TEMPLATE)
        assert first["biz_id"] and first["received_at"]
        assert await read_inbox(sandbox, "13900139000") == []

    async def test_a_wrong_secret_fails_the_signature_check(self, sandbox):
        with pytest.raises(SmsNotSent) as refused:
            await sender_for(sandbox, secret="not-the-secret").send_login_code(PHONE, "482913")
        assert refused.value.code == "SignatureDoesNotMatch"
        assert "短信发送失败" in str(refused.value)
        assert sandbox.inbox(PHONE) == []

    async def test_an_unknown_access_key_is_refused(self, sandbox):
        sender = AlibabaSmsSender(sandbox.endpoint, "LTAI-nobody", SECRET, SIGN, TEMPLATE)
        with pytest.raises(SmsNotSent) as refused:
            await sender.send_login_code(PHONE, "482913")
        assert refused.value.code == "InvalidAccessKeyId.NotFound"

    async def test_an_unreachable_endpoint_raises_sms_not_sent(self):
        sender = AlibabaSmsSender(f"127.0.0.1:{free_tcp_port()}", KEY_ID, SECRET, SIGN, TEMPLATE, timeout_s=2)
        with pytest.raises(SmsNotSent) as failed:
            await sender.send_login_code(PHONE, "482913")
        assert failed.value.code == ""

    @pytest.mark.parametrize(("phone", "options", "code"), [
        ("12345", {}, "isv.MOBILE_NUMBER_ILLEGAL"),
        (PHONE, {"sign_name": "别人的签名"}, "isv.SMS_SIGNATURE_ILLEGAL"),
        (PHONE, {"template_code": "SMS_000"}, "isv.SMS_TEMPLATE_ILLEGAL"),
    ])
    async def test_a_business_refusal_raises_sms_not_sent(self, sandbox, phone, options, code):
        # Alibaba answers these with HTTP 200 and a Code other than OK.
        with pytest.raises(SmsNotSent) as refused:
            await sender_for(sandbox, **options).send_login_code(phone, "482913")
        assert refused.value.code == code
        assert sandbox.inbox() == []

    async def test_the_log_sender_sends_nothing_and_does_not_fail(self):
        await LogSmsSender().send_login_code(PHONE, "482913")


def signed_headers(endpoint: str, query: dict[str, str], secret: str = SECRET, **overrides: str) -> dict[str, str]:
    """Headers of a V3-signed SendSms call, signed by the SDK's own signing function."""
    headers = {"host": endpoint, "x-acs-action": "SendSms", "x-acs-version": "2017-05-25",
               "x-acs-date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "x-acs-signature-nonce": uuid.uuid4().hex, "x-acs-content-sha256": hashlib.sha256(b"").hexdigest(),
               "accept": "application/json", **overrides}
    request = SimpleNamespace(method="POST", pathname="/", query=query, headers=headers)
    headers["Authorization"] = Utils.get_authorization(request, "ACS3-HMAC-SHA256", headers["x-acs-content-sha256"],
                                                       KEY_ID, secret)
    return headers


def send_sms_query(**changes: str) -> dict[str, str]:
    return {"PhoneNumbers": PHONE, "SignName": SIGN, "TemplateCode": TEMPLATE,
            "TemplateParam": json.dumps({"code": "482913"}), **changes}


class TestSandboxSignatureCheck:
    async def test_a_call_changed_after_signing_is_refused(self, sandbox):
        headers = signed_headers(sandbox.endpoint, send_sms_query())
        async with httpx.AsyncClient(base_url=sandbox.url) as client:
            answer = await client.post("/", params=send_sms_query(PhoneNumbers="13900139000"), headers=headers)
        assert answer.status_code == 400
        assert answer.json()["Code"] == "SignatureDoesNotMatch"
        assert {"RequestId", "HostId", "Message", "Recommend"} <= answer.json().keys()

    async def test_a_replayed_nonce_and_a_stale_date_are_refused(self, sandbox):
        headers = signed_headers(sandbox.endpoint, send_sms_query())
        stale = signed_headers(sandbox.endpoint, send_sms_query(), **{"x-acs-date": "2020-01-01T00:00:00Z"})
        async with httpx.AsyncClient(base_url=sandbox.url) as client:
            first = await client.post("/", params=send_sms_query(), headers=headers)
            replay = await client.post("/", params=send_sms_query(), headers=headers)
            late = await client.post("/", params=send_sms_query(), headers=stale)
        assert first.status_code == 200 and first.json()["Code"] == "OK"
        assert (replay.status_code, replay.json()["Code"]) == (400, "SignatureNonceUsed")
        assert (late.status_code, late.json()["Code"]) == (400, "InvalidTimeStamp.Expired")
        assert len(sandbox.inbox(PHONE)) == 1

    @pytest.mark.parametrize(("query", "status", "code"), [
        (send_sms_query(TemplateParam="not json"), 200, "isv.INVALID_JSON_PARAM"),
        ({k: v for k, v in send_sms_query().items() if k != "TemplateParam"}, 200, "isv.TEMPLATE_MISSING_PARAMETERS"),
        ({k: v for k, v in send_sms_query().items() if k != "PhoneNumbers"}, 400, "MissingPhoneNumbers"),
    ])
    async def test_send_sms_parameters_are_checked(self, sandbox, query, status, code):
        async with httpx.AsyncClient(base_url=sandbox.url) as client:
            answer = await client.post("/", params=query, headers=signed_headers(sandbox.endpoint, query))
        assert (answer.status_code, answer.json()["Code"]) == (status, code)

    async def test_an_unsigned_call_is_refused(self, sandbox):
        async with httpx.AsyncClient(base_url=sandbox.url) as client:
            answer = await client.post("/", params=send_sms_query())
        assert (answer.status_code, answer.json()["Code"]) == (400, "IncompleteSignature")

    async def test_the_rpc_v1_signature_is_accepted_too(self, sandbox):
        config = Config(access_key_id=KEY_ID, access_key_secret=SECRET, endpoint=sandbox.endpoint, protocol="http",
                        signature_algorithm="v2")  # the SDK then signs with HMAC-SHA1 in the query
        request = SendSmsRequest(phone_numbers=PHONE, sign_name=SIGN, template_code=TEMPLATE,
                                 template_param=json.dumps({"code": "777000"}))
        answer = await DysmsClient(config).send_sms_async(request)
        assert answer.body.code == "OK" and answer.body.biz_id
        assert [m.template_param for m in sandbox.inbox(PHONE)] == [{"code": "777000"}]


async def test_the_sandbox_runs_from_the_command_line():
    port = free_tcp_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "simulators.sms", "--port", str(port), "--access-key-id", KEY_ID,
        "--access-key-secret", SECRET, "--log-level", "warning", cwd=REPO_ROOT, stdout=asyncio.subprocess.PIPE)
    try:
        server = SimpleNamespace(endpoint=f"127.0.0.1:{port}", url=f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 10
        while True:
            try:
                await sender_for(server).send_login_code(PHONE, "135790")
                break
            except SmsNotSent:
                assert time.monotonic() < deadline, "the sandbox never answered"
                await asyncio.sleep(0.1)
        assert [m["template_param"] for m in await read_inbox(server, PHONE)] == [{"code": "135790"}]
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, _ = await asyncio.wait_for(process.communicate(), timeout=5)
    # uvicorn shuts down gracefully, then re-raises the SIGTERM it caught.
    assert process.returncode in (0, -signal.SIGTERM)
    assert f"http://127.0.0.1:{port}" in stdout.decode()
