"""`Idempotency-Key` on the POSTs: a retry gets the first answer and nothing is done twice; on
SQLite and on PostgreSQL (the keys live in the workspace database)."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from db.plugin import *  # noqa: F403 - the fixtures db_url, any_db_workspace
from db.worked_example import load_worked_example
from workbench.api import create_key
from workbench.billing.store import audit
from workbench.billing.store import models as m
from workbench.billing.store.workspace import Workspace

from .conftest import ACME, BETA, Keys, bearer

GRANT = {"amount": "3.00", "currency": "CAD", "memo": "goodwill"}


@pytest.fixture
def ws(any_db_workspace: Workspace, tmp_path: Path) -> Workspace:
    """The worked example of tests/api, on each database (replaces the SQLite-only `ws`)."""
    return load_worked_example(any_db_workspace, tmp_path)


def keyed(token: str, key: str) -> dict[str, str]:
    return {**bearer(token), "Idempotency-Key": key}


def goodwill(client: TestClient, keys: Keys, customer: str = ACME) -> list[str]:
    """The amounts of the customer's goodwill grants, as its ledger lists them."""
    entries = client.get(f"/v1/customers/{customer}/credits", headers=bearer(keys.read)).json()["entries"]
    return [e["amount"] for e in entries if e["memo"] == "goodwill"]


def test_a_grant_sent_again_with_its_key_is_granted_once(client: TestClient, keys: Keys, ws: Workspace) -> None:
    """A client timed out and sent the grant again: without a credit_id, that was two grants."""
    url = f"/v1/customers/{ACME}/credits"
    first = client.post(url, headers=keyed(keys.write, "grant-7f3a"), json=GRANT)
    again = client.post(url, headers=keyed(keys.write, "grant-7f3a"), json=GRANT)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content  # the first answer, byte for byte
    assert (first.headers.get("Idempotent-Replayed"), again.headers["Idempotent-Replayed"]) == (None, "true")
    assert goodwill(client, keys) == ["3.00"]
    assert len(audit.events(ws, action="credit.grant")) == 1
    # key order and white space do not make another request
    reordered = client.post(url, headers={**keyed(keys.write, "grant-7f3a"), "Content-Type": "application/json"},
                            content=b'{ "memo": "goodwill",  "currency": "CAD", "amount": "3.00" }')
    assert (reordered.status_code, reordered.content) == (201, first.content)
    # without a key, a grant is a new grant
    assert client.post(url, headers=bearer(keys.write), json=GRANT).status_code == 201
    assert goodwill(client, keys) == ["3.00", "3.00"]


def test_a_key_stands_for_one_request(client: TestClient, keys: Keys) -> None:
    url = f"/v1/customers/{ACME}/credits"
    assert client.post(url, headers=keyed(keys.write, "k-1"), json=GRANT).status_code == 201
    for other_url, body, says in ((url, {**GRANT, "amount": "30.00"}, "another body"),
                                  (f"/v1/customers/{BETA}/credits", GRANT,
                                   f"another request (POST /v1/customers/{ACME}/credits)")):
        response = client.post(other_url, headers=keyed(keys.write, "k-1"), json=body)
        assert response.status_code == 422
        [problem] = response.json()["problems"]
        assert problem["code"] == "idempotency-key-reused"
        assert problem["message"] == f"Idempotency-Key 'k-1' was sent before with {says}: a key stands for one " \
                                     "request, and this one was not done"
    assert goodwill(client, keys) == ["3.00"] and goodwill(client, keys, BETA) == []
    for bad in (b"", b"with space", b"x" * 256, "clé".encode()):
        response = client.post(url, headers={**bearer(keys.write), "Idempotency-Key": bad}, json=GRANT)  # type: ignore[dict-item]
        assert response.status_code == 422 and "header Idempotency-Key" in response.json()["problems"][0]["message"], bad


def test_keys_belong_to_the_api_key_that_sent_them(client: TestClient, keys: Keys, ws: Workspace) -> None:
    other = create_key(ws, "write", name="second robot").token
    url = f"/v1/customers/{ACME}/credits"
    mine = client.post(url, headers=keyed(keys.write, "k-1"), json=GRANT)
    theirs = client.post(url, headers=keyed(other, "k-1"), json=GRANT)
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in theirs.headers
    assert goodwill(client, keys) == ["3.00", "3.00"]


def test_a_refused_request_keeps_no_answer(client: TestClient, keys: Keys) -> None:
    """Nothing was done, so nothing is kept: the key may be sent again, with the body corrected."""
    url = f"/v1/customers/{ACME}/credits"
    refused = client.post(url, headers=keyed(keys.write, "k-1"), json={**GRANT, "amount": "0"})
    assert (refused.status_code, refused.json()["problems"][0]["code"]) == (422, "bad-credit")
    corrected = client.post(url, headers=keyed(keys.write, "k-1"), json=GRANT)
    assert corrected.status_code == 201 and "Idempotent-Replayed" not in corrected.headers
    assert goodwill(client, keys) == ["3.00"]


def test_generation_sent_again_with_its_key_answers_the_drafts_it_made(client: TestClient, keys: Keys) -> None:
    """Without a key the second run is refused (409, period already billed); with it, the client
    gets the run that made its drafts, and their numbers."""
    body = {"vendor": "aws", "range": "2025-10", "customers": [ACME], "apply_credits": True}
    first = client.post("/v1/invoices/generate", headers=keyed(keys.write, "run-2025-10"), json=body)
    again = client.post("/v1/invoices/generate", headers=keyed(keys.write, "run-2025-10"), json=body)
    assert (first.status_code, again.status_code, again.headers["Idempotent-Replayed"]) == (200, 200, "true")
    assert again.json() == first.json() and [i["number"] for i in again.json()["invoices"]] == ["AWS-202510-00001"]
    unkeyed = client.post("/v1/invoices/generate", headers=bearer(keys.write), json=body)
    assert unkeyed.status_code == 409
    assert [i["number"] for i in client.get("/v1/invoices", headers=bearer(keys.read)).json()] == ["AWS-202510-00001"]


def test_a_status_change_sent_again_with_its_key(client: TestClient, keys: Keys, generated: dict[str, str]) -> None:
    url = f"/v1/invoices/{generated[ACME]}/status"
    first = client.post(url, headers=keyed(keys.write, "approve-1"), json={"to": "open"})
    again = client.post(url, headers=keyed(keys.write, "approve-1"), json={"to": "open"})
    assert (first.status_code, first.json()["status"]) == (200, "open")
    assert (again.status_code, again.content, again.headers["Idempotent-Replayed"]) == (200, first.content, "true")
    assert client.post(url, headers=bearer(keys.write), json={"to": "open"}).status_code == 409


def test_two_identical_grants_at_once_grant_once(client: TestClient, keys: Keys, monkeypatch) -> None:
    """Both requests look the key up before either has claimed it; the unique constraint lets one
    claim it, and the other answers 409 while the first is still granting (held until then). The
    retry afterwards gets the grant."""
    from concurrency.race import LIMIT, MeetingPoint, run_together
    from workbench.api import credits as api_credits
    from workbench.api import idempotency

    point = MeetingPoint(2, lambda: False, LIMIT)
    real_stored, real_visible = idempotency._stored, api_credits.visible_customer
    answered = threading.Event()

    def stored(*args: Any) -> Any:
        found = real_stored(*args)
        if found is None:
            point.arrive()
        return found

    def visible_customer(*args: Any, **kwargs: Any) -> Any:
        assert answered.wait(LIMIT), "the other request never answered"
        return real_visible(*args, **kwargs)

    monkeypatch.setattr(idempotency, "_stored", stored)
    monkeypatch.setattr(api_credits, "visible_customer", visible_customer)

    def send() -> httpx.Response:
        try:
            return client.post(f"/v1/customers/{ACME}/credits", headers=keyed(keys.write, "twin"), json=GRANT)
        finally:
            answered.set()

    responses = sorted(run_together(send, send), key=lambda r: r.status_code)
    assert point.met
    assert [r.status_code for r in responses] == [201, 409]
    busy = responses[1]
    assert (busy.json()["problems"][0]["code"], busy.headers["Retry-After"]) == ("idempotency-key-in-use", "1")
    assert goodwill(client, keys) == ["3.00"]
    retry = client.post(f"/v1/customers/{ACME}/credits", headers=keyed(keys.write, "twin"), json=GRANT)
    assert (retry.status_code, retry.content) == (201, responses[0].content)


def test_a_key_left_claimed_by_a_stopped_server_is_free_after_the_lease(client: TestClient, keys: Keys, ws: Workspace,
                                                                        monkeypatch) -> None:
    """The server stopped between the run's commit and keeping its answer: the key answers 409 for
    10 minutes, then runs again, which bills nothing twice (the period is locked, 409)."""
    from workbench.api import idempotency

    body = {"vendor": "aws", "range": "2025-10", "customers": [ACME]}
    with monkeypatch.context() as stopped:
        stopped.setattr(idempotency.Claim, "complete", lambda self, response: None)
        assert client.post("/v1/invoices/generate", headers=keyed(keys.write, "run-1"), json=body).status_code == 200
    soon = client.post("/v1/invoices/generate", headers=keyed(keys.write, "run-1"), json=body)
    assert (soon.status_code, soon.json()["problems"][0]["code"]) == (409, "idempotency-key-in-use")
    with ws.session() as session:
        session.execute(update(m.IdempotencyRecord).values(claimed_at=m.utcnow() - dt.timedelta(minutes=11)))
    later = client.post("/v1/invoices/generate", headers=keyed(keys.write, "run-1"), json=body)
    [locked] = [p for p in later.json()["problems"] if p["severity"] == "error"]
    assert (later.status_code, locked["code"]) == (409, "period-locked") and "AWS-202510-00001" in locked["message"]
    assert len(client.get("/v1/invoices", headers=bearer(keys.read)).json()) == 1


def test_a_grant_whose_key_was_taken_over_meanwhile_is_undone(client: TestClient, keys: Keys, ws: Workspace,
                                                              monkeypatch) -> None:
    """A grant that ran past its lease while another request took the key over: only one of them
    may grant, so this one rolls back (its answer and its credit commit together)."""
    from workbench.api import credits as api_credits

    real = api_credits.visible_customer

    def visible_customer(*args: Any, **kwargs: Any) -> Any:
        with ws.session() as session:  # what a request taking the key over writes
            session.execute(update(m.IdempotencyRecord).values(claim="taken-over"))
        return real(*args, **kwargs)

    monkeypatch.setattr(api_credits, "visible_customer", visible_customer)
    response = client.post(f"/v1/customers/{ACME}/credits", headers=keyed(keys.write, "slow"), json=GRANT)
    assert (response.status_code, response.json()["problems"][0]["code"]) == (409, "idempotency-key-in-use")
    assert goodwill(client, keys) == []
    assert audit.events(ws, action="credit.grant") == []
    with ws.session() as session:
        [record] = session.scalars(select(m.IdempotencyRecord))
        assert (record.claim, record.status_code) == ("taken-over", None)  # the other request's, untouched


def test_every_post_documents_the_key_and_the_replayed_header(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    posts = {path: ops["post"] for path, ops in doc["paths"].items() if "post" in ops}
    assert sorted(posts) == ["/v1/customers/{customer_id}/credits", "/v1/invoices/generate", "/v1/invoices/{ref}/status"]
    for path, op in posts.items():
        [header] = [p for p in op["parameters"] if p["in"] == "header"]
        assert (header["name"], header["required"]) == ("Idempotency-Key", False), path
        success = op["responses"]["201" if path.endswith("credits") else "200"]
        assert "Idempotent-Replayed" in success["headers"], path
        assert "`idempotency-key-in-use`" in op["responses"]["409"]["description"], path
        assert "Retry-After" in op["responses"]["409"]["headers"], path
        assert "`idempotency-key-reused`" in op["responses"]["422"]["description"], path
        assert "`unsupported-media-type`" in op["responses"]["415"]["description"], path
    changed = doc["components"]["schemas"]["StatusChangedOut"]
    assert "warnings" in changed["required"]  # always sent: generated clients need not guess


def refuse_kept_answers(ws: Workspace) -> None:
    """The database refuses to keep any answer from now on, as one busy past its timeout would."""
    from sqlalchemy import text

    with ws.engine.begin() as con:
        if ws.engine.dialect.name == "sqlite":
            con.execute(text("CREATE TRIGGER refuse_answers BEFORE UPDATE ON idempotency_keys "
                             "WHEN NEW.status_code IS NOT NULL BEGIN SELECT RAISE(ABORT, 'database is locked'); END"))
        else:
            con.execute(text("CREATE FUNCTION refuse_answers() RETURNS trigger AS $$ BEGIN "
                             "RAISE EXCEPTION 'canceling statement due to lock timeout'; END $$ LANGUAGE plpgsql"))
            con.execute(text("CREATE TRIGGER refuse_answers BEFORE UPDATE ON idempotency_keys FOR EACH ROW "
                             "WHEN (NEW.status_code IS NOT NULL) EXECUTE FUNCTION refuse_answers()"))


def test_done_work_is_answered_even_when_its_answer_cannot_be_kept(client: TestClient, keys: Keys, ws: Workspace,
                                                                    generated: dict[str, str]) -> None:
    """The approval committed; keeping its answer then failed. The client is told it was done (not
    500, which says nothing was done); a retry soon after finds the key held."""
    refuse_kept_answers(ws)
    url = f"/v1/invoices/{generated[ACME]}/status"
    first = client.post(url, headers=keyed(keys.write, "approve-busy"), json={"to": "open"})
    assert (first.status_code, first.json()["status"]) == (200, "open")
    soon = client.post(url, headers=keyed(keys.write, "approve-busy"), json={"to": "open"})
    assert (soon.status_code, soon.json()["problems"][0]["code"], soon.headers["Retry-After"]) == (
        409, "idempotency-key-in-use", "1")


def test_a_key_held_long_without_an_answer_says_its_request_may_have_stopped(client: TestClient, keys: Keys,
                                                                              ws: Workspace,
                                                                              generated: dict[str, str]) -> None:
    """Retry-After is what is left of the lease, not 1 s: a client obeying it does not knock 600 times."""
    refuse_kept_answers(ws)
    url = f"/v1/invoices/{generated[ACME]}/status"
    assert client.post(url, headers=keyed(keys.write, "approve-gone"), json={"to": "open"}).status_code == 200
    with ws.session() as session:
        session.execute(update(m.IdempotencyRecord).values(claimed_at=m.utcnow() - dt.timedelta(minutes=4)))
    held = client.post(url, headers=keyed(keys.write, "approve-gone"), json={"to": "open"})
    [problem] = held.json()["problems"]
    assert (held.status_code, problem["code"]) == (409, "idempotency-key-in-use")
    assert 355 <= int(held.headers["Retry-After"]) <= 361  # 6 minutes of the 10-minute lease
    assert problem["message"].startswith("a request with Idempotency-Key 'approve-gone' has held it for 24")
    assert problem["message"].endswith("without an answer: it is still running, or its server stopped before answering")
    assert problem["fix"].startswith(f"send it again in {held.headers['Retry-After']} s")


def test_a_query_string_is_not_part_of_the_request(client: TestClient, keys: Keys) -> None:
    """The POSTs take no query parameters; a long one failed to be stored (500 on PostgreSQL)."""
    url = f"/v1/customers/{ACME}/credits"
    first = client.post(f"{url}?trace={'a' * 600}", headers=keyed(keys.write, "q-1"), json=GRANT)
    again = client.post(url, headers=keyed(keys.write, "q-1"), json=GRANT)
    assert (first.status_code, again.status_code, again.headers["Idempotent-Replayed"]) == (201, 201, "true")
    assert goodwill(client, keys) == ["3.00"]


def test_two_idempotency_key_headers_are_refused(client: TestClient, keys: Keys) -> None:
    response = client.post(f"/v1/customers/{ACME}/credits", json=GRANT, headers=[
        *bearer(keys.write).items(), ("Idempotency-Key", "k-a"), ("Idempotency-Key", "k-b")])
    assert (response.status_code, response.json()["problems"][0]["code"]) == (422, "idempotency-key-repeated")
    assert goodwill(client, keys) == []
