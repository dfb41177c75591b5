"""Keys: missing, malformed, wrong, revoked and out-of-scope; secrets never stored."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from workbench.api import ApiKeyError, create_key, list_keys, revoke_key
from workbench.billing.store import audit
from workbench.billing.store import models as m
from workbench.billing.store.workspace import Workspace

from .conftest import ACME, Keys, bearer


def test_health_and_description_need_no_key(client: TestClient) -> None:
    assert client.get("/v1/health").json()["status"] == "ok"
    assert client.get("/openapi.json").status_code == 200


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer"},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "Bearer not-a-key"},
    {"X-API-Key": ""},
    {"Authorization": "Bearer wbk_0123456789abcdef_" + "x" * 43},  # unknown key id
])
def test_missing_or_malformed_key_is_401(client: TestClient, keys: Keys, headers: dict[str, str]) -> None:
    response = client.get("/v1/customers", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["problems"][0]["code"] in ("missing-key", "invalid-key")


def test_wrong_secret_of_a_real_key_is_401(client: TestClient, keys: Keys) -> None:
    prefix, key_id, secret = keys.read.split("_", 2)
    wrong = f"{prefix}_{key_id}_{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}"
    assert client.get("/v1/customers", headers=bearer(wrong)).status_code == 401
    assert client.get("/v1/customers", headers=bearer(keys.read)).status_code == 200


def test_x_api_key_header_works_too(client: TestClient, keys: Keys) -> None:
    response = client.get("/v1/customers", headers={"X-API-Key": keys.read})
    assert [c["customer_id"] for c in response.json()] == ["100001", "100002", "100003"]


def test_revoked_key_is_401_at_once(client: TestClient, keys: Keys, ws: Workspace) -> None:
    assert client.get("/v1/customers", headers=bearer(keys.read)).status_code == 200
    revoke_key(ws, Keys.key_id(keys.read), actor="user:test", reason="leaked")
    response = client.get("/v1/customers", headers=bearer(keys.read))
    assert response.status_code == 401
    [event] = audit.events(ws, action="api_key.revoke")
    assert (event.entity_id, event.actor, event.reason) == (Keys.key_id(keys.read), "user:test", "leaked")
    with pytest.raises(ApiKeyError, match="already revoked"):
        revoke_key(ws, Keys.key_id(keys.read))


def test_scope_too_small_is_403(client: TestClient, keys: Keys) -> None:
    body = {"vendor": "aws", "range": "2025-10"}
    assert client.post("/v1/invoices/generate", headers=bearer(keys.read), json=body).status_code == 403
    assert client.post("/v1/invoices/generate", headers=bearer(keys.acme), json=body).status_code == 403
    assert client.post(f"/v1/customers/{ACME}/credits", headers=bearer(keys.read),
                       json={"amount": "1.00", "currency": "CAD"}).status_code == 403
    assert client.delete("/v1/invoices/1", headers=bearer(keys.read)).status_code == 403
    assert client.post("/v1/invoices/1/status", headers=bearer(keys.acme), json={"to": "open"}).status_code == 403
    for path in ("/v1/reports", "/v1/reports/periods"):
        response = client.get(path, headers=bearer(keys.acme))
        assert response.status_code == 403
        assert response.json()["problems"][0]["code"] == "scope"


def test_use_is_noted_and_only_a_hash_is_stored(client: TestClient, keys: Keys, ws: Workspace) -> None:
    key_id = Keys.key_id(keys.read)
    assert {k.key_id: k.last_used_at for k in list_keys(ws)}[key_id] is None
    client.get("/v1/customers", headers=bearer(keys.read))
    assert {k.key_id: k.last_used_at for k in list_keys(ws)}[key_id] is not None
    secret = keys.read.split("_", 2)[2]
    with ws.session() as session:
        stored = session.scalar(select(m.ApiKey).where(m.ApiKey.key_id == key_id))
        assert stored is not None and stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.encode() not in (ws.root / "workbench.db").read_bytes()


def test_key_creation_is_checked_and_audited(ws: Workspace) -> None:
    with pytest.raises(ApiKeyError, match="needs the customer"):
        create_key(ws, "customer")
    with pytest.raises(ApiKeyError, match="no customer with ID #999"):
        create_key(ws, "customer", customer_id="999")
    with pytest.raises(ApiKeyError, match="sees every customer"):
        create_key(ws, "read", customer_id=ACME)
    with pytest.raises(ApiKeyError, match="unknown scope"):
        create_key(ws, "admin")
    issued = create_key(ws, "customer", customer_id=ACME, name="portal", actor="user:ann")
    assert issued.token.startswith(f"wbk_{issued.info.key_id}_")
    [event] = audit.events(ws, action="api_key.create")
    assert (event.actor, event.entity_id, event.details) == (
        "user:ann", issued.info.key_id, {"scope": "customer", "customer_id": ACME, "name": "portal"})
