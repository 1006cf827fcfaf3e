"""Alibaba Cloud SMS sandbox: SendSms (dysmsapi, API version 2017-05-25) with the signature checked.

Wire format, as the official SDK (alibabacloud-dysmsapi20170525 4.x on alibabacloud-tea-openapi
0.4) sends it by default: POST / with the API parameters (PhoneNumbers, SignName, TemplateCode,
TemplateParam, ...) in the query string and an empty body, signed with the V3 scheme in the
Authorization header:

    Authorization: ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<a;b;...>,Signature=<hex>
    CanonicalRequest = METHOD\\n/path\\nCanonicalQuery\\nCanonicalHeaders\\nSignedHeaders\\nhex(sha256(body))
    StringToSign     = "ACS3-HMAC-SHA256\\n" + hex(sha256(CanonicalRequest))
    Signature        = hex(HMAC-SHA256(AccessKeySecret, StringToSign))

CanonicalQuery is key=value sorted by key, RFC 3986 percent-encoded (space as %20, "~" kept);
CanonicalHeaders is "name:trimmed value\\n" per signed header, lower-cased and sorted (the SDK
signs every header it sets: accept, host, user-agent, x-acs-*). Action and version travel in
x-acs-action / x-acs-version, the UTC time in x-acs-date (15 minutes of skew allowed) and a
one-time x-acs-signature-nonce. The older RPC scheme (v1: query parameters Signature,
SignatureMethod=HMAC-SHA1, AccessKeyId, Timestamp, SignatureNonce; the SDK uses it when
Config.signature_algorithm="v2") is accepted as well.

Errors have Alibaba's JSON shape {RequestId, HostId, Code, Message, Recommend}: a bad signature
is HTTP 400 SignatureDoesNotMatch, an unknown AccessKeyId HTTP 404 InvalidAccessKeyId.NotFound.
SendSms business failures (bad number, bad TemplateParam, unknown sign or template) are HTTP 200
with a Code other than "OK", as the real service answers them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

HOST_ID = "dysmsapi.aliyuncs.com"
API_VERSION = "2017-05-25"
ACS3 = "ACS3-HMAC-SHA256"
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
TIME_SKEW_S = 15 * 60
NONCE_MEMORY = 10_000
INBOX_LIMIT = 10_000
MAX_PHONES = 1_000
DEFAULT_ACCESS_KEY_ID = "LTAI-sandbox-key-id"
DEFAULT_ACCESS_KEY_SECRET = "sandbox-access-key-secret"
# Headers Alibaba requires in SignedHeaders (content-type too, when there is a body).
V3_REQUIRED_SIGNED = frozenset({"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce",
                                "x-acs-content-sha256"})


class ApiError(Exception):
    """An answer other than success; status 200 for SendSms business errors, as Alibaba does."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message

    def body(self, request_id: str) -> dict[str, str]:
        answer = {"RequestId": request_id, "Code": self.code, "Message": self.message}
        if self.status >= 400:
            answer |= {"HostId": HOST_ID,
                       "Recommend": f"https://api.aliyun.com/troubleshoot?q={self.code}&product=Dysmsapi"}
        return answer


def signature_mismatch(string_to_sign: str) -> ApiError:
    return ApiError(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. "
                    f"server string to sign is:{string_to_sign}")


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    sign_name: str
    template_code: str
    template_param: dict[str, Any]
    received_at: str
    biz_id: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ApiCall:
    """One HTTP request as received: what both signature schemes are checked against."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, list[str]]
    body: bytes = b""
    form: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str:
        values = self.headers.get(name)
        return values[0] if values else ""

    @property
    def params(self) -> dict[str, str]:
        return dict(self.query) | dict(self.form)


def percent_encode(text: str) -> str:
    return quote(text, safe="~")


def canonical_query(pairs: Iterable[tuple[str, str]]) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(pairs))


def acs3_string_to_sign(call: ApiCall, signed_headers: list[str]) -> str:
    canonical_headers = "".join(f"{name}:{','.join(sorted(v.strip() for v in call.headers.get(name, [])))}\n"
                                for name in signed_headers)
    canonical_request = "\n".join([call.method.upper(), quote(unquote(call.path or "/"), safe="/~"),
                                   canonical_query(call.query), canonical_headers, ";".join(signed_headers),
                                   hashlib.sha256(call.body).hexdigest()])
    return f"{ACS3}\n{hashlib.sha256(canonical_request.encode()).hexdigest()}"


def acs3_signature(secret: str, string_to_sign: str) -> str:
    return hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


def rpc_v1_string_to_sign(call: ApiCall) -> str:
    signed = [(k, v) for k, v in [*call.query, *call.form] if k != "Signature"]
    return f"{call.method.upper()}&{percent_encode('/')}&{percent_encode(canonical_query(signed))}"


def rpc_v1_signature(secret: str, string_to_sign: str) -> str:
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def parse_authorization(value: str) -> tuple[str, str, list[str], str]:
    """(algorithm, AccessKeyId, signed header names, signature) of a V3 Authorization header."""
    algorithm, _, rest = value.strip().partition(" ")
    fields = {name.strip(): text.strip() for name, _, text in (part.partition("=") for part in rest.split(","))}
    if algorithm != ACS3 or not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
        raise ApiError(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
    signed = [name.lower() for name in fields["SignedHeaders"].split(";") if name]
    return algorithm, fields["Credential"], signed, fields["Signature"]


def national_number(phone: str) -> str:
    """A mainland number without its +86 / 0086 / 86 prefix (what the inbox is searched by)."""
    digits = phone.strip().removeprefix("+")
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def is_mobile_number(phone: str) -> bool:
    number = national_number(phone)
    return len(number) == 11 and number.isdigit() and number.startswith("1")


def parse_template_param(text: str | None) -> dict[str, Any]:
    if not text:
        raise ApiError(200, "isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值")
    try:
        values = json.loads(text)
    except ValueError:
        values = None
    if not isinstance(values, dict) or not all(isinstance(v, str | int) for v in values.values()):
        raise ApiError(200, "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
    return values


class AlibabaSmsSandbox:
    """The SMS service of one Alibaba Cloud account: its AccessKeys, signs, templates and an inbox."""

    def __init__(self, access_keys: Mapping[str, str], sign_names: Iterable[str] | None = None,
                 template_codes: Iterable[str] | None = None, clock: Callable[[], float] = time.time) -> None:
        self.access_keys = dict(access_keys)
        # None accepts any sign / template; a set rejects the others like an account without them.
        self.sign_names = frozenset(sign_names) if sign_names else None
        self.template_codes = frozenset(template_codes) if template_codes else None
        self.clock = clock
        self._messages: deque[SmsMessage] = deque(maxlen=INBOX_LIMIT)
        self._nonces: deque[str] = deque()
        self._nonce_set: set[str] = set()
        self._lock = threading.Lock()  # the server thread writes while tests read

    # --- inbox -----------------------------------------------------------------------------------
    def inbox(self, phone: str | None = None) -> list[SmsMessage]:
        """Messages received, oldest first; only those to this number when one is given."""
        with self._lock:
            messages = list(self._messages)
        if phone is None:
            return messages
        wanted = national_number(phone)
        return [m for m in messages if national_number(m.phone) == wanted]

    def clear(self) -> int:
        with self._lock:
            count = len(self._messages)
            self._messages.clear()
        return count

    # --- the API -----------------------------------------------------------------------------------
    def handle(self, call: ApiCall) -> dict[str, str]:
        """Authenticate one call and run it; raises ApiError with Alibaba's code when it fails."""
        action, version = self.authenticate(call)
        if action != "SendSms":
            raise ApiError(404, "InvalidAction.NotFound",
                           "Specified api is not found, please check your url and method.")
        if version != API_VERSION:
            raise ApiError(400, "InvalidVersion", "Specified parameter Version is not valid.")
        return self.send_sms(call.params)

    def authenticate(self, call: ApiCall) -> tuple[str, str]:
        """Check the signature (V3 header or RPC v1 query); (action, version) of the verified call."""
        if call.header("authorization"):
            self._check_acs3(call)
            stamp, nonce = call.header("x-acs-date"), call.header("x-acs-signature-nonce")
            action, version = call.header("x-acs-action"), call.header("x-acs-version")
        elif "Signature" in call.params:
            self._check_rpc_v1(call)
            params = call.params
            stamp, nonce = params.get("Timestamp", ""), params.get("SignatureNonce", "")
            action, version = params.get("Action", ""), params.get("Version", "")
        else:
            raise ApiError(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
        self._check_fresh(stamp, nonce)
        return action, version

    def _secret_for(self, access_key_id: str) -> str:
        secret = self.access_keys.get(access_key_id)
        if secret is None:
            raise ApiError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        return secret

    def _check_acs3(self, call: ApiCall) -> None:
        _, key_id, signed, signature = parse_authorization(call.header("authorization"))
        secret = self._secret_for(key_id)
        required = V3_REQUIRED_SIGNED | ({"content-type"} if call.body else set())
        if missing := required - set(signed):
            raise ApiError(400, "IncompleteSignature",
                           f"The request signature does not conform to Aliyun standards: unsigned {sorted(missing)}")
        string_to_sign = acs3_string_to_sign(call, signed)
        if not hmac.compare_digest(acs3_signature(secret, string_to_sign), signature.lower()):
            raise signature_mismatch(string_to_sign)

    def _check_rpc_v1(self, call: ApiCall) -> None:
        params = call.params
        secret = self._secret_for(params.get("AccessKeyId", ""))
        if params.get("SignatureMethod") != "HMAC-SHA1" or params.get("SignatureVersion") != "1.0":
            raise ApiError(400, "InvalidSignatureMethod", "Specified signature method is not supported.")
        string_to_sign = rpc_v1_string_to_sign(call)
        if not hmac.compare_digest(rpc_v1_signature(secret, string_to_sign), params["Signature"]):
            raise signature_mismatch(string_to_sign)

    def _check_fresh(self, stamp: str, nonce: str) -> None:
        try:
            sent_at_s = datetime.strptime(stamp, TIMESTAMP_FORMAT).replace(tzinfo=UTC).timestamp()
        except ValueError:
            raise ApiError(400, "InvalidTimeStamp.Format",
                           "Specified time stamp or date value is not well formatted.") from None
        if abs(self.clock() - sent_at_s) > TIME_SKEW_S:
            raise ApiError(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        if not nonce:
            raise ApiError(400, "MissingSignatureNonce", "SignatureNonce is mandatory for this action.")
        with self._lock:
            if nonce in self._nonce_set:
                raise ApiError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
            self._nonces.append(nonce)
            self._nonce_set.add(nonce)
            if len(self._nonces) > NONCE_MEMORY:
                self._nonce_set.discard(self._nonces.popleft())

    def send_sms(self, params: Mapping[str, str]) -> dict[str, str]:
        """SendSms: check the parameters, put one message per number in the inbox, answer with a BizId."""
        for name in ("PhoneNumbers", "SignName", "TemplateCode"):
            if not params.get(name):
                raise ApiError(400, f"Missing{name}", f"{name} is mandatory for this action.")
        phones = [p.strip() for p in params["PhoneNumbers"].split(",") if p.strip()]
        if not phones or len(phones) > MAX_PHONES or not all(is_mobile_number(p) for p in phones):
            raise ApiError(200, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        if self.sign_names is not None and params["SignName"] not in self.sign_names:
            raise ApiError(200, "isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
        if self.template_codes is not None and params["TemplateCode"] not in self.template_codes:
            raise ApiError(200, "isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
        template_param = parse_template_param(params.get("TemplateParam"))
        biz_id = f"{secrets.randbelow(10**18):018d}^0"
        received_at = datetime.now(UTC).isoformat()
        with self._lock:
            self._messages.extend(SmsMessage(phone, params["SignName"], params["TemplateCode"], template_param,
                                             received_at, biz_id) for phone in phones)
        return {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": new_request_id()}

    # --- HTTP --------------------------------------------------------------------------------------
    def create_app(self) -> FastAPI:
        app = FastAPI(title="Alibaba Cloud SMS sandbox", docs_url=None, redoc_url=None, openapi_url=None)

        @app.api_route("/", methods=["GET", "POST"])
        async def rpc(request: Request) -> JSONResponse:
            call = await read_call(request)
            try:
                return JSONResponse(self.handle(call))
            except ApiError as error:
                return JSONResponse(error.body(new_request_id()), status_code=error.status)

        @app.get("/inbox")
        async def inbox(phone: str | None = None) -> dict[str, list[dict[str, Any]]]:
            return {"messages": [m.as_dict() for m in self.inbox(phone)]}

        @app.delete("/inbox")
        async def clear_inbox() -> dict[str, int]:
            return {"cleared": self.clear()}

        return app


def new_request_id() -> str:
    return str(uuid.uuid4()).upper()


async def read_call(request: Request) -> ApiCall:
    body = await request.body()
    headers: dict[str, list[str]] = {}
    for name, value in request.headers.raw:
        headers.setdefault(name.decode("latin-1").lower(), []).append(value.decode("utf-8", "replace"))
    query = parse_qsl(request.scope.get("query_string", b"").decode("utf-8", "replace"), keep_blank_values=True)
    form: list[tuple[str, str]] = []
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    return ApiCall(request.method, request.url.path, query, headers, body, form)


class SmsSandboxServer:
    """A sandbox served by uvicorn on its own thread; .endpoint is what the SDK's Config.endpoint wants."""

    def __init__(self, sandbox: AlibabaSmsSandbox, server: uvicorn.Server, thread: threading.Thread,
                 host: str, port: int) -> None:
        self.sandbox, self._server, self._thread = sandbox, server, thread
        self.host, self.port = host, port

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    def inbox(self, phone: str | None = None) -> list[SmsMessage]:
        return self.sandbox.inbox(phone)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> SmsSandboxServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_in_thread(port: int = 0, key_id: str = DEFAULT_ACCESS_KEY_ID, secret: str = DEFAULT_ACCESS_KEY_SECRET,
                    host: str = "127.0.0.1", startup_timeout_s: float = 10.0,
                    **sandbox_options: Any) -> SmsSandboxServer:
    """Start a sandbox on host:port (0: a free port, see .port) and return once it accepts calls."""
    sandbox = AlibabaSmsSandbox({key_id: secret}, **sandbox_options)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(sandbox.create_app(), log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="sms-sandbox", daemon=True)
    thread.start()
    deadline_s = time.monotonic() + startup_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline_s:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"SMS sandbox did not start on {host}:{port}")
        time.sleep(0.01)
    return SmsSandboxServer(sandbox, server, thread, host, bound_port)
