"""The PDF download is the invoice as it is now: a month-end PDF written after the approval can
still show the Draft its notebook read, and then it is printed anew rather than served."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from workbench.batch import run_month_end
from workbench.billing.store.workspace import Workspace

from render.pdf_text import approving_notebook, pdf_text

from .conftest import ACME, TODAY, Keys, bearer


def test_a_draft_pdf_newer_than_the_approval_is_not_served(client: TestClient, keys: Keys, ws: Workspace,
                                                           generated: dict[str, str], tmp_path: Path) -> None:
    number = generated[ACME]
    # an analyst approves the invoice while the month end prints it (after its notebook read the Draft)
    summary = run_month_end(ws, "2025-10", customers=[ACME], today=TODAY, notebook=approving_notebook(tmp_path),
                            engine="cold")
    assert [(o.number, o.state) for o in summary.outcomes] == [(number, "done")], summary.text()
    month_end = ws.output_dir / "2025-10" / number / f"{number}.pdf"
    assert "DRAFT" in pdf_text(month_end)
    assert client.get(f"/v1/invoices/{number}", headers=bearer(keys.read)).json()["status"] == "open"

    response = client.get(f"/v1/invoices/{number}/download/pdf", headers=bearer(keys.acme))
    assert response.status_code == 200, response.text
    served = tmp_path / "served.pdf"
    served.write_bytes(response.content)
    text = pdf_text(served)
    assert "DRAFT" not in text and "Open" in text and "238.44" in text
