"""A customer key sees its own customer's issued invoices only; anything else does not exist."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import ACME, BETA, Keys, bearer


def approve(client: TestClient, keys: Keys, number: str) -> None:
    assert client.post(f"/v1/invoices/{number}/status", headers=bearer(keys.write), json={"to": "open"}).status_code == 200


def test_drafts_are_invisible(client: TestClient, keys: Keys, generated: dict[str, str]) -> None:
    assert client.get("/v1/invoices", headers=bearer(keys.acme)).json() == []
    assert client.get("/v1/invoices", headers=bearer(keys.acme), params={"status": "draft"}).json() == []
    for path in (f"/v1/invoices/{generated[ACME]}", f"/v1/invoices/{generated[ACME]}/download/csv",
                 f"/v1/invoices/{generated[ACME]}/download/pdf"):
        response = client.get(path, headers=bearer(keys.acme))
        assert response.status_code == 404, path
        assert response.json()["problems"][0]["message"] == f"there is no invoice {generated[ACME]}"


def test_other_customers_invoices_are_404_not_403(client: TestClient, keys: Keys, generated: dict[str, str]) -> None:
    approve(client, keys, generated[ACME])
    approve(client, keys, generated[BETA])
    own = client.get("/v1/invoices", headers=bearer(keys.acme)).json()
    assert [(i["number"], i["status"]) for i in own] == [(generated[ACME], "open")]
    assert client.get("/v1/invoices", headers=bearer(keys.acme), params={"customer": BETA}).json() == []
    beta = client.get("/v1/invoices", headers=bearer(keys.read), params={"customer": BETA}).json()[0]
    for ref in (generated[BETA], str(beta["id"])):
        for path in (f"/v1/invoices/{ref}", f"/v1/invoices/{ref}/download/csv", f"/v1/invoices/{ref}/download/pdf"):
            response = client.get(path, headers=bearer(keys.acme))
            assert response.status_code == 404, path
    assert client.get(f"/v1/invoices/{generated[BETA]}", headers=bearer(keys.beta)).status_code == 200


def test_customer_view_leaves_out_costs_and_margins(client: TestClient, keys: Keys, generated: dict[str, str]) -> None:
    approve(client, keys, generated[ACME])
    inv = client.get(f"/v1/invoices/{generated[ACME]}", headers=bearer(keys.acme)).json()
    assert inv["total"] == "238.44"
    assert (inv["vendor_cost"], inv["margin"], inv["pricebook"]) == (None, None, None)
    assert {(line["vendor_cost"], line["markup_percent"], line["rule"], line["margin"]) for line in inv["lines"]} == {
        (None, None, None, None)}
    listed = client.get("/v1/invoices", headers=bearer(keys.acme)).json()[0]
    assert (listed["vendor_cost"], listed["margin"]) == (None, None)
    internal = client.get(f"/v1/invoices/{generated[ACME]}", headers=bearer(keys.read)).json()
    assert internal["vendor_cost"] is not None and internal["margin"] is not None
    for fmt in ("detailed-csv", "xlsx"):
        response = client.get(f"/v1/invoices/{generated[ACME]}/download/{fmt}", headers=bearer(keys.acme))
        assert response.status_code == 403, fmt
    assert client.get(f"/v1/invoices/{generated[ACME]}/download/csv", headers=bearer(keys.acme)).status_code == 200


def test_customers_and_credits_of_others_do_not_exist(client: TestClient, keys: Keys, generated: dict[str, str]) -> None:
    assert [c["customer_id"] for c in client.get("/v1/customers", headers=bearer(keys.acme)).json()] == [ACME]
    own = client.get(f"/v1/customers/{ACME}", headers=bearer(keys.acme)).json()
    assert own["vendors"] == [{"vendor": "aws", "invoice_currency": "CAD", "pricebook": None}]
    assert client.get(f"/v1/customers/{BETA}", headers=bearer(keys.acme)).status_code == 404
    assert client.get(f"/v1/customers/{BETA}/credits", headers=bearer(keys.acme)).status_code == 404
    credits = client.get(f"/v1/customers/{ACME}/credits", headers=bearer(keys.acme)).json()
    # the draft used 50 CAD: the customer sees the reservation, not the draft's number
    assert [(e["amount"], e["invoice"]) for e in credits["entries"]] == [("50.00", None), ("-50.00", None)]
    assert credits["entries"][1]["memo"] == "reserved for an invoice in preparation"
    internal = client.get(f"/v1/customers/{ACME}/credits", headers=bearer(keys.read)).json()
    assert internal["entries"][1]["invoice"] == generated[ACME]
