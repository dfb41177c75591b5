"""The OpenAPI description and the interactive docs work without any network."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


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
