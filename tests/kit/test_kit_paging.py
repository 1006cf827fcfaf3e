"""The one paging module every service lists through: page sizes, opaque keyset cursors, pages, walking a list."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.kit.paging import InvalidPage, Page, PageSize, decode_cursor, encode_cursor, every_item, page_of

AT = datetime(2026, 11, 21, 10, 0, 0, 123456, tzinfo=UTC)


def forged(key: object) -> str:
    """A cursor in the right envelope around a key no repository would have handed out."""
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


class TestCursors:
    @pytest.mark.parametrize(("key", "types"), [
        (("M-1",), (str,)),
        ((42,), (int,)),
        ((AT, "batch-7"), (datetime, str)),
        ((datetime(2026, 1, 1, 8, tzinfo=timezone(timedelta(hours=8))), 0, "电表"), (datetime, int, str)),
        (("", -(2**63), 2**63 - 1), (str, int, int)),
    ])
    def test_a_cursor_gives_back_the_key_it_was_made_of(self, key, types):
        decoded = decode_cursor(encode_cursor(*key), *types)
        assert decoded == key
        assert [type(part) for part in decoded] == [type(part) for part in key]

    def test_a_cursor_is_opaque_and_url_safe(self):
        cursor = encode_cursor("acct:A1/中文?x=1", AT)
        assert "A1" not in cursor and set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                        "0123456789-_=")

    @pytest.mark.parametrize(("cursor", "types"), [
        ("garbage", (str,)),                    # not base64
        ("M-1", (str,)),                        # a bare id, as wallet's cursors used to be
        ("42", (int,)),
        ("////", (str,)),                       # base64, but not UTF-8 JSON
        (forged({"k": 1}), (str,)),             # JSON, but not a key
        (forged("M-1"), (str,)),
        (forged(["x"]), (int,)),                # a string for a number
        (forged([1]), (str,)),                  # a number for a string
        (forged([True]), (int,)),               # a bool is no number here
        (forged([1.5]), (int,)),
        (forged([2**63]), (int,)),              # no BIGINT
        (forged(["a\x00b"]), (str,)),           # no PostgreSQL text
        (forged(["yesterday"]), (datetime,)),
        (forged([7]), (datetime,)),
        (forged([1, 2]), (int,)),               # too many parts
        (forged(["a"]), (str, str)),            # too few
        (forged([]), (str,)),                   # no parts at all
        (forged([["M-1"]]), (str,)),            # a list for a string
        ("", (str,)),                           # "" means "from the start": callers never decode it
        (base64.urlsafe_b64encode(b"[" * 100_000).decode(), (str,)),   # nested past the recursion limit
    ])
    def test_a_cursor_this_service_never_handed_out_is_invalid_page(self, cursor, types):
        with pytest.raises(InvalidPage, match="无效的分页游标 invalid page cursor"):
            decode_cursor(cursor, *types)

    def test_invalid_page_is_no_value_error(self):
        assert not issubclass(InvalidPage, ValueError)   # a bare ValueError stays a bug, never a bad request


class TestPageSize:
    SIZE = PageSize(default=100, maximum=5000)

    def test_zero_is_the_default_and_too_many_is_the_maximum(self):
        assert (self.SIZE.of(0), self.SIZE.of(1), self.SIZE.of(7), self.SIZE.of(5000), self.SIZE.of(10**9)) == (
            100, 1, 7, 5000, 5000)

    def test_a_negative_limit_is_invalid_page(self):
        with pytest.raises(InvalidPage, match="分页大小不能为负 limit must not be negative"):
            self.SIZE.of(-1)


ROWS = tuple({"id": i, "name": f"n{i}"} for i in range(1, 6))


class TestPageOf:
    def page(self, rows, limit):
        return page_of(rows, limit, lambda r: r["name"], lambda r: (r["id"],))

    def test_a_row_past_the_page_makes_a_cursor_after_the_pages_last_row(self):
        page = self.page(ROWS[:3], 2)   # the repository asked for limit + 1
        assert page.items == ("n1", "n2")
        assert decode_cursor(page.next_cursor, int) == (2,)

    def test_no_row_past_the_page_is_the_last_page(self):
        assert self.page(ROWS[:2], 2) == Page(("n1", "n2"), "")
        assert self.page(ROWS[:1], 2) == Page(("n1",), "")
        assert self.page([], 2) == Page((), "")


class TestEveryItem:
    async def test_it_walks_three_pages_to_the_end(self):
        rows = [{"id": i} for i in range(7)]
        asked: list[tuple[int, str]] = []

        async def fetch(limit: int, cursor: str) -> Page[int]:
            asked.append((limit, cursor))
            after = decode_cursor(cursor, int)[0] if cursor else -1
            return page_of([r for r in rows if r["id"] > after][:limit + 1], limit, lambda r: r["id"],
                           lambda r: (r["id"],))

        assert [item async for item in every_item(fetch, 3)] == list(range(7))
        assert [limit for limit, _ in asked] == [3, 3, 3] and asked[0][1] == ""
        assert [decode_cursor(cursor, int) for _, cursor in asked[1:]] == [(2,), (5,)]
