"""The detailed CSV: every line exact, then every usage row behind it, traceable to file and row."""

from __future__ import annotations

import datetime as dt
import tracemalloc
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from .helpers import StoreInvoice, csv_text, read_csv

from workbench.billing.core.credits import CreditBalance, ForeignCredit
from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.money import D
from workbench.billing.core.pricebook import PricebookVersion
from workbench.billing.exports import SourceRow, export_invoice

from .helpers import EngineInvoice

# Invoice in EUR for USD usage at 0.9; line 1 sums two CUR rows, one of them a 1.8E-9 cost.
LINES = """
position | kind  | section | service   | sku         | description         | quantity | unit | vendor_cost  | markup_percent | amount          | amount_rounded | margin        | rule                | source_rows
1        | usage | Compute | AmazonEC2 | BoxUsage:m5 | Amazon EC2 m5.large | 2.5      | Hrs  | 0.2400000018 | 12.5           | 0.2430000018225 | 0.24           | 0.02700000002 | service=AmazonEC2   | 2
2        | usage | Storage | AmazonS3  | Storage     | Amazon S3           | 10       | GB-Mo | 0.23         | 12.5           | 0.232875        | 0.23           | 0.025875      | default             | 1
"""

SOURCE_ROWS = [
    SourceRow(1, "cur-2025-10.csv.gz", 17, "111122223333", dt.datetime(2025, 10, 1), "AmazonEC2", "BoxUsage:m5",
              "m5.large hours", D("2.5"), "Hrs", D("0.24"), D("12.5"), D("0.9"), D("0.243")),
    SourceRow(1, "cur-2025-10.csv.gz", 18, "111122223333", dt.datetime(2025, 10, 2, tzinfo=dt.timezone(dt.timedelta(hours=2))),
              "AmazonEC2", "BoxUsage:m5", "free-tier rounding", D("0"), "Hrs", D("1.8E-9"), D("12.5"), D("0.9"), D("1.8225E-9")),
    SourceRow(2, "cur-2025-10.csv.gz", 40, "444455556666", dt.datetime(2025, 10, 31, 23), "AmazonS3", "Storage",
              "S3 standard storage", D("10"), "GB-Mo", D("0.23"), D("12.5"), D("0.9"), D("0.232875")),
]

HEADER = ("invoice,record,line_position,section,kind,service,sku,description,source_file,source_row,sub_account_id,"
          "charge_period_start,quantity,unit,vendor_cost,vendor_currency,markup_percent,fx_rate,amount,amount_rounded,"
          "currency,margin,rule,source_row_count")


def test_lines_then_source_rows_with_exact_decimals(store_invoice: StoreInvoice, tmp_path: Path) -> None:
    invoice = store_invoice(LINES, currency="EUR", usage_currency="USD", fx_rate="0.9", subtotal="0.48", total="0.48",
                            source_rows=lambda: iter(SOURCE_ROWS))

    path = export_invoice(invoice, "detailed-csv", tmp_path)

    assert path == tmp_path / "AWS-2025-10-00001-detailed.csv"
    assert read_csv(path) == csv_text(HEADER + """
AWS-2025-10-00001,line,1,Compute,usage,AmazonEC2,BoxUsage:m5,Amazon EC2 m5.large,,,,,2.5,Hrs,0.2400000018,USD,12.5,0.9,0.2430000018225,0.24,EUR,0.02700000002,service=AmazonEC2,2
AWS-2025-10-00001,line,2,Storage,usage,AmazonS3,Storage,Amazon S3,,,,,10,GB-Mo,0.23,USD,12.5,0.9,0.232875,0.23,EUR,0.025875,default,1
AWS-2025-10-00001,source,1,Compute,usage,AmazonEC2,BoxUsage:m5,m5.large hours,cur-2025-10.csv.gz,17,111122223333,2025-10-01T00:00:00,2.5,Hrs,0.24,USD,12.5,0.9,0.243,,EUR,,,
AWS-2025-10-00001,source,1,Compute,usage,AmazonEC2,BoxUsage:m5,free-tier rounding,cur-2025-10.csv.gz,18,111122223333,2025-10-01T22:00:00,0,Hrs,0.0000000018,USD,12.5,0.9,0.0000000018225,,EUR,,,
AWS-2025-10-00001,source,2,Storage,usage,AmazonS3,Storage,S3 standard storage,cur-2025-10.csv.gz,40,444455556666,2025-10-31T23:00:00,10,GB-Mo,0.23,USD,12.5,0.9,0.232875,,EUR,,,
""")


def test_source_amounts_reconcile_to_the_line_to_the_last_decimal(store_invoice: StoreInvoice, tmp_path: Path) -> None:
    invoice = store_invoice(LINES, currency="EUR", usage_currency="USD", fx_rate="0.9", subtotal="0.48", total="0.48",
                            source_rows=lambda: iter(SOURCE_ROWS))

    rows = read_csv(export_invoice(invoice, "detailed-csv", tmp_path))[1:]

    lines = {r[2]: D(r[18]) for r in rows if r[1] == "line"}
    sums: dict[str, Decimal] = {}
    for r in rows:
        if r[1] == "source":
            sums[r[2]] = sums.get(r[2], Decimal(0)) + D(r[18])
    assert sums == lines == {"1": D("0.2430000018225"), "2": D("0.232875")}


def test_a_credit_in_another_currency_shows_its_own_rate(engine_invoice: EngineInvoice, tmp_path: Path) -> None:
    # A CAD invoice for USD usage at 1.3712: 100 USD -> 137.12 CAD. A 50.00 EUR credit at 1.47 CAD
    # per EUR is worth 73.50 CAD and pays that much. Its line is in EUR at 1.47, not in USD at 1.3712.
    invoice = engine_invoice(
        """
        section | service   | sku | description | quantity | unit | vendor_cost | marketplace | source_rows
        Compute | AmazonEC2 | m5  | Amazon EC2  | 1        | Hrs  | 100         | no          | 1
        """,
        pricebook=PricebookVersion("At cost", "aws", "2025-07"), currency="CAD", usage_currency="USD",
        fx_rate="1.3712", options=InvoiceOptions(apply_credits=True),
        balance=CreditBalance(foreign=(ForeignCredit("EUR", D("1.47"), general=D("50")),)),
    )

    rows = read_csv(export_invoice(invoice, "detailed-csv", tmp_path))

    columns = ("kind", "description", "quantity", "unit", "vendor_currency", "fx_rate", "amount", "currency", "rule")
    picked = [[row[rows[0].index(name)] for name in columns] for row in rows]
    assert picked == [list(columns),
                      ["usage", "Amazon EC2", "1", "Hrs", "USD", "1.3712", "137.1200", "CAD", "At cost 2025-07 no rule: at cost"],
                      ["credit", "Credits applied: 50.00 EUR at 1.47 CAD per EUR", "50", "EUR", "EUR", "1.47",
                       "-73.50", "CAD", "1 EUR = 1.47 CAD"]]


def test_without_source_rows_only_the_lines(store_invoice: StoreInvoice, tmp_path: Path) -> None:
    invoice = store_invoice(LINES, currency="EUR", usage_currency="USD", fx_rate="0.9", subtotal="0.48", total="0.48")

    rows = read_csv(export_invoice(invoice, "detailed-csv", tmp_path))

    assert [r[:3] for r in rows] == [["invoice", "record", "line_position"],
                                     ["AWS-2025-10-00001", "line", "1"], ["AWS-2025-10-00001", "line", "2"]]


def test_a_source_row_for_a_line_the_invoice_lacks_is_refused(store_invoice: StoreInvoice, tmp_path: Path) -> None:
    stray = SourceRow(9, "cur.csv", 3, "1", dt.datetime(2025, 10, 1), "S3", "s", "d", D("1"), "GB", D("1"), D("0"), D("1"), D("1"))
    invoice = store_invoice(LINES, currency="EUR", usage_currency="USD", fx_rate="0.9", subtotal="0.48", total="0.48",
                            source_rows=lambda: [stray])

    with pytest.raises(ValueError, match="cur.csv:3 points at line 9"):
        export_invoice(invoice, "detailed-csv", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_source_rows_stream_to_disk(store_invoice: StoreInvoice, tmp_path: Path) -> None:
    count = 50_000
    template = SOURCE_ROWS[2]

    def many() -> Iterator[SourceRow]:
        for i in range(count):
            yield SourceRow(2, "cur.csv", i + 1, "444455556666", template.charge_period_start, "AmazonS3", "Storage",
                            "S3", D("1"), "GB-Mo", D("0.0000046575"), D("12.5"), D("0.9"), D("0.0000046575"))

    invoice = store_invoice(LINES, currency="EUR", usage_currency="USD", fx_rate="0.9", subtotal="0.48", total="0.48",
                            source_rows=many)

    tracemalloc.start()
    try:
        path = export_invoice(invoice, "detailed-csv", tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    with open(path, encoding="utf-8") as f:
        assert sum(1 for _ in f) == 1 + 2 + count
    # the file is ~8 MB; holding its rows would take far more than this
    assert peak < 2_000_000, f"peak {peak} bytes: rows are being collected, not streamed"
