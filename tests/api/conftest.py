"""A billed workspace (the worked example's tables and CUR), keys of every scope, and a client."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from billing.conftest import cur_rows, load
from billing.worked_example import CUR, TABLES
from workbench.api import create_app, create_key
from workbench.billing.store.report_import import import_reports
from workbench.billing.store.workspace import Workspace, init_workspace

TODAY = dt.date(2025, 11, 20)
ACME, BETA, GAMMA = "100001", "100002", "100003"


@dataclass(frozen=True)
class Keys:
    read: str
    write: str
    acme: str  # customer scope, Acme Corp
    beta: str  # customer scope, Beta Ltd

    @staticmethod
    def key_id(token: str) -> str:
        return token.split("_")[1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = init_workspace(tmp_path / "ws", name="api test")
    load(workspace, tmp_path, TABLES)
    report = tmp_path / "cur-2025-10.csv"
    report.write_text(cur_rows(CUR, "2025-10"))
    assert [f.status for f in import_reports(workspace, [report]).files] == ["imported"]
    yield workspace
    workspace.close()


@pytest.fixture
def keys(ws: Workspace) -> Keys:
    return Keys(
        read=create_key(ws, "read", name="reports").token,
        write=create_key(ws, "write", name="billing robot").token,
        acme=create_key(ws, "customer", customer_id=ACME, name="acme portal").token,
        beta=create_key(ws, "customer", customer_id=BETA, name="beta portal").token,
    )


@pytest.fixture
def client(ws: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(ws, today=lambda: TODAY)) as c:
        yield c


@pytest.fixture
def generated(client: TestClient, keys: Keys) -> dict[str, str]:
    """October drafts for Acme and Beta (Gamma fails: no pricebook): customer id -> invoice number."""
    response = client.post("/v1/invoices/generate", headers=bearer(keys.write), json={
        "vendor": "aws", "range": "2025-10", "apply_credits": True, "include_marketplace": True})
    assert response.status_code == 200, response.text
    return {i["customer_id"]: i["number"] for i in response.json()["invoices"]}


@pytest.fixture(scope="session", autouse=True)
def _close_shared_printers() -> Iterator[None]:
    """The PDF download prints with the process's shared Chromium: close it after the tests."""
    yield
    from workbench.nbexport import close_printers

    close_printers()
