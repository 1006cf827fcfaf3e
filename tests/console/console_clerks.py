"""Operators at the console's API in tests: each logged in, named by who they are."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Clerks:
    console: object                        # conftest's ConsoleHarness
    headers: dict[str, dict[str, str]]     # who -> their Bearer headers

    async def post(self, who: str, path: str, body: dict, key: str | None = "k1"):
        headers = {**self.headers[who], **({"Idempotency-Key": key} if key else {})}
        return await self.console.client.post(path, json=body, headers=headers)

    async def get(self, who: str, path: str):
        return await self.console.client.get(path, headers=self.headers[who])
