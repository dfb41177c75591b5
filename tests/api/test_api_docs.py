"""The OpenAPI description and the interactive docs work without any network."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from .conftest import Keys, bearer


def test_openapi_describes_every_endpoint_and_both_key_headers(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert {path: sorted(ops) for path, ops in doc["paths"].items()} == {
        "/v1/health": ["get"],
        "/v1/customers": ["get"],
        "/v1/customers/{customer_id}": ["get"],
        "/v1/customers/{customer_id}/credits": ["get", "post"],
        "/v1/reports": ["get"],
        "/v1/reports/periods": ["get"],
        "/v1/invoices/generate": ["post"],
        "/v1/invoices": ["get"],
        "/v1/invoices/{ref}": ["delete", "get"],
        "/v1/invoices/{ref}/status": ["post"],
        "/v1/invoices/{ref}/download/{format}": ["get"],
    }
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearer"]["scheme"] == "bearer" and schemes["apiKey"]["name"] == "X-API-Key"
    total = doc["components"]["schemas"]["InvoiceSummaryOut"]["properties"]["total"]
    assert total["type"] == "string"


def test_swagger_ui_and_redoc_load_only_local_assets(client: TestClient) -> None:
    for url in ("/docs", "/redoc"):
        page = client.get(url)
        assert page.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources and all(s.startswith("/docs/assets/") for s in sources), sources
        for source in sources:
            asset = client.get(source)
            assert asset.status_code == 200 and len(asset.content) > 1000, source
        assert "/openapi.json" in page.text
        assert "https://" not in page.text and "http://" not in page.text


def test_public_names_resolve() -> None:
    import workbench.api

    for name in workbench.api.__all__:
        assert getattr(workbench.api, name) is not None, name


def test_the_documented_error_bodies_are_the_ones_sent(client: TestClient, keys: Keys, generated: dict[str, str]) -> None:
    """A generation that made nothing answers with the run (range, invoices, problems), and the
    document says so; bodies that cannot be read are 400 and 413, documented on every POST."""
    doc = client.get("/openapi.json").json()
    generate = doc["paths"]["/v1/invoices/generate"]["post"]["responses"]
    # 409 is the run, or (ProblemsOut) a request with the same Idempotency-Key still running
    assert generate["409"]["content"]["application/json"]["schema"]["anyOf"] == [
        {"$ref": "#/components/schemas/GenerationOut"}, {"$ref": "#/components/schemas/ProblemsOut"}]
    again = client.post("/v1/invoices/generate", headers=bearer(keys.write), json={"vendor": "aws", "range": "2025-10",
                                                                                     "customers": sorted(generated)})
    assert again.status_code == 409 and set(again.json()) == set(doc["components"]["schemas"]["GenerationOut"]["properties"])
    for path, op in (("/v1/invoices/generate", "post"), ("/v1/invoices/{ref}/status", "post"),
                     ("/v1/customers/{customer_id}/credits", "post")):
        assert {"400", "413"} <= set(doc["paths"][path][op]["responses"]), path
    broken = client.post("/v1/invoices/generate", headers={**bearer(keys.write), "content-type": "application/json"},
                         content=b"\xff\xfe not json")
    assert broken.status_code in (400, 422) and "problems" in broken.json()
