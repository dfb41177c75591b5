"""Customers and vendor reports: what an integration reads before asking for invoices."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import ACME, Keys, bearer


def test_customers(client: TestClient, keys: Keys) -> None:
    listed = client.get("/v1/customers", headers=bearer(keys.read)).json()
    assert [(c["customer_id"], c["name"], c["tax_jurisdiction"]) for c in listed] == [
        ("100001", "Acme Corp", "CA-QC"), ("100002", "Beta Ltd", "CA-ON"), ("100003", "Gamma Inc", "CA-ON")]
    acme = client.get(f"/v1/customers/{ACME}", headers=bearer(keys.read)).json()
    assert acme["vendors"] == [{"vendor": "aws", "invoice_currency": "CAD", "pricebook": "Standard"}]
    assert (acme["accounts"], acme["contact_email"], acme["payment_terms_days"]) == (
        ["aws:111111111111"], "ann@acme.example", None)
    assert client.get("/v1/customers/999999", headers=bearer(keys.read)).status_code == 404


def test_reports_and_periods_are_exact(client: TestClient, keys: Keys) -> None:
    [report] = client.get("/v1/reports", headers=bearer(keys.read)).json()
    # every CUR row, the vendor's tax and the 1.8E-9 cost included, summed exactly
    assert (report["vendor"], report["billing_period"], report["row_count"], report["cost_total"], report["currency"]) == (
        "aws", "2025-10", 9, "194.0050000018", "USD")
    assert client.get("/v1/reports", headers=bearer(keys.read), params={"period": "2025-09"}).json() == []
    assert client.get("/v1/reports", headers=bearer(keys.read), params={"vendor": "gcp"}).json() == []
    [period] = client.get("/v1/reports/periods", headers=bearer(keys.read)).json()
    assert (period["vendor"], period["period"], period["rows"], period["cost"], period["files"]) == (
        "aws", "2025-10", 9, "194.0050000018", ["cur-2025-10.csv"])
