"""Downloads: the files the CLI exports, with their media types, names and the engine's figures."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import time
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from exports.plugin_sources import BROKEN, jsonl
from workbench.billing.store import models as m
from workbench.billing.store.workspace import Workspace

from .conftest import ACME, BETA, Keys, bearer


def engine_total(ws: Workspace, number: str) -> Decimal:
    with ws.session() as session:
        return session.query(m.Invoice).filter_by(number=number).one().total


def test_customer_csv_total_is_the_engines_total(client: TestClient, keys: Keys, ws: Workspace,
                                                 generated: dict[str, str]) -> None:
    number = generated[ACME]
    response = client.get(f"/v1/invoices/{number}/download/csv", headers=bearer(keys.read))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="{number}.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["Amount"] for r in rows if r["Description"] == "Total"] == ["238.44"]
    assert Decimal(rows[-1]["Amount"]) == engine_total(ws, number)
    # the per-request export folder is gone once the file was sent
    assert [p.name for p in (ws.output_dir / "api").iterdir()] == []


def test_detailed_csv_traces_each_line_to_vendor_rows(client: TestClient, keys: Keys, generated: dict[str, str]) -> None:
    number = generated[BETA]
    response = client.get(f"/v1/invoices/{number}/download/detailed-csv", headers=bearer(keys.read))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="{number}-detailed.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text)))
    lines = {r["line_position"]: Decimal(r["amount"]) for r in rows if r["record"] == "line"}
    sources = [r for r in rows if r["record"] == "source"]
    assert [(r["line_position"], Decimal(r["vendor_cost"])) for r in sources] == [("1", Decimal("10.004999999"))]
    assert Decimal(sources[0]["amount"]) == lines["1"]


def test_workbook(client: TestClient, keys: Keys, generated: dict[str, str]) -> None:
    number = generated[ACME]
    response = client.get(f"/v1/invoices/{number}/download/xlsx", headers=bearer(keys.write))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["content-disposition"] == f'attachment; filename="{number}.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["Summary", "Lines", "Detail"]
    book.close()


def test_pdf_is_printed_from_the_statement(client: TestClient, keys: Keys, generated: dict[str, str]) -> None:
    number = generated[ACME]
    response = client.get(f"/v1/invoices/{number}/download/pdf", headers=bearer(keys.read))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="{number}.pdf"'
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert number in text and "238.44" in text and "207.38" in text


def test_pdf_of_the_month_end_run_is_served_while_current(client: TestClient, keys: Keys, ws: Workspace,
                                                          generated: dict[str, str]) -> None:
    number = generated[BETA]
    folder = ws.output_dir / "2025-10" / number
    folder.mkdir(parents=True)
    made = folder / f"{number}.pdf"
    made.write_bytes(b"%PDF-1.7 month-end statement")
    served = client.get(f"/v1/invoices/{number}/download/pdf", headers=bearer(keys.read))
    assert served.content == b"%PDF-1.7 month-end statement"
    # approving changes the invoice: the old file no longer tells its status, so it is printed anew
    past = time.time() - 60
    os.utime(made, (past, past))
    client.post(f"/v1/invoices/{number}/status", headers=bearer(keys.write), json={"to": "open"})
    fresh = client.get(f"/v1/invoices/{number}/download/pdf", headers=bearer(keys.beta))
    assert fresh.status_code == 200
    assert fresh.content.startswith(b"%PDF-") and fresh.content != made.read_bytes()


def test_unknown_format_is_422(client: TestClient, keys: Keys, generated: dict[str, str]) -> None:
    response = client.get(f"/v1/invoices/{generated[ACME]}/download/docx", headers=bearer(keys.read))
    assert response.status_code == 422
    assert "path format" in response.json()["problems"][0]["message"]


def test_a_plugin_format_is_downloaded_with_its_own_media_type(client: TestClient, keys: Keys, generated: dict[str, str],
                                                               exporter_plugin) -> None:
    """The exports docs' JSON-lines plug-in, installed on the server: the API offers it as the CLI
    does (it answered 422, its format being a fixed list), to read and write keys."""
    exporter_plugin(*jsonl())
    number = generated[ACME]
    response = client.get(f"/v1/invoices/{number}/download/jsonl", headers=bearer(keys.read))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.headers["content-disposition"] == f'attachment; filename="{number}.jsonl"'
    assert [json.loads(line) for line in response.text.splitlines()][-1] == {
        "invoice": number, "description": "Total", "amount": "238.44"}
    approved = client.post(f"/v1/invoices/{number}/status", headers=bearer(keys.write), json={"to": "open"})
    assert approved.status_code == 200  # now Acme's own key sees it: the customer CSV and PDF, no plug-in's file
    refused = client.get(f"/v1/invoices/{number}/download/jsonl", headers=bearer(keys.acme))
    assert (refused.status_code, refused.json()["problems"][0]["code"]) == (403, "scope")


def test_a_broken_plugin_stops_only_its_own_format(client: TestClient, keys: Keys, generated: dict[str, str],
                                                   exporter_plugin, caplog: pytest.LogCaptureFixture) -> None:
    exporter_plugin(*BROKEN)
    number = generated[ACME]
    assert client.get(f"/v1/invoices/{number}/download/csv", headers=bearer(keys.read)).status_code == 200
    with caplog.at_level(logging.ERROR, logger="workbench.api"):
        broken = client.get(f"/v1/invoices/{number}/download/broken", headers=bearer(keys.read))
    assert broken.status_code == 503
    [problem] = broken.json()["problems"]
    assert problem["code"] == "format-unavailable" and "administrator" in problem["fix"]
    assert "no_such_module" not in broken.text  # the server's insides stay in its log
    assert "plug-in broken = no_such_module:Exporter (package broken-exporter 0.1) failed to load" in caplog.text
    unknown = client.get(f"/v1/invoices/{number}/download/docx", headers=bearer(keys.read))
    assert unknown.status_code == 422
    assert unknown.json()["problems"][0]["message"] == (
        "path format: unknown download format 'docx'; available: csv, detailed-csv, pdf, xlsx")


def test_a_pdf_printed_now_finds_the_resellers_logo_in_the_workspace(client: TestClient, keys: Keys, ws: Workspace,
                                                                    generated: dict[str, str], tmp_path: Path) -> None:
    """reseller.logo_file names logo.png, kept beside the tables in the workspace: the API's own
    print found it only when the server ran from that folder (500 LogoError otherwise)."""
    from render.small_workspace import LOGO_PNG
    from workbench.billing.store.table_import import import_tables

    tables = ws.root / "imports" / "tables"
    tables.mkdir(parents=True, exist_ok=True)
    (tables / "logo.png").write_bytes(LOGO_PNG)
    reseller = tables / "reseller.csv"
    reseller.write_text("name,address,contact_email,logo_file,payment_terms_days\n"
                        "Maple Cloud Partners,1 King St W Toronto,billing@maple.example,logo.png,30\n")
    assert [p for p in import_tables(ws, [reseller])[1] if p.severity.value == "error"] == []
    url = f"/v1/invoices/{generated[ACME]}/download/pdf"
    response = client.get(url, headers=bearer(keys.read))
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"%PDF")

    (tables / "logo.png").unlink()  # now it cannot be read: said, with its fix, never a 500
    gone = client.get(url, headers=bearer(keys.read))
    assert gone.status_code == 503
    [problem] = gone.json()["problems"]
    assert problem["code"] == "pdf-unavailable" and "logo" in problem["message"] and "reseller" in problem["fix"]
