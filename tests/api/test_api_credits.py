"""Credits: the ledger and balances, and grants by write keys (exact strings, audited)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from workbench.billing.store import audit
from workbench.billing.store.workspace import Workspace

from .conftest import ACME, BETA, Keys, bearer


def test_ledger_and_balance_after_generation(client: TestClient, keys: Keys, generated: dict[str, str]) -> None:
    doc = client.get(f"/v1/customers/{ACME}/credits", headers=bearer(keys.read)).json()
    assert doc["balances"] == [{"currency": "CAD", "kind": "general", "balance": "0.00"}]
    assert [(e["credit_id"], e["amount"], e["invoice"]) for e in doc["entries"]] == [
        ("C-1", "50.00", None), ("", "-50.00", generated[ACME])]


def test_grant_is_exact_and_audited_with_the_key(client: TestClient, keys: Keys, ws: Workspace) -> None:
    response = client.post(f"/v1/customers/{BETA}/credits", headers=bearer(keys.write), json={
        "amount": "12.34", "currency": "USD", "earned_on": "azure", "memo": "goodwill", "reason": "outage on Oct 3"})
    assert response.status_code == 201
    doc = response.json()
    assert (doc["granted"]["credit_id"], doc["granted"]["amount"], doc["granted"]["date"]) == (
        f"API-{doc['granted']['id']}", "12.34", "2025-11-20")
    assert doc["balances"] == [{"currency": "USD", "kind": "general", "balance": "12.34"}]
    assert doc["problems"] == []
    [event] = audit.events(ws, action="credit.grant")
    assert (event.actor, event.entity_id, event.reason, event.details["amount"]) == (
        f"key:{Keys.key_id(keys.write)}", f"{BETA}/{doc['granted']['credit_id']}", "outage on Oct 3", "12.34")
    # the credit pays Beta's October invoice before tax: (36.51 - 12.34) + 13 % HST 3.14
    made = client.post("/v1/invoices/generate", headers=bearer(keys.write),
                       json={"vendor": "aws", "range": "2025-10", "customers": [BETA], "apply_credits": True})
    assert made.json()["invoices"][0]["total"] == "27.31"


def test_grants_refuse_floats_bad_amounts_and_duplicates(client: TestClient, keys: Keys) -> None:
    url = f"/v1/customers/{ACME}/credits"
    for body, expected in (
        ({"amount": 50.0, "currency": "CAD"}, "body amount"),
        ({"amount": "0", "currency": "CAD"}, "is not positive"),
        ({"amount": "1.001", "currency": "CAD"}, "more decimals than CAD"),
        ({"amount": "1e3", "currency": "CAD"}, "body amount"),
        ({"amount": "5", "currency": "XXY"}, "unknown currency"),
        ({"amount": "5", "currency": "cad"}, "body currency"),
    ):
        response = client.post(url, headers=bearer(keys.write), json=body)
        assert response.status_code == 422, body
        assert expected in response.json()["problems"][0]["message"], response.json()
    assert client.post(url, headers=bearer(keys.write), json={"amount": "5", "currency": "CAD", "credit_id": "C-1"}).status_code == 409
    yen = client.post(url, headers=bearer(keys.write), json={"amount": "500.00", "currency": "JPY"})  # exact in yen
    assert yen.status_code == 201 and yen.json()["granted"]["amount"] == "500"
    assert [(p["code"], p["message"]) for p in yen.json()["problems"]] == [(
        "credit-currency-unused",
        f"#{ACME} is invoiced in CAD and no fx_rates row converts JPY to CAD: no invoice can use this credit")]
    dollars = client.post(url, headers=bearer(keys.write), json={"amount": "5.00", "currency": "USD"})
    assert dollars.status_code == 201 and dollars.json()["problems"] == []  # USD pays CAD invoices at October's rate
    assert client.post("/v1/customers/999999/credits", headers=bearer(keys.write),
                       json={"amount": "5", "currency": "CAD"}).status_code == 404


def test_a_grant_retried_at_once_with_its_credit_id_is_granted_once(client: TestClient, keys: Keys, ws: Workspace,
                                                                   monkeypatch) -> None:
    """Two requests with the same credit_id, both past the customer check before either writes:
    the second waits for the first (the customer's lock) and is refused, 409. Both used to be
    granted: 12.00 for a 3.00 credit sent four times."""
    from concurrency.race import LIMIT, MeetingPoint, run_together
    from workbench.api import credits as api_credits

    point = MeetingPoint(2, lambda: False, LIMIT)
    real = api_credits.visible_customer

    def visible_customer(*args, **kwargs):
        found = real(*args, **kwargs)
        point.arrive()
        return found

    monkeypatch.setattr(api_credits, "visible_customer", visible_customer)
    body = {"amount": "3.00", "currency": "CAD", "credit_id": "RACE-A"}
    codes = run_together(*(lambda: client.post(f"/v1/customers/{ACME}/credits", headers=bearer(keys.write),
                                               json=body).status_code for _ in range(2)))
    assert point.met and sorted(codes) == [201, 409]
    ledger = client.get(f"/v1/customers/{ACME}/credits", headers=bearer(keys.read)).json()
    assert [e["amount"] for e in ledger["entries"] if e["credit_id"] == "RACE-A"] == ["3.00"]


def test_automatic_credit_ids_never_take_one_a_grant_chose(client: TestClient, keys: Keys) -> None:
    url, write = f"/v1/customers/{BETA}/credits", bearer(keys.write)
    first = client.post(url, headers=write, json={"amount": "1", "currency": "USD"}).json()["granted"]
    ahead = f"API-{first['id'] + 2}"  # the id the next automatic grant but one would take
    assert client.post(url, headers=write, json={"amount": "1", "currency": "USD", "credit_id": ahead}).status_code == 201
    assert client.post(url, headers=write, json={"amount": "1", "currency": "USD"}).status_code == 201
    entries = client.get(url, headers=bearer(keys.read)).json()["entries"]
    ids = [e["credit_id"] for e in entries if e["credit_id"].startswith("API-")]
    assert len(ids) == len(set(ids)) == 3 and f"{ahead}-2" in ids


def test_a_grant_may_be_dated(client: TestClient, keys: Keys) -> None:
    """`date` is a JSON string (YYYY-MM-DD), as the OpenAPI document says: every date was refused."""
    response = client.post(f"/v1/customers/{BETA}/credits", headers=bearer(keys.write),
                           json={"amount": "2.50", "currency": "USD", "date": "2025-11-01"})
    assert response.status_code == 201, response.text
    assert response.json()["granted"]["date"] == "2025-11-01"
    bad = client.post(f"/v1/customers/{BETA}/credits", headers=bearer(keys.write),
                      json={"amount": "2.50", "currency": "USD", "date": "November 1"})
    assert bad.status_code == 422
