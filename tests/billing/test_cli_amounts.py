"""Every amount the command line prints for a person reads one way: `core.money.money_text` (rounded
once, half-up, to the currency's minor unit, thousands grouped) and the currency code, `1,234.57
USD` in a sentence; in a table the amount column holds `1,234.57` and the `cur` column beside it the
code. `--json` keeps every figure exact. They used to read three ways: the generation warning
rounded without grouping (`1234.57 USD`), `unassigned` and `import` exact (`1234.5678`), `reports`
grouped and exact (`1,428.5728000018`).

The worked example's October CUR plus an account nobody owns, 555555555555, with 1234.5678 USD of
EC2 (the example's own stray account, 444444444444, has 3.5 USD):

    as a person reads it        exact (--json)    what
    3.50 USD                    3.5               unassigned 444444444444
    1,234.57 USD                1234.5678         unassigned 555555555555
    1,428.57 USD                1428.5728000018   the report: every row (tax and marketplace too)
    1,358.07 USD                1358.0678000028   AmazonEC2: 100.0000000028 + 13 tax + 7 + 3.5 + 1234.5678
    10.00 USD                   10.004999999      AmazonRDS: half-up to the cent is down here
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import update

from .conftest import cur_rows
from .test_cli_end_to_end import customers_workspace, october_workspace, workbench
from .worked_example import CUR

NOBODYS = {"account": "555555555555", "type": "Usage", "product": "AmazonEC2", "family": "Compute Instance",
           "usage_type": "USE1-BoxUsage:m5.xlarge", "cost": "1234.5678"}
FIX = "  fix: assign it in accounts.csv and import it (`workbench customers import`), then generate again"


class Workspace:
    """The workspace and what `import` and `generate` printed on the way (text, not --json)."""

    def __init__(self, tmp_path: Path) -> None:
        self.dir = customers_workspace(tmp_path)
        report = tmp_path / "cur-2025-10.csv"
        report.write_text(cur_rows(CUR + [NOBODYS], "2025-10"))
        self.imported = workbench("import", self.dir, str(report))
        self.generated = workbench("generate", self.dir, "--vendor", "aws", "--range", "2025-10", "--today", "2025-11-20",
                                   expect=1)  # Gamma has no pricebook: done in part


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("amounts"))


def lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    return done.stdout.splitlines()


def test_import_says_how_much_usage_belongs_to_no_customer_as_money(ws: Workspace) -> None:
    assert ws.imported.stderr.splitlines() == [
        "unassigned: aws account 444444444444: 1 row(s), 3.50 USD belong to no customer",
        "unassigned: aws account 555555555555: 1 row(s), 1,234.57 USD belong to no customer",
    ]
    assert "1234.5678" not in ws.imported.stderr


def test_generate_warns_of_usage_nobody_owns_as_money_and_lists_totals_the_same_way(ws: Workspace) -> None:
    warnings = ws.generated.stderr.splitlines()
    assert warnings[:4] == [
        "warning: aws account 444444444444 belongs to no customer: 1 row(s), 3.50 USD not invoiced", FIX,
        "warning: aws account 555555555555 belongs to no customer: 1 row(s), 1,234.57 USD not invoiced", FIX,
    ]
    # the totals were already shown this way (stored rounded): total, cur (and the due day in the list)
    assert [line.split()[-2:] for line in lines(ws.generated)[2:]] == [["232.87", "CAD"], ["41.26", "USD"]]
    listed = lines(workbench("invoices", "list", ws.dir))[2:]
    assert [line.split()[-3:-1] for line in listed] == [["232.87", "CAD"], ["41.26", "USD"]]


def test_unassigned_lists_money_and_its_json_stays_exact(ws: Workspace) -> None:
    assert lines(workbench("unassigned", ws.dir)) == [
        "vendor  account       rows  cost      cur",
        "------  ------------  ----  --------  ---",
        "aws     444444444444     1      3.50  USD",
        "aws     555555555555     1  1,234.57  USD",
    ]
    listed = json.loads(workbench("unassigned", ws.dir, "--json").stdout)
    assert [(u["account_id"], u["cost"], u["currency"]) for u in listed] == [
        ("444444444444", "3.5", "USD"), ("555555555555", "1234.5678", "USD")]


def test_reports_shows_the_vendor_total_as_money_and_its_json_to_the_last_digit(ws: Workspace) -> None:
    """The exact total is what matches the vendor's file: `--json` has it; the table rounds it as
    every other amount is shown."""
    assert lines(workbench("reports", ws.dir)) == [
        "vendor  period   file             rows  cost      cur  vendor data  status",
        "------  -------  ---------------  ----  --------  ---  -----------  -------",
        "aws     2025-10  cur-2025-10.csv    10  1,428.57  USD  final        current",
    ]
    [report] = json.loads(workbench("reports", ws.dir, "--json").stdout)
    assert (report["cost"], report["currency"]) == ("1428.5728000018", "USD")


def test_pricebooks_terms_shows_vendor_cost_as_money_and_its_json_stays_exact(ws: Workspace) -> None:
    assert lines(workbench("pricebooks", "terms", ws.dir, "--vendor", "aws")) == [
        "service      rows  vendor cost  cur",
        "-----------  ----  -----------  ---",
        "AmazonEC2       6     1,358.07  USD",
        "prod-abc123     1        40.00  USD",
        "AmazonS3        2        20.50  USD",
        "AmazonRDS       1        10.00  USD",
    ]
    terms = json.loads(workbench("pricebooks", "terms", ws.dir, "--vendor", "aws", "--json").stdout)
    assert {t["name"]: t["cost"] for t in terms} == {
        "AmazonEC2": "1358.0678000028", "prod-abc123": "40", "AmazonS3": "20.5", "AmazonRDS": "10.004999999"}


def test_verify_says_a_tampered_total_as_money_and_its_json_stays_plain(tmp_path: Path) -> None:
    """Beta's issued 41.26 USD is edited to 1041.26 behind the workbench's back."""
    from workbench.billing.store import models as m
    from workbench.billing.store.workspace import open_workspace

    ws = october_workspace(tmp_path)
    [beta] = json.loads(workbench("generate", ws, "--vendor", "aws", "--range", "2025-10", "--customers", "100002",
                                  "--today", "2025-11-20", "--json").stdout)["invoices"]
    workbench("invoices", "approve", ws, beta["number"], "--today", "2025-11-21")
    with open_workspace(Path(ws)).session() as s:
        s.execute(update(m.Invoice).where(m.Invoice.number == beta["number"]).values(total=m.Invoice.total))
        invoice = s.query(m.Invoice).filter_by(number=beta["number"]).one()
        invoice.total = invoice.total + 1000

    text = lines(workbench("verify", ws, expect=1))
    assert text[0] == f"{beta['number']}: DIFFERS"
    assert "  total: stored 1,041.26 USD, derived 41.26 USD" in text
    assert any(line.startswith("  seal figures: stored ") for line in text)  # not an amount: as it was
    [found] = json.loads(workbench("verify", ws, "--json", expect=1).stdout)
    assert {"what": "total", "stored": "1041.26", "derived": "41.26"} in found["differences"]
