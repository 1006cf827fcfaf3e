"""Secrets handed to clients: session tokens and personal API tokens (mpt_...), kept only as sha256."""

from __future__ import annotations

import hashlib
import secrets

API_TOKEN_PREFIX = "mpt_"


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def new_api_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_api_token(token: str) -> bool:
    return token.startswith(API_TOKEN_PREFIX)
