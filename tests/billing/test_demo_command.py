"""`workbench demo` builds a workspace from generated vendor files and bills last month."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args], capture_output=True, text=True, timeout=300)


def test_demo_bills_every_vendor_and_reports_what_needs_attention(tmp_path: Path) -> None:
    ws = str(tmp_path / "demo")
    done = run("demo", ws, "--today", "2025-11-25")
    assert done.returncode == 0, done.stderr
    for vendor in ("aws", "azure", "gcp"):
        assert f"{vendor}: " in done.stdout and "draft invoices for 2025-10" in done.stdout
    # the deliberate gap in the demo: a customer with AWS usage but no AWS pricebook
    assert "The customer with ID #100004 does not have the currency USD enabled" in done.stderr

    invoices = json.loads(run("invoices", "list", ws, "--json", "--today", "2025-11-25").stdout)
    assert {i["vendor"] for i in invoices} == {"aws", "azure", "gcp"}
    assert {i["currency"] for i in invoices} >= {"USD", "CAD"}
    assert all(i["status"] == "draft" and not i["preliminary"] for i in invoices)
    assert "100004" not in {i["customer_id"] for i in invoices if i["vendor"] == "aws"}
    assert all(Decimal(i["total"]) > 0 for i in invoices)

    unassigned = json.loads(run("unassigned", ws, "--json").stdout)
    assert {u["vendor"] for u in unassigned} == {"aws", "azure", "gcp"}
