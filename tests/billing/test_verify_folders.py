"""`workbench verify` and the month-end folders: which folders it checks.

The folders are written here by hand as the month end leaves them (`workbench/batch`): an
invoice's PDF and its manifest `<number>.done.json` (the files' sha256 and the invoice's
status), so no notebook runs. The worked example's October invoices are issued: Acme's and
Beta's.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from workbench.billing.core.lifecycle import Status
from workbench.billing.integrity import verify
from workbench.billing.invoices import set_status

from .test_integrity_and_audit import issue_all
from .worked_example import TODAY


def printed(month: Path, number: str, status: str = "open") -> Path:
    """`month/<number>/` as the month end of 2025-10 leaves it, its files made for `status`."""
    folder = month / number
    folder.mkdir(parents=True)
    pdf = folder / f"{number}.pdf"
    pdf.write_bytes(b"%PDF-1.7 statement of " + number.encode())
    (folder / f"{number}.done.json").write_text(json.dumps({
        "number": number, "period": "2025-10", "status": status,
        "invoice": {"id": 0, "status": status, "updated_at": "2025-11-21T00:00:00"},
        "files": {pdf.name: hashlib.sha256(pdf.read_bytes()).hexdigest()}}))
    return folder


def test_only_folders_named_for_a_month_are_checked(billed):
    """A month is `YYYY-MM` as the billing core reads one (`periods.parse_month`): output/2025-13/
    (an analyst's folder, no month end writes it) and output/downloads/ are not month-end folders."""
    numbers = issue_all(billed)
    acme = numbers["100001"]
    set_status(billed, [acme], Status.VOID, today=TODAY, reason="billed twice")
    printed(billed.output_dir / "2025-13", acme)
    printed(billed.output_dir / "2025-10", numbers["100002"])
    (billed.output_dir / "downloads").mkdir()

    assert all(r.ok for r in verify(billed))
