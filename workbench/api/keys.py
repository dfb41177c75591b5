"""Billing-API keys: made once, stored as a hash, checked in constant time.

A key reads `wbk_<key_id>_<secret>`. The `key_id` (16 hex digits) is public: it names the key
in listings, in the audit trail (`key:<key_id>`) and in revocations. The secret (43 URL-safe
characters, 256 random bits) is printed once when the key is made; only `sha256(secret)` is
stored. A plain hash is enough because the secret is random and long: there is no password to
guess, so a slow KDF would add latency and no safety.

No FastAPI here: the CLI makes, lists and revokes keys without loading the web stack.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select

from workbench.billing.store import audit
from workbench.billing.store import models as m
from workbench.billing.store.models import utcnow
from workbench.billing.store.workspace import Workspace

__all__ = [
    "SCOPES",
    "ApiKeyError",
    "IssuedKey",
    "KeyInfo",
    "Principal",
    "Scope",
    "authenticate",
    "create_key",
    "list_keys",
    "revoke_key",
]

Scope = Literal["read", "write", "customer"]
SCOPES: tuple[Scope, ...] = ("read", "write", "customer")
PREFIX = "wbk_"
TOKEN_RE = re.compile(r"^wbk_([0-9a-f]{16})_([A-Za-z0-9_-]{32,128})$")
KEY_ID_RE = re.compile(r"^[0-9a-f]{16}$")
# last_used_at is noted at most this often, so that a busy client does not make every GET a write
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
# compared against when the key id is unknown, so that an unknown id costs the same as a wrong secret
_DUMMY_HASH = hashlib.sha256(b"no such key").hexdigest()


class ApiKeyError(ValueError):
    """A key cannot be made or revoked as asked (bad scope, unknown customer, unknown key)."""


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A stored key without its secret: safe to list."""

    key_id: str
    name: str
    scope: str
    customer_id: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None

    @classmethod
    def of(cls, key: m.ApiKey) -> KeyInfo:
        return cls(key.key_id, key.name, key.scope, key.customer_id, key.created_at, key.revoked_at, key.last_used_at)


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A key just made: `token` is the only copy of the secret there will ever be."""

    info: KeyInfo
    token: str


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the key's public id, its scope and (customer scope) its customer."""

    key_id: str
    scope: Scope
    customer_id: str | None

    @property
    def actor(self) -> str:
        return f"key:{self.key_id}"

    @property
    def can_write(self) -> bool:
        return self.scope == "write"

    @property
    def is_customer(self) -> bool:
        return self.scope == "customer"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def create_key(
    ws: Workspace, scope: str, *, customer_id: str | None = None, name: str = "", actor: str | None = None
) -> IssuedKey:
    """Make a key; the returned token holds the secret, which is not stored anywhere."""
    if scope not in SCOPES:
        raise ApiKeyError(f"unknown scope {scope!r}; use one of {', '.join(SCOPES)}")
    if scope == "customer" and not customer_id:
        raise ApiKeyError("a customer key needs the customer it may see (--customer ID)")
    if scope != "customer" and customer_id:
        raise ApiKeyError(f"a {scope} key sees every customer: leave out --customer, or use --scope customer")
    with ws.session() as session:
        if customer_id and session.get(m.Customer, customer_id) is None:
            raise ApiKeyError(f"there is no customer with ID #{customer_id}: see `workbench customers list`")
        key_id = secrets.token_hex(8)
        while session.scalar(select(m.ApiKey).where(m.ApiKey.key_id == key_id)) is not None:
            key_id = secrets.token_hex(8)  # pragma: no cover - 64 random bits
        secret = secrets.token_urlsafe(32)
        key = m.ApiKey(key_id=key_id, name=name, secret_hash=_hash(secret), scope=scope, customer_id=customer_id,
                       created_at=utcnow())
        session.add(key)
        audit.record(session, "api_key.create", "api_key", key_id, actor=actor, reason=name,
                     details={"scope": scope, "customer_id": customer_id, "name": name})
        session.flush()
        return IssuedKey(KeyInfo.of(key), f"{PREFIX}{key_id}_{secret}")


def list_keys(ws: Workspace) -> list[KeyInfo]:
    with ws.session() as session:
        return [KeyInfo.of(k) for k in session.scalars(select(m.ApiKey).order_by(m.ApiKey.created_at, m.ApiKey.id))]


def revoke_key(ws: Workspace, key_id: str, *, actor: str | None = None, reason: str = "") -> KeyInfo:
    """Revoke a key at once: its next request gets 401. A revoked key stays listed."""
    if not KEY_ID_RE.match(key_id):
        raise ApiKeyError(f"{key_id!r} is not a key id (16 hex digits, the part after wbk_): see `workbench api-key list`")
    with ws.session() as session:
        key = session.scalar(select(m.ApiKey).where(m.ApiKey.key_id == key_id))
        if key is None:
            raise ApiKeyError(f"there is no key {key_id}: see `workbench api-key list`")
        if key.revoked_at is not None:
            raise ApiKeyError(f"key {key_id} was already revoked on {key.revoked_at:%Y-%m-%d %H:%M} UTC")
        key.revoked_at = utcnow()
        audit.record(session, "api_key.revoke", "api_key", key_id, actor=actor, reason=reason,
                     details={"scope": key.scope, "customer_id": key.customer_id, "name": key.name})
        session.flush()
        return KeyInfo.of(key)


def authenticate(ws: Workspace, token: str) -> Principal | None:
    """The caller of a valid, unrevoked key (and its last use noted, to the minute), else None.

    Every failure looks the same to the caller: malformed, unknown, wrong secret or revoked.
    """
    match = TOKEN_RE.match(token.strip())
    if match is None:
        return None
    key_id, secret = match.groups()
    with ws.session() as session:
        key = session.scalar(select(m.ApiKey).where(m.ApiKey.key_id == key_id))
        stored = key.secret_hash if key is not None else _DUMMY_HASH
        if not hmac.compare_digest(stored, _hash(secret)) or key is None or key.revoked_at is not None:
            return None
        if key.scope not in SCOPES or (key.scope == "customer" and not key.customer_id):
            return None
        now = utcnow()
        if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
            key.last_used_at = now
        scope: Scope = "read" if key.scope == "read" else ("write" if key.scope == "write" else "customer")
        return Principal(key.key_id, scope, key.customer_id)
