"""The customer-facing CSV, as worked examples: usage priced by the invoice engine (or, for
stored data the engine never makes, lines typed in by hand), the exact table out."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.billing.core.credits import CreditBalance
from workbench.billing.core.invoice import InvoiceOptions, Tax
from workbench.billing.core.money import D
from workbench.billing.core.pricebook import PricebookVersion, Rule, SupportPlan
from workbench.billing.exports import StatementMismatch, export_invoice

from .helpers import EngineInvoice, StoreInvoice, csv_text, read_csv

# Standard pricebook for October: +10% on everything, support 10% with a 50.00 monthly minimum.
STANDARD = PricebookVersion("Standard", "aws", "2025-07", rules=(Rule("default", "", D("10")),),
                            support=SupportPlan(percent=D("10"), monthly_minimum=D("50")))
AT_COST = PricebookVersion("At cost", "aws", "2025-07")

# Three usage groups in two product types and a marketplace product, priced by the engine:
#   usage       9.095 -> 10.0045 (shows 10.00), 1.822 -> 2.0042 (2.00), 3.03 -> 3.333 (3.33)
#   marketplace 12.345 at cost (shows 12.35); support: 10% of 15.3417 is under the minimum: 50.00
#   charges     15.3417 + 50 + 12.345 = 77.6867, rounded once: 77.69; credits 5.00 -> subtotal 72.69,
#               but the lines above it show 10.00 + 2.00 + 3.33 + 12.35 + 50.00 - 5.00 = 72.68
#   taxes       on the unrounded 72.6867: GST 5% = 3.634335 -> 3.63, QST 9.975% = 7.250498... -> 7.25
#   total       72.69 + 3.63 + 7.25 = 83.57
OCTOBER = """
section  | service       | sku          | description                     | quantity | unit  | vendor_cost | marketplace | source_rows
Compute  | AmazonEC2     | BoxUsage:m5  | Amazon EC2 m5.large             | 100      | Hrs   | 9.095       | no          | 720
Storage  | AmazonS3      | TimedStorage | Amazon S3 Standard              | 144.913  | GB-Mo | 3.03        | no          | 31
Compute  | AmazonEC2     | EBS:gp3      | Amazon EBS gp3                  | 25       | GB-Mo | 1.822       | no          | 31
Security | Acme Firewall | acme-fw      | Acme Firewall (AWS Marketplace) | 1        |       | 12.345      | yes         | 1
"""


def test_statement_grouped_by_product_type_with_rounding_difference(engine_invoice: EngineInvoice, tmp_path: Path) -> None:
    invoice = engine_invoice(
        OCTOBER, pricebook=STANDARD, options=InvoiceOptions(apply_credits=True, include_marketplace=True),
        balance=CreditBalance(general=D("5")), taxes=[Tax("GST", D("5")), Tax("QST", D("9.975"))],
    )
    assert (invoice.subtotal, invoice.total) == (D("72.69"), D("83.57"))  # the engine's figures, printed as stored

    path = export_invoice(invoice, "csv", tmp_path)

    assert path == tmp_path / "AWS-2025-10-00001.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbfProduct Type,Description,Amount,Currency,Invoice Number\r\n")
    assert read_csv(path, encoding="utf-8-sig") == csv_text("""
Product Type,Description,Amount,Currency,Invoice Number
Compute,Amazon EC2 m5.large,10.00,USD,AWS-2025-10-00001
Compute,Amazon EBS gp3,2.00,USD,AWS-2025-10-00001
Storage,Amazon S3 Standard,3.33,USD,AWS-2025-10-00001
Security,Acme Firewall (AWS Marketplace),12.35,USD,AWS-2025-10-00001
Support,Support plan 10%,50.00,USD,AWS-2025-10-00001
Credits,Credits applied,-5.00,USD,AWS-2025-10-00001
,Rounding difference,0.01,USD,AWS-2025-10-00001
,Subtotal,72.69,USD,AWS-2025-10-00001
Tax,GST 5%,3.63,USD,AWS-2025-10-00001
Tax,QST 9.975%,7.25,USD,AWS-2025-10-00001
,Total,83.57,USD,AWS-2025-10-00001
""")


def test_rows_of_several_statements_pasted_into_one_sheet_stay_apart(engine_invoice: EngineInvoice, tmp_path: Path) -> None:
    # A customer imports October's AWS statement (USD) and a second one billed in CAD into one
    # spreadsheet: without the invoice number and the currency on each row, "Total 1.25" and
    # "Total 1.71" could not be told apart, nor the dollars.
    usage = """
        section | service   | sku | description | quantity | unit | vendor_cost | marketplace | source_rows
        Compute | AmazonEC2 | m5  | Amazon EC2  | 1        | Hrs  | 1.25        | no          | 1
        """
    usd = engine_invoice(usage, pricebook=AT_COST, number="AWS-202510-00001")
    cad = engine_invoice(usage, pricebook=AT_COST, number="AWS-202510-00002", currency="CAD", usage_currency="USD",
                         fx_rate="1.3712")
    sheet = [row for invoice in (usd, cad)
             for row in read_csv(export_invoice(invoice, "csv", tmp_path), encoding="utf-8-sig")[1:]]

    assert sheet == csv_text("""
Compute,Amazon EC2,1.25,USD,AWS-202510-00001
,Subtotal,1.25,USD,AWS-202510-00001
,Total,1.25,USD,AWS-202510-00001
Compute,Amazon EC2,1.71,CAD,AWS-202510-00002
,Subtotal,1.71,CAD,AWS-202510-00002
,Total,1.71,CAD,AWS-202510-00002
""")


def test_no_rounding_row_when_lines_add_up_and_zero_optional_rows_omitted(engine_invoice: EngineInvoice, tmp_path: Path) -> None:
    # No support plan and no credit balance: the engine stores no support or credit line, so the
    # statement has no row for them; a tax at 0% is still shown (it tells which tax applied).
    invoice = engine_invoice(
        """
        section | service   | sku | description | quantity | unit | vendor_cost | marketplace | source_rows
        Compute | AmazonEC2 | m5  | Amazon EC2  | 1        | Hrs  | 1.25        | no          | 1
        """,
        pricebook=AT_COST, options=InvoiceOptions(apply_credits=True), balance=CreditBalance(),
        taxes=[Tax("Sales tax", D("0"))],
    )
    assert [line.kind for line in invoice.lines] == ["usage", "tax"]

    path = export_invoice(invoice, "csv", tmp_path)

    assert read_csv(path, encoding="utf-8-sig") == csv_text("""
Product Type,Description,Amount,Currency,Invoice Number
Compute,Amazon EC2,1.25,USD,AWS-2025-10-00001
,Subtotal,1.25,USD,AWS-2025-10-00001
Tax,Sales tax 0%,0.00,USD,AWS-2025-10-00001
,Total,1.25,USD,AWS-2025-10-00001
""")


def test_engine_total_is_the_subtotal_plus_the_taxes_shown(engine_invoice: EngineInvoice, tmp_path: Path) -> None:
    # Two taxes on 10.10: 5% = 0.505 (0.51), 9.975% = 1.007475 (1.01); each tax is rounded once and
    # the total is their sum with the subtotal, so no rounding row is needed above Total.
    invoice = engine_invoice(
        """
        section | service | sku | description | quantity | unit | vendor_cost | marketplace | source_rows
        Compute | EC2     | m5  | EC2         | 1        | Hrs  | 10.10       | no          | 1
        """,
        pricebook=AT_COST, taxes=[Tax("GST", D("5")), Tax("QST", D("9.975"))],
    )

    path = export_invoice(invoice, "csv", tmp_path)

    assert read_csv(path, encoding="utf-8-sig") == csv_text("""
Product Type,Description,Amount,Currency,Invoice Number
Compute,EC2,10.10,USD,AWS-2025-10-00001
,Subtotal,10.10,USD,AWS-2025-10-00001
Tax,GST 5%,0.51,USD,AWS-2025-10-00001
Tax,QST 9.975%,1.01,USD,AWS-2025-10-00001
,Total,11.62,USD,AWS-2025-10-00001
""")


def test_total_rounding_difference_shown_before_total(store_invoice: StoreInvoice, tmp_path: Path) -> None:
    # Not from the engine: a stored total rounded once over the exact taxes, 10.10 + 1.512475 =
    # 11.612475 -> 11.61, a cent under 10.10 + 0.51 + 1.01. The statement still adds up on paper.
    invoice = store_invoice(
        """
        position | kind  | section | service | sku | description | quantity | unit | vendor_cost | markup_percent | amount   | amount_rounded
        1        | usage | Compute | EC2     | m5  | EC2         | 1        | Hrs  | 10.10       | 0              | 10.10    | 10.10
        2        | tax   | Tax     |         |     | GST 5%      | 1        |      | 0           | 0              | 0.505    | 0.51
        3        | tax   | Tax     |         |     | QST 9.975%  | 1        |      | 0           | 0              | 1.007475 | 1.01
        """,
        subtotal="10.10",
        total="11.61",
    )

    path = export_invoice(invoice, "csv", tmp_path)

    assert read_csv(path, encoding="utf-8-sig")[-5:] == csv_text("""
,Subtotal,10.10,USD,AWS-2025-10-00001
Tax,GST 5%,0.51,USD,AWS-2025-10-00001
Tax,QST 9.975%,1.01,USD,AWS-2025-10-00001
,Rounding difference,-0.01,USD,AWS-2025-10-00001
,Total,11.61,USD,AWS-2025-10-00001
""")


def test_yen_has_no_decimals(engine_invoice: EngineInvoice, tmp_path: Path) -> None:
    # At 150.35 JPY per USD: 8.21 -> 1234.3735 (1234), 0.668 -> 100.4338 (100); 1334.8073 -> 1335.
    invoice = engine_invoice(
        """
        section | service | sku | description | quantity | unit | vendor_cost | marketplace | source_rows
        Compute | EC2     | m5  | EC2         | 1        | Hrs  | 8.21        | no          | 1
        Storage | S3      | st  | S3          | 1        | GB   | 0.668       | no          | 1
        """,
        pricebook=AT_COST, currency="JPY", usage_currency="USD", fx_rate="150.35",
    )

    path = export_invoice(invoice, "csv", tmp_path)

    assert read_csv(path, encoding="utf-8-sig") == csv_text("""
Product Type,Description,Amount,Currency,Invoice Number
Compute,EC2,1234,JPY,AWS-2025-10-00001
Storage,S3,100,JPY,AWS-2025-10-00001
,Rounding difference,1,JPY,AWS-2025-10-00001
,Subtotal,1335,JPY,AWS-2025-10-00001
,Total,1335,JPY,AWS-2025-10-00001
""")


def test_kuwaiti_dinar_has_three_decimals(engine_invoice: EngineInvoice, tmp_path: Path) -> None:
    # At 0.3086 KWD per USD: 4.0 -> 1.2344 (1.234), 0.001 -> 0.0003086 (0.000); 1.2347086 -> 1.235.
    invoice = engine_invoice(
        """
        section | service | sku | description | quantity | unit | vendor_cost | marketplace | source_rows
        Compute | EC2     | m5  | EC2         | 1        | Hrs  | 4.0         | no          | 1
        Compute | EC2     | t3  | EC2 t3      | 1        | Hrs  | 0.001       | no          | 1
        """,
        pricebook=AT_COST, currency="KWD", usage_currency="USD", fx_rate="0.3086",
    )

    path = export_invoice(invoice, "csv", tmp_path)

    assert read_csv(path, encoding="utf-8-sig") == csv_text("""
Product Type,Description,Amount,Currency,Invoice Number
Compute,EC2,1.234,KWD,AWS-2025-10-00001
Compute,EC2 t3,0.000,KWD,AWS-2025-10-00001
,Rounding difference,0.001,KWD,AWS-2025-10-00001
,Subtotal,1.235,KWD,AWS-2025-10-00001
,Total,1.235,KWD,AWS-2025-10-00001
""")


def test_vendor_text_cannot_become_a_spreadsheet_formula(engine_invoice: EngineInvoice, tmp_path: Path) -> None:
    # A vendor credit (a negative cost) whose product type and description are formulas.
    invoice = engine_invoice(
        """
        section | service | sku | description                    | quantity | unit | vendor_cost | marketplace | source_rows | charge_category
        =cmd()  | EC2     | m5  | =HYPERLINK("http://x","click") | 1        | Hrs  | -1          | no          | 1           | credit
        """,
        pricebook=AT_COST,
    )

    rows = read_csv(export_invoice(invoice, "csv", tmp_path), encoding="utf-8-sig")

    assert rows[1] == ["'=cmd()", "'=HYPERLINK(\"http://x\",\"click\")", "-1.00", "USD", "AWS-2025-10-00001"]
    assert rows[2:] == [["", "Subtotal", "-1.00", "USD", "AWS-2025-10-00001"], ["", "Total", "-1.00", "USD", "AWS-2025-10-00001"]]


def test_stored_figures_that_rounding_cannot_explain_are_refused(store_invoice: StoreInvoice, tmp_path: Path) -> None:
    # Not from the engine: a subtotal of the usage lines only (what this exporter once assumed);
    # the support line listed above Subtotal would not add up to it.
    invoice = store_invoice(
        """
        position | kind    | section | service | sku | description | quantity | unit | vendor_cost | markup_percent | amount | amount_rounded
        1        | usage   | Compute | EC2     | m5  | EC2         | 1        | Hrs  | 1           | 0              | 10     | 10.00
        2        | support | Support |         |     | Support     | 1        |      | 0           | 0              | 50     | 50.00
        """,
        subtotal="10.00", total="60.00",
    )

    with pytest.raises(StatementMismatch, match="stored subtotal differs .* by -50.00 USD"):
        export_invoice(invoice, "csv", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_line_amount_that_is_not_rounded_is_refused(store_invoice: StoreInvoice, tmp_path: Path) -> None:
    invoice = store_invoice(
        """
        position | kind  | section | service | sku | description | quantity | unit | vendor_cost | markup_percent | amount | amount_rounded
        1        | usage | Compute | EC2     | m5  | EC2         | 1        | Hrs  | 1           | 0              | 1.004  | 1.004
        """,
        subtotal="1.00", total="1.00",
    )

    with pytest.raises(ValueError, match="1.004 USD is not rounded to 2 decimals"):
        export_invoice(invoice, "csv", tmp_path)
    assert list(tmp_path.iterdir()) == []
