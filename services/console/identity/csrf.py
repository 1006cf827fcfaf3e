"""CSRF: a cookie-authenticated request that changes something must echo the session's CSRF token in
the X-CSRF-Token header (the page reads it from the `mp_csrf` cookie). A browser sends cookies on
cross-site requests but a foreign page can neither read our cookie nor set our header. Requests with
Authorization: Bearer carry no ambient credential and need no token."""

from __future__ import annotations

import hmac

from services.console.domain.errors import Forbidden
from services.console.identity.sessions import SessionData

SESSION_COOKIE = "mp_session"
CSRF_COOKIE = "mp_csrf"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def check_csrf(method: str, header_token: str | None, session: SessionData) -> None:
    if method.upper() not in UNSAFE_METHODS:
        return
    if not header_token or not hmac.compare_digest(header_token, session.csrf_token):
        raise Forbidden("缺少或错误的 CSRF 令牌, 请刷新页面后重试",
                        "missing or wrong CSRF token (X-CSRF-Token); reload the page and retry", code="csrf")
