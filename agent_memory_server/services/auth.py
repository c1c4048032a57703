"""Authentication: API tokens (hashed, O(1) lookup, optional expiry) and OAuth2 JWTs.

`authenticate` turns an Authorization header into a Principal (services/tenancy.py) or
raises Unauthorized; the doors (REST middleware, MCP over HTTP) call it once per request.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import secrets
import time
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import jwt

from agent_memory_server.config import Settings
from agent_memory_server.errors import ConfigurationError, InvalidRequest, NotFound, Unauthorized
from agent_memory_server.services.tenancy import Principal
from agent_memory_server.storage.api_tokens import TokenRecord, TokenStore

TOKEN_PREFIX = "ams_"
JWKS_CACHE_SECONDS = 300


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def add_token(
    tokens: TokenStore, name: str, namespaces: Sequence[str] | None = None,
    *, user_id: str | None = None, expires_in_days: float | None = None,
) -> tuple[str, TokenRecord]:  # fmt: skip
    """Create a token; returns it (shown once, never stored) and its record."""
    if not name.strip():
        raise InvalidRequest("a token needs a name")
    if namespaces is not None and not namespaces:
        raise InvalidRequest("bind a token to at least one namespace, or to none (any)")
    if expires_in_days is not None and expires_in_days <= 0:
        raise InvalidRequest("expires_in_days must be positive")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    digest = _digest(token)
    now = time.time()
    record = TokenRecord(
        id=digest[:16], name=name, namespaces=None if namespaces is None else sorted(namespaces),
        user_id=user_id, created_at=now,
        expires_at=None if expires_in_days is None else now + expires_in_days * 86400,
    )  # fmt: skip
    await tokens.add(digest, record)
    return token, record


async def list_tokens(tokens: TokenStore) -> list[TokenRecord]:
    return sorted(await tokens.all(), key=lambda r: (r.created_at, r.id))


async def show_token(tokens: TokenStore, token_id: str) -> TokenRecord:
    digest = await tokens.digest_of(token_id)
    record = None if digest is None else await tokens.by_digest(digest)
    if record is None:
        raise NotFound(f"Token {token_id!r} not found (or expired)")
    return record


async def remove_token(tokens: TokenStore, token_id: str) -> None:
    if not await tokens.remove(token_id):
        raise NotFound(f"Token {token_id!r} not found")


def exposure_warning(settings: Settings, host: str) -> str | None:
    """A warning when a server binds beyond loopback with auth off, else None."""
    if settings.auth_mode != "none":
        return None
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: assume it is reachable from elsewhere
        loopback = False
    if loopback:
        return None
    return (
        f"WARNING: AUTH IS OFF and the server listens on {host}, beyond this machine: anyone "
        "who can reach it reads and writes every tenant's memory. Set AUTH_MODE=token "
        "(then `agent-memory token add`) or AUTH_MODE=jwt, or bind to 127.0.0.1."
    )


def _bearer(authorization: str | None) -> str:
    scheme, _, credentials = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise Unauthorized("Missing credentials: send the header 'Authorization: Bearer <token>'")
    return credentials.strip()


async def _from_token(tokens: TokenStore, token: str) -> Principal:
    record = await tokens.by_digest(_digest(token))
    if record is None or (record.expires_at is not None and record.expires_at <= time.time()):
        raise Unauthorized("Unknown or expired token")
    namespaces = None if record.namespaces is None else frozenset(record.namespaces)
    return Principal(f"token {record.name}", namespaces, record.user_id)


@lru_cache(maxsize=8)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    """One JWKS client per URL and process: it caches the issuer's keys."""
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=JWKS_CACHE_SECONDS)


def _namespaces(claim: Any) -> frozenset[str] | None:
    if claim is None:
        return None
    values = claim.split() if isinstance(claim, str) else claim
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise Unauthorized("The token's namespaces claim must be a non-empty string or list")
    return frozenset(values)


def _decode_jwt(settings: Settings, token: str) -> dict[str, Any]:
    if not settings.auth_jwks_url:
        raise ConfigurationError("AUTH_MODE=jwt needs AUTH_JWKS_URL")
    try:
        key = _jwks_client(settings.auth_jwks_url).get_signing_key_from_jwt(token)
        claims: dict[str, Any] = jwt.decode(
            token, key.key, algorithms=settings.auth_jwt_algorithms,
            audience=settings.auth_jwt_audience, issuer=settings.auth_jwt_issuer,
            options={"require": ["exp"], "verify_aud": settings.auth_jwt_audience is not None},
        )  # fmt: skip
    except jwt.PyJWKClientConnectionError as e:
        raise Unauthorized(f"Cannot fetch the issuer's keys to check the token: {e}") from e
    except jwt.PyJWTError as e:
        raise Unauthorized(f"Invalid token: {e}") from e
    return claims


async def authenticate(
    settings: Settings, tokens: TokenStore, authorization: str | None
) -> Principal | None:
    """The caller of a request, or None when auth is off.

    Raises:
        Unauthorized: no, unknown, expired or invalid credentials.
    """
    if settings.auth_mode == "none":
        return None
    credentials = _bearer(authorization)
    if settings.auth_mode == "token":
        return await _from_token(tokens, credentials)
    claims = await asyncio.to_thread(_decode_jwt, settings, credentials)
    user = claims.get(settings.auth_jwt_user_id_claim)
    if user is not None and not isinstance(user, str):
        raise Unauthorized("The token's user id claim must be a string")
    namespaces = _namespaces(claims.get(settings.auth_jwt_namespaces_claim))
    return Principal(f"jwt {claims.get('sub', '?')}", namespaces, user)
