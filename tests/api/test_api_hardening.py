"""Hostile input: malformed JSON, oversized bodies, SQL injection and path traversal everywhere.

Each answer is a 4xx with the problems body, never a 500 or a stack trace, and the workspace is
unchanged by what was refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from workbench.api import create_app
from workbench.billing.store import audit, current_usage_files
from workbench.billing.store import models as m
from workbench.billing.store.workspace import Workspace

from .conftest import ACME, TODAY, Keys, bearer

INJECTIONS = [
    "1' OR '1'='1",
    "'; DROP TABLE invoices; --",
    '" OR ""="',
    "1; SELECT secret_hash FROM api_keys",
    "100001' UNION SELECT key_id, secret_hash FROM api_keys --",
    "%' OR 1=1 --",
]
TRAVERSALS = ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "..", "%2e%2e", "....//....//etc/passwd",
              "..\\..\\windows\\win.ini", "/etc/passwd", "AWS-202510-00001/../../../workbench.db"]


def counts(ws: Workspace) -> dict[str, int]:
    with ws.session() as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in (m.Invoice, m.InvoiceLine, m.Customer, m.CreditEntry, m.ApiKey, m.PeriodLock)}


def refused(response: object) -> None:
    status = getattr(response, "status_code")
    text = getattr(response, "text")
    assert 400 <= status < 500, (status, text)
    assert "Traceback" not in text and "sqlalchemy" not in text.lower() and "root:" not in text
    if status != 404 or text.startswith("{"):
        assert getattr(response, "json")()["problems"], text


def seg(text: str) -> str:
    """One path segment, percent-encoded, dots too (else the client would resolve `..` itself)."""
    return quote(text, safe="").replace(".", "%2E")


def test_malformed_json_is_422_with_a_clear_message(client: TestClient, keys: Keys) -> None:
    for body in (b'{"vendor": "aws",', b"not json", b'{"vendor": "aws"} trailing', b"\xff\xfe"):
        response = client.post("/v1/invoices/generate", headers={**bearer(keys.write), "Content-Type": "application/json"},
                               content=body)
        assert response.status_code == 422
        [problem] = response.json()["problems"]
        assert problem["code"] == "invalid-json"
        assert problem["message"].startswith("the request body is not valid JSON")
    empty = client.post("/v1/invoices/generate", headers={**bearer(keys.write), "Content-Type": "application/json"})
    assert empty.json()["problems"][0]["code"] == "missing-body"
    listed = client.post("/v1/invoices/generate", headers=bearer(keys.write), json=["aws"])
    assert listed.status_code == 422


def test_a_key_given_twice_is_refused_not_guessed(client: TestClient, keys: Keys, ws: Workspace) -> None:
    """Python's json keeps the last of a repeated key: this grant of 10.00 granted 1000.00."""
    before = counts(ws)
    response = client.post(f"/v1/customers/{ACME}/credits", headers={**bearer(keys.write), "Content-Type": "application/json"},
                           content=b'{"amount": "10.00", "currency": "CAD", "amount": "1000.00"}')
    assert response.status_code == 422
    assert response.json()["problems"] == [{
        "code": "duplicate-key", "message": 'body amount: the key "amount" is given 2 times in the same object; '
                                            "the request was refused rather than one of the values picked",
        "file": None, "row": None, "customer_id": None, "fix": "send each key once per object", "severity": "error"}]
    assert counts(ws) == before


def test_every_repeated_key_is_named_with_its_path(client: TestClient, keys: Keys) -> None:
    """All at once, where each is given again in the body: nested objects, objects in lists, and
    repeats inside the first of two values of a repeated key; an odd key is quoted."""
    body = (b'{"vendor": "aws", "customers": ["100001"], "range": "2025-10", "range": "2025-09",'
            b' "x": {"y": [{"z": 1, "z": 2, "z": 3}], "a.b": 1, "a.b": 2},'
            b' "x": {"w": {"v": 1, "v": 2}}}')
    response = client.post("/v1/invoices/generate", headers={**bearer(keys.write), "Content-Type": "application/json"},
                           content=body)
    assert response.status_code == 422
    assert [p["message"].split(" is given")[0] for p in response.json()["problems"]] == [
        'body range: the key "range"', 'body x.y.0.z: the key "z"', 'body x."a.b": the key "a.b"',
        'body x: the key "x"', 'body x.w.v: the key "v"']
    assert "3 times" in response.json()["problems"][1]["message"]


def test_every_endpoint_with_a_body_refuses_repeated_keys(client: TestClient, keys: Keys, ws: Workspace,
                                                          generated: dict[str, str]) -> None:
    """The check belongs to the app, not to each route: every operation the OpenAPI document gives
    a body refuses one (and documents it), before the key is checked, as a body that is not JSON."""
    before = counts(ws)
    doc = client.get("/openapi.json").json()
    with_body = sorted((path, method) for path, ops in doc["paths"].items() for method, op in ops.items()
                       if "requestBody" in op)
    assert with_body == [("/v1/customers/{customer_id}/credits", "post"), ("/v1/invoices/generate", "post"),
                         ("/v1/invoices/{ref}/status", "post")]
    for path, method in with_body:
        assert "`duplicate-key`" in doc["paths"][path][method]["responses"]["422"]["description"], path
        url = path.format(customer_id=ACME, ref=generated[ACME])
        for headers in (bearer(keys.write), {}):
            response = client.request(method, url, headers={**headers, "Content-Type": "application/json"},
                                      content=b'{"reason": "a", "reason": "b"}')
            assert response.status_code == 422, (path, response.text)
            assert [p["code"] for p in response.json()["problems"]] == ["duplicate-key"], path
    assert counts(ws) == before
    # a route without a body, and no route at all, answer as before
    assert client.request("DELETE", "/v1/invoices/NOPE-1", headers={**bearer(keys.write), "Content-Type": "application/json"},
                          content=b'{"a": 1, "a": 2}').status_code == 404
    assert client.post("/v1/nothing", headers=bearer(keys.write), content=b'{"a": 1, "a": 2}').status_code == 404


def test_oversized_bodies_are_413_before_anything_reads_them(client: TestClient, keys: Keys, ws: Workspace) -> None:
    before = counts(ws)
    big = b'{"vendor": "aws", "range": "2025-10", "customers": ["' + b"1" * (1024 * 1024) + b'"]}'
    declared = client.post("/v1/invoices/generate", headers={**bearer(keys.write), "Content-Type": "application/json"},
                           content=big)
    assert declared.status_code == 413
    assert declared.json()["problems"][0]["code"] == "body-too-large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked
        for _ in range(20):
            yield b" " * 65536

    streamed = client.post(f"/v1/customers/{ACME}/credits", headers={**bearer(keys.write), "Content-Type": "application/json"},
                           content=chunks())
    assert streamed.status_code == 413
    assert counts(ws) == before


def test_limit_is_configurable_and_exact(ws: Workspace, keys: Keys) -> None:
    body = b'{"vendor": "aws", "range": "2025-10"}'
    with TestClient(create_app(ws, today=lambda: TODAY, max_body_bytes=len(body))) as small:
        headers = {**bearer(keys.write), "Content-Type": "application/json"}
        assert small.post("/v1/invoices/generate", headers=headers, content=body).status_code == 200
        assert small.post("/v1/invoices/generate", headers=headers, content=body + b" ").status_code == 413


def test_sql_injection_in_path_parameters(client: TestClient, keys: Keys, ws: Workspace, generated: dict[str, str]) -> None:
    before = counts(ws)
    for text in INJECTIONS:
        for path in (f"/v1/invoices/{seg(text)}", f"/v1/invoices/{seg(text)}/download/csv",
                     f"/v1/invoices/{generated[ACME]}/download/{seg(text)}", f"/v1/customers/{seg(text)}",
                     f"/v1/customers/{seg(text)}/credits"):
            refused(client.get(path, headers=bearer(keys.write)))
        refused(client.post(f"/v1/invoices/{seg(text)}/status", headers=bearer(keys.write), json={"to": "void"}))
        refused(client.delete(f"/v1/invoices/{seg(text)}", headers=bearer(keys.write)))
        refused(client.post(f"/v1/customers/{seg(text)}/credits", headers=bearer(keys.write),
                            json={"amount": "1.00", "currency": "CAD"}))
    assert counts(ws) == before


def test_sql_injection_in_query_parameters(client: TestClient, keys: Keys, ws: Workspace, generated: dict[str, str]) -> None:
    before = counts(ws)
    for text in INJECTIONS:
        for name in ("customer", "vendor", "status", "range"):
            refused(client.get("/v1/invoices", headers=bearer(keys.read), params={name: text}))
        refused(client.get("/v1/reports", headers=bearer(keys.read), params={"vendor": text}))
        refused(client.get("/v1/reports", headers=bearer(keys.read), params={"period": text}))
        refused(client.get("/v1/reports/periods", headers=bearer(keys.read), params={"vendor": text}))
    # free text is stored as text, through bound parameters
    reason = INJECTIONS[1]
    response = client.delete(f"/v1/invoices/{generated[ACME]}", headers=bearer(keys.write), params={"reason": reason})
    assert response.status_code == 200
    assert [e.reason for e in audit.events(ws, action="invoice.delete")] == [reason]
    assert counts(ws)["invoices"] == before["invoices"] - 1


def test_sql_injection_in_bodies(client: TestClient, keys: Keys, ws: Workspace, generated: dict[str, str]) -> None:
    before = counts(ws)
    for text in INJECTIONS:
        for body in ({"vendor": text}, {"vendor": "aws", "range": text}, {"vendor": "aws", "range": "2025-10", "customers": [text]}):
            refused(client.post("/v1/invoices/generate", headers=bearer(keys.write), json=body))
        refused(client.post(f"/v1/invoices/{generated[ACME]}/status", headers=bearer(keys.write), json={"to": text}))
        for field in ("amount", "currency", "kind", "earned_on", "credit_id", "date"):
            refused(client.post(f"/v1/customers/{ACME}/credits", headers=bearer(keys.write),
                                json={"amount": "1.00", "currency": "CAD", field: text}))
    assert counts(ws) == before
    # a reason and a memo are free text: kept verbatim
    text = INJECTIONS[4]
    ok = client.post(f"/v1/customers/{ACME}/credits", headers=bearer(keys.write),
                     json={"amount": "1.00", "currency": "CAD", "memo": text, "reason": text})
    assert ok.status_code == 201
    assert ok.json()["granted"]["memo"] == text
    assert counts(ws)["api_keys"] == before["api_keys"]


@pytest.mark.parametrize("text", TRAVERSALS)
def test_path_traversal_never_reaches_the_filesystem(client: TestClient, keys: Keys, ws: Workspace,
                                                     generated: dict[str, str], text: str) -> None:
    number = generated[ACME]
    # encoded, the text reaches the router as one parameter, or several segments matching no route
    for path in (f"/v1/invoices/{seg(text)}/download/csv", f"/v1/invoices/{seg(text)}/download/pdf",
                 f"/v1/invoices/{number}/download/{seg(text)}", f"/v1/invoices/{seg(text)}",
                 f"/v1/customers/{seg(text)}", f"/v1/customers/{seg(text)}/credits"):
        response = client.get(path, headers=bearer(keys.read))
        refused(response)
        assert response.headers["content-type"].startswith("application/json")
    # as typed, the client resolves the dots first; whatever is left is never a file from outside
    for path in (f"/v1/invoices/{text}/download/csv", f"/v1/invoices/{number}/download/{text}"):
        response = client.get(path, headers=bearer(keys.read))
        assert response.status_code < 500 and "root:" not in response.text
        assert response.headers["content-type"].startswith("application/json"), path
    assert not (ws.root.parent / "etc").exists()


def test_unknown_routes_and_methods_answer_problems(client: TestClient, keys: Keys) -> None:
    missing = client.get("/v1/nothing", headers=bearer(keys.read))
    assert (missing.status_code, missing.json()["problems"][0]["code"]) == (404, "not-found")
    wrong = client.put("/v1/invoices", headers=bearer(keys.read))
    assert (wrong.status_code, wrong.json()["problems"][0]["code"]) == (405, "method-not-allowed")


def test_usage_that_is_gone_is_a_problem_with_its_fix(ws: Workspace, keys: Keys, generated: dict[str, str]) -> None:
    for stored in ws.usage_dir.rglob("*.*"):  # the usage behind the detailed CSV is gone, its vendor file too
        stored.unlink()
    with TestClient(create_app(ws, today=lambda: TODAY), raise_server_exceptions=False) as c:
        response = c.get(f"/v1/invoices/{generated[ACME]}/download/detailed-csv", headers=bearer(keys.read))
    assert response.status_code == 409
    [problem] = response.json()["problems"]
    assert problem["code"] == "usage-unavailable" and "import" in problem["fix"]
    assert str(ws.root) not in response.text and "Traceback" not in response.text


def test_a_server_failure_shows_no_trace(ws: Workspace, keys: Keys, generated: dict[str, str]) -> None:
    current_usage_files(ws, "aws", ["2025-10"])  # the rows behind the detailed CSV, written ...
    for parquet in ws.usage_dir.rglob("*.parquet"):  # ... and damaged: not parquet any more
        parquet.write_bytes(b"not parquet")
    with TestClient(create_app(ws, today=lambda: TODAY), raise_server_exceptions=False) as c:
        response = c.get(f"/v1/invoices/{generated[ACME]}/download/detailed-csv", headers=bearer(keys.read))
    assert response.status_code == 500
    assert response.json()["problems"][0]["code"] == "internal-error"
    assert "Traceback" not in response.text and ".parquet" not in response.text
    assert [p.name for p in (ws.output_dir / "api").iterdir()] == []


def test_out_of_range_refs_and_dates_are_4xx_not_500(client: TestClient, keys: Keys, generated: dict[str, str]) -> None:
    """An id no database can hold is no invoice (404); a range reaching past 9999-12-31 is an
    invalid range (422). Both were 500s with an OverflowError in the log."""
    for method, url in (("GET", "/v1/invoices/99999999999999999999"),
                        ("GET", "/v1/invoices/99999999999999999999/download/csv"),
                        ("DELETE", "/v1/invoices/99999999999999999999")):
        response = client.request(method, url, headers=bearer(keys.write))
        assert response.status_code == 404, (url, response.text)
    for url in ("/v1/invoices?range=9999-12", "/v1/invoices?range=0001-01-01..9999-12-31"):
        response = client.get(url, headers=bearer(keys.read))
        assert response.status_code == 422 and response.json()["problems"][0]["code"] == "invalid-range", response.text
    made = client.post("/v1/invoices/generate", headers=bearer(keys.write), json={"vendor": "aws", "range": "9999-12"})
    assert made.status_code == 422 and "9999-12-31" in made.json()["problems"][0]["message"]


def test_a_body_not_sent_as_json_is_415_and_one_json_cannot_read_is_invalid_json(client: TestClient, keys: Keys,
                                                                                ws: Workspace) -> None:
    before = counts(ws)
    url = f"/v1/customers/{ACME}/credits"
    for content_type in (None, "text/plain", "application/x-www-form-urlencoded"):
        headers = {**bearer(keys.write), **({"Content-Type": content_type} if content_type else {})}
        response = client.post(url, headers=headers, content=b'{"amount": "1.00", "currency": "CAD"}')
        [problem] = response.json()["problems"]
        assert (response.status_code, problem["code"]) == (415, "unsupported-media-type"), content_type
        assert problem["fix"] == "send the JSON object with Content-Type: application/json"
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = client.post(url, headers={**bearer(keys.write), "Content-Type": content_type},
                               content=b'{"amount": "1.00", "currency": "CAD", "memo": "typed"}')
        assert response.status_code == 201, (content_type, response.text)
    for unreadable in ('{"amount": "2.00", "currency": "CAD", "memo": "caf\xe9"}'.encode("latin-1"),
                       b'{"amount": "2.00", "currency": "CAD", "n": ' + b"9" * 5000 + b"}"):
        response = client.post(url, headers={**bearer(keys.write), "Content-Type": "application/json"}, content=unreadable)
        [problem] = response.json()["problems"]
        assert (response.status_code, problem["code"]) == (422, "invalid-json"), response.text
        assert problem["message"].startswith("the request body could not be read as JSON")
    assert counts(ws)["credit_entries"] == before["credit_entries"] + 2


def test_a_body_full_of_repeated_keys_gets_a_short_answer(client: TestClient, keys: Keys) -> None:
    body = b'{"vendor": "aws", "x": [' + b",".join(b'{"a": 1, "a": 2}' for _ in range(5000)) + b"]}"
    response = client.post("/v1/invoices/generate", headers={**bearer(keys.write), "Content-Type": "application/json"},
                           content=body)
    problems = response.json()["problems"]
    assert response.status_code == 422 and len(problems) == 21
    assert problems[0]["message"].startswith("body x.0.a: ")
    assert problems[-1]["message"] == "... and 4980 more repeated keys"
