"""Tenants (租户) and leases (租约, F-62): who occupies which rooms, from when to when, and how to reach them.

A tenant belongs to one property (项目): its path is the property's path, so a grant on the property
(or above) reaches it. A lease names rooms of that property; one room is leased to one tenant at a time.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import date

from services.console.domain.errors import InvalidRequest

LANGUAGES = ("zh-CN", "en")
LANGUAGE_ALIASES = {"": "zh-CN", "zh": "zh-CN", "zh-cn": "zh-CN", "zh_cn": "zh-CN", "中文": "zh-CN",
                    "简体中文": "zh-CN", "chinese": "zh-CN", "en": "en", "en-us": "en", "en-gb": "en",
                    "english": "en", "英文": "en", "英语": "en"}
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_OPENID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_EMAIL = 200
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
MAX_LEASE_ROOMS = 200


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    name: str
    phone: str
    email: str
    wechat_openid: str
    language: str
    property_id: str
    path: str

    def contacts(self) -> tuple[str, str, str, str, str]:
        return (self.name, self.phone, self.email, self.wechat_openid, self.language)

    def with_contacts(self, **changes: str) -> Tenant:
        return replace(self, **changes)


@dataclass(frozen=True)
class Lease:
    lease_id: str
    tenant_id: str
    room_ids: tuple[str, ...]        # sorted
    starts_on: date
    ends_on: date | None             # None: open-ended
    property_id: str
    path: str

    def terms(self) -> tuple[tuple[str, ...], date, date | None]:
        return (self.room_ids, self.starts_on, self.ends_on)

    def overlaps(self, starts_on: date, ends_on: date | None) -> bool:
        return periods_overlap(self.starts_on, self.ends_on, starts_on, ends_on)


def periods_overlap(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    """Inclusive periods; None = open-ended."""
    return (a_to is None or b_from <= a_to) and (b_to is None or a_from <= b_to)


def check_phone(text: str | None) -> str:
    """A mainland mobile number (tenants log in with an SMS code), normalised to 11 digits; "" = none."""
    raw = (text or "").strip()
    digits = re.sub(r"[\s-]", "", raw)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
    if digits and not _MOBILE.match(digits):
        raise InvalidRequest(f"手机号应为11位中国大陆手机号: {raw!r}",
                             f"phone must be an 11-digit mainland mobile number: {raw!r}")
    return digits


def check_email(text: str | None) -> str:
    email = (text or "").strip()
    if email and (len(email) > MAX_EMAIL or not _EMAIL.match(email)):
        raise InvalidRequest(f"邮箱格式不正确: {email!r}", f"not an e-mail address: {email!r}")
    return email


def check_openid(text: str | None) -> str:
    openid = (text or "").strip()
    if openid and not _OPENID.match(openid):
        raise InvalidRequest(f"微信openid格式不正确: {openid!r}", f"not a WeChat openid: {openid!r}")
    return openid


def parse_language(text: str | None) -> str:
    language = LANGUAGE_ALIASES.get((text or "").strip().lower())
    if language is None:
        raise InvalidRequest(f"语言应为 zh-CN 或 en: {text!r}", f"language must be zh-CN or en: {text!r}")
    return language


def parse_day(text: str, what_zh: str, what_en: str) -> date:
    """YYYY-MM-DD (or YYYY/M/D), 2000..2100."""
    raw = (text or "").strip()
    match = re.match(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$", raw)
    try:
        if not match:
            raise ValueError(raw)
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise InvalidRequest(f"{what_zh}应为日期 YYYY-MM-DD: {raw!r}",
                             f"{what_en} must be a date YYYY-MM-DD: {raw!r}") from None
    check_day(day, what_zh, what_en)
    return day


def check_day(day: date, what_zh: str, what_en: str) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidRequest(f"{what_zh}应在2000-2100年之间: {day}", f"{what_en} must lie in 2000..2100: {day}")
    return day


def check_lease_terms(room_ids: list[str] | tuple[str, ...], starts_on: date, ends_on: date | None) -> tuple[str, ...]:
    """The lease's rooms, sorted and unique; the dates in order."""
    rooms = tuple(sorted(set(room_ids)))
    if not rooms or len(rooms) > MAX_LEASE_ROOMS:
        raise InvalidRequest(f"租约须包含1-{MAX_LEASE_ROOMS}个房间", f"a lease holds 1-{MAX_LEASE_ROOMS} rooms")
    check_day(starts_on, "租期开始", "lease start")
    if ends_on is not None:
        check_day(ends_on, "租期结束", "lease end")
        if ends_on < starts_on:
            raise InvalidRequest(f"租期结束({ends_on})早于开始({starts_on})",
                                 f"the lease ends ({ends_on}) before it starts ({starts_on})")
    return rooms


def lease_id_for(tenant_id: str) -> str:
    """The id of the lease an onboarding sheet gives a tenant (one per tenant row), stable across re-runs."""
    if len(tenant_id) <= 62:
        return f"L-{tenant_id}"
    return "L-" + hashlib.sha256(tenant_id.encode()).hexdigest()[:40]


def split_list(text: str | None) -> list[str]:
    """Ids or amounts in one cell: separated by , ， ; ； 、 or whitespace."""
    return [part for part in re.split(r"[,，;；、\s]+", (text or "").strip()) if part]
