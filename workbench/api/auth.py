"""Who may call what: API keys in `Authorization: Bearer <key>` or `X-API-Key: <key>`.

    missing, malformed, unknown, wrong or revoked key      401 (WWW-Authenticate: Bearer)
    valid key, scope too small for the endpoint            403
    customer key asking for another customer's data        404 (as if it did not exist)

Scopes: `read` every GET; `write` read + POST/DELETE; `customer` GETs of its own customer's
issued invoices (never drafts), credits and profile.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from workbench.api.errors import ApiError
from workbench.api.keys import Principal, authenticate
from workbench.billing.store.workspace import Workspace

__all__ = ["Caller", "Reseller", "Writer", "require_caller", "require_reseller", "require_writer", "workspace"]

_bearer = HTTPBearer(auto_error=False, scheme_name="bearer",
                     description="`Authorization: Bearer wbk_<key_id>_<secret>` (from `workbench api-key create`)")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, scheme_name="apiKey",
                       description="the same key in an `X-API-Key` header")


def workspace(request: Request) -> Workspace:
    ws: Workspace = request.app.state.workspace
    return ws


def require_caller(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    header: Annotated[str | None, Security(_header)],
) -> Principal:
    token = bearer.credentials if bearer is not None else header
    if not token:
        raise ApiError(401, "missing-key", "this endpoint needs an API key",
                       fix="send `Authorization: Bearer <key>` or `X-API-Key: <key>`; make one with `workbench api-key create`",
                       headers={"WWW-Authenticate": "Bearer"})
    principal = authenticate(workspace(request), token)
    if principal is None:
        raise ApiError(401, "invalid-key", "the API key is not valid (unknown, wrong or revoked)",
                       fix="check the key, or ask for a new one (`workbench api-key create`)",
                       headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    request.state.principal = principal
    return principal


def require_reseller(principal: Annotated[Principal, Depends(require_caller)]) -> Principal:
    if principal.is_customer:
        raise ApiError(403, "scope", "a customer key cannot use this endpoint (it needs a read or write key)")
    return principal


def require_writer(principal: Annotated[Principal, Depends(require_caller)]) -> Principal:
    if not principal.can_write:
        raise ApiError(403, "scope", f"a {principal.scope} key cannot change anything (this needs a write key)",
                       fix="use a key made with `workbench api-key create DIR --scope write`")
    return principal


Caller = Annotated[Principal, Depends(require_caller)]
Reseller = Annotated[Principal, Depends(require_reseller)]
Writer = Annotated[Principal, Depends(require_writer)]
