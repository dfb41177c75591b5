"""`workbench api-key create|list|revoke`: the secret shown once, audited as the CLI user."""

from __future__ import annotations

import json

import click
from click.testing import CliRunner
from fastapi.testclient import TestClient

from workbench.api.cli import register
from workbench.billing.store import audit
from workbench.billing.store.workspace import Workspace

from .conftest import ACME, bearer


def cli() -> click.Group:
    @click.group()
    def main() -> None:
        pass

    register(main)
    return main


def test_create_list_revoke(ws: Workspace, client: TestClient) -> None:
    runner = CliRunner(env={"WORKBENCH_USER": "ann"})
    made = runner.invoke(cli(), ["api-key", "create", str(ws.root), "--scope", "customer", "--customer", ACME,
                                 "--name", "acme portal"])
    assert made.exit_code == 0, made.output
    token = made.stdout.strip()
    assert token.startswith("wbk_") and "cannot be shown again" in made.stderr
    key_id = token.split("_")[1]
    assert client.get("/v1/invoices", headers=bearer(token)).status_code == 200

    listed = runner.invoke(cli(), ["api-key", "list", str(ws.root), "--json"])
    [row] = json.loads(listed.stdout)
    assert (row["key_id"], row["scope"], row["customer_id"], row["name"], row["revoked_at"]) == (
        key_id, "customer", ACME, "acme portal", None)
    assert row["last_used_at"] is not None
    table = runner.invoke(cli(), ["api-key", "list", str(ws.root)]).stdout
    assert key_id in table and token.split("_", 2)[2] not in table and "active" in table

    revoked = runner.invoke(cli(), ["api-key", "revoke", str(ws.root), key_id, "--reason", "portal retired"])
    assert revoked.exit_code == 0
    assert client.get("/v1/invoices", headers=bearer(token)).status_code == 401
    assert "revoked" in runner.invoke(cli(), ["api-key", "list", str(ws.root)]).stdout
    events = [(e.action, e.actor, e.entity_id) for e in audit.events(ws, entity="api_key")]
    assert events == [("api_key.create", "user:ann", key_id), ("api_key.revoke", "user:ann", key_id)]


def test_refusals_have_exit_codes(ws: Workspace) -> None:
    runner = CliRunner()
    no_customer = runner.invoke(cli(), ["api-key", "create", str(ws.root), "--scope", "customer"])
    assert no_customer.exit_code == 2 and "Error: --scope customer needs --customer ID" in no_customer.stderr
    stray = runner.invoke(cli(), ["api-key", "create", str(ws.root), "--scope", "read", "--customer", ACME])
    assert stray.exit_code == 2 and "--customer is for a --scope customer key only" in stray.stderr
    bad_scope = runner.invoke(cli(), ["api-key", "create", str(ws.root), "--scope", "admin"])
    assert bad_scope.exit_code == 2
    unknown = runner.invoke(cli(), ["api-key", "revoke", str(ws.root), "0123456789abcdef"])
    assert unknown.exit_code == 4 and "no key 0123456789abcdef" in unknown.stderr
    not_an_id = runner.invoke(cli(), ["api-key", "revoke", str(ws.root), "'; DROP TABLE api_keys; --"])
    assert not_an_id.exit_code == 4 and "is not a key id" in not_an_id.stderr
    assert runner.invoke(cli(), ["api-key", "list", str(ws.root)]).stdout.startswith("no API keys")
