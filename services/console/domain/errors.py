"""The errors a console caller can make. Each carries a stable code and a message in Chinese then English;
the HTTP face answers `{"error": {"code", "message_zh", "message_en"}}` with the status below."""

from __future__ import annotations


class ConsoleError(Exception):
    status = 400
    code = "invalid_request"

    def __init__(self, message_zh: str, message_en: str, code: str | None = None) -> None:
        super().__init__(f"{message_zh} {message_en}")
        self.message_zh = message_zh
        self.message_en = message_en
        if code:
            self.code = code


class InvalidRequest(ConsoleError):
    status, code = 400, "invalid_request"


class Unauthenticated(ConsoleError):
    status, code = 401, "unauthenticated"


class Forbidden(ConsoleError):
    """Used only where the object is in scope but the action is not granted (outside scope is NotFound)."""

    status, code = 403, "forbidden"


class NotFound(ConsoleError):
    status, code = 404, "not_found"


class Conflict(ConsoleError):
    status, code = 409, "conflict"


class Throttled(ConsoleError):
    status, code = 429, "too_many_attempts"


class Unavailable(ConsoleError):
    status, code = 503, "unavailable"


def not_found(kind_zh: str, kind_en: str, object_id: str) -> NotFound:
    """Absent and out of scope get this same answer."""
    return NotFound(f"{kind_zh}不存在: {object_id}", f"no such {kind_en}: {object_id}")
