"""Lines that cost a fraction of a cent each are not "No charge", and rows that read alike are told
apart by what the customer can see.

A month of CloudWatch: 40 metrics at 0.0045 USD each (at cost). Each is shown as 0.00, yet together
they cost 0.18. They used to fold into "No charge, 40 items at 0.00 each, 0.00", the 0.18 left to a
"Rounding difference" row: the customer read 0.18 charged for items labelled "No charge" and
presented as rounding. They now fold into one "Small items" row at their exact sum rounded once
(0.18), and the rounding difference is left to what rounding does.

    shown   14.85 (EC2) + 0.18 (40 x 0.0045 = 0.18 exactly) + 0.00 (2 free-tier lines) = 15.03
    charges 14.85 + 0.18 = 15.03, rounded once: 15.03, so no rounding difference at all
"""

from __future__ import annotations

from pathlib import Path

from workbench.billing.core.money import D
from workbench.billing.core.pricebook import PricebookVersion
from workbench.billing.exports import export_invoice, statement_rows
from workbench.billing.exports.customer_csv import customer_csv_bytes

from .helpers import EngineInvoice, csv_text, read_csv

AT_COST = PricebookVersion("At cost", "aws", "2025-07")
NUMBER = "AWS-2025-10-00001"
HEADER = "section | service | sku | description | quantity | unit | vendor_cost | marketplace | source_rows"

METRICS = "\n".join(f"Management | AmazonCloudWatch | Metric-{i:02} | CloudWatch metric {i:02} | 1 | Metrics | 0.0045 | no | 1"
                    for i in range(1, 41))
USAGE = f"""
{HEADER}
Compute    | AmazonEC2       | BoxUsage:m5 | Amazon EC2 m5.large          | 100 | Hrs | 14.85 | no | 720
{METRICS}
Networking | AWSDataTransfer | DT-FreeTier | Data transfer out, free tier | 12  | GB  | 0     | no | 31
Storage    | AmazonS3        | S3-FreeTier | Amazon S3, free tier         | 5   | GB  | 0     | no | 31
"""


def test_lines_under_a_cent_that_add_up_to_money_are_one_small_items_row_at_their_sum(
    engine_invoice: EngineInvoice, tmp_path: Path
) -> None:
    view = engine_invoice(USAGE, pricebook=AT_COST)
    assert (view.subtotal, view.total) == (D("15.03"), D("15.03"))

    rows = read_csv(export_invoice(view, "csv", tmp_path), encoding="utf-8-sig")

    assert [row[:3] for row in rows] == csv_text("""
Product Type,Description,Amount
Compute,Amazon EC2 m5.large,14.85
Small items,40 items under 0.01 each (itemised in the detailed CSV),0.18
No charge,2 items at 0.00 each (itemised in the detailed CSV),0.00
,Subtotal,15.03
,Total,15.03
""")
    small, free = (r for r in statement_rows(view) if r.line is None and r.role == "line")
    assert [line.sku for line in small.folded] == [f"Metric-{i:02}" for i in range(1, 41)]
    assert [line.sku for line in free.folded] == ["DT-FreeTier", "S3-FreeTier"]
    # the rows add up to the subtotal on paper
    assert sum(r.amount for r in statement_rows(view) if r.role == "line") == view.subtotal


def test_the_small_items_row_is_rounded_once_and_real_rounding_stays_a_rounding_difference(
    engine_invoice: EngineInvoice, tmp_path: Path
) -> None:
    # 10.004 shown 10.00; three lines of 0.003 = 0.009 shown once as 0.01; charges 10.013 -> 10.01
    view = engine_invoice(
        f"""
        {HEADER}
        Compute | AmazonEC2 | m5 | Amazon EC2 | 1 | Hrs | 10.004 | no | 1
        Storage | AmazonS3  | a  | Requests A | 1 | Reqs | 0.003 | no | 1
        Storage | AmazonS3  | b  | Requests B | 1 | Reqs | 0.003 | no | 1
        Storage | AmazonS3  | c  | Requests C | 1 | Reqs | 0.003 | no | 1
        """,
        pricebook=AT_COST,
    )

    rows = read_csv(export_invoice(view, "csv", tmp_path), encoding="utf-8-sig")

    assert [row[:3] for row in rows[1:]] == [
        ["Compute", "Amazon EC2", "10.00"],
        ["Small items", "3 items under 0.01 each (itemised in the detailed CSV)", "0.01"],
        ["", "Subtotal", "10.01"],
        ["", "Total", "10.01"],
    ]


def test_small_items_in_yen_and_dinars_are_under_the_currencys_minor_unit(engine_invoice: EngineInvoice) -> None:
    usage = f"""
        {HEADER}
        Compute | AmazonEC2 | m5 | Amazon EC2 | 1 | Hrs  | 1000 | no | 1
        Storage | AmazonS3  | a  | Requests A | 1 | Reqs | 0.4  | no | 1
        Storage | AmazonS3  | b  | Requests B | 1 | Reqs | 0.4  | no | 1
        """
    yen = engine_invoice(usage, pricebook=AT_COST, currency="JPY", usage_currency="JPY")
    assert [(r.product_type, r.description, r.amount) for r in statement_rows(yen)][1] == (
        "Small items", "2 items under 1 each (itemised in the detailed CSV)", D("1"))

    dinars = engine_invoice(usage.replace("0.4 ", "0.0004"), pricebook=AT_COST, currency="KWD", usage_currency="KWD",
                            number="AWS-2025-10-00002")
    assert [(r.product_type, r.description, r.amount) for r in statement_rows(dinars)][1] == (
        "Small items", "2 items under 0.001 each (itemised in the detailed CSV)", D("0.001"))


def test_look_alike_lines_of_one_sku_are_told_apart_by_their_unit(engine_invoice: EngineInvoice, tmp_path: Path) -> None:
    # Same description, SKU and service: the vendor bills the instance hours and its storage apart.
    view = engine_invoice(
        f"""
        {HEADER}
        Compute | AmazonEC2 | m5 | Amazon EC2 m5.large | 100 | Hrs | 9.60 | no | 720
        Compute | AmazonEC2 | m5 | Amazon EC2 m5.large | 50  | GB  | 4.00 | no | 31
        """,
        pricebook=AT_COST,
    )

    rows = read_csv(export_invoice(view, "csv", tmp_path), encoding="utf-8-sig")

    assert [row[:3] for row in rows[1:3]] == [
        ["Compute", "Amazon EC2 m5.large (Hrs)", "9.60"],
        ["Compute", "Amazon EC2 m5.large (GB)", "4.00"],
    ]


def test_lines_nothing_visible_tells_apart_are_numbered_on_the_statement_itself(
    engine_invoice: EngineInvoice, tmp_path: Path
) -> None:
    # Two lines alike in every field the statement could show (they differ in price only): a
    # number the customer can find on the page, never a position in another file.
    view = engine_invoice(
        f"""
        {HEADER}
        Compute | AmazonEC2 | m5 | Amazon EC2 m5.large | 100 | Hrs | 9.60 | no | 720
        Compute | AmazonEC2 | m5 | Amazon EC2 m5.large | 100 | Hrs | 8.00 | no | 720
        Compute | AmazonEC2 | t3 | Amazon EC2 t3.micro | 10  | Hrs | 0.10 | no | 10
        """,
        pricebook=AT_COST,
    )

    rows = read_csv(export_invoice(view, "csv", tmp_path), encoding="utf-8-sig")

    assert [row[:3] for row in rows[1:4]] == [
        ["Compute", "Amazon EC2 m5.large (1 of 2)", "9.60"],
        ["Compute", "Amazon EC2 m5.large (2 of 2)", "8.00"],
        ["Compute", "Amazon EC2 t3.micro", "0.10"],
    ]


def test_the_layout_sealed_before_small_items_is_still_made_byte_for_byte(engine_invoice: EngineInvoice) -> None:
    """Invoices issued with the second layout (December 2026) were sealed with their customer CSV
    as then printed: every line at 0.00 in "No charge", look-alikes by line number."""
    view = engine_invoice(
        f"""
        {HEADER}
        Compute | AmazonEC2 | m5 | Amazon EC2 | 1 | Hrs  | 10.004 | no | 1
        Compute | AmazonEC2 | m5 | Amazon EC2 | 1 | GB   | 2.00   | no | 1
        Storage | AmazonS3  | a  | Requests A | 1 | Reqs | 0.003  | no | 1
        Storage | AmazonS3  | b  | Requests B | 1 | Reqs | 0.003  | no | 1
        """,
        pricebook=AT_COST,
    )

    assert customer_csv_bytes(view, layout=2) == (
        "\ufeffProduct Type,Description,Amount,Currency,Invoice Number\r\n"
        f"Compute,Amazon EC2 (line 1),10.00,USD,{NUMBER}\r\n"
        f"Compute,Amazon EC2 (line 2),2.00,USD,{NUMBER}\r\n"
        f"No charge,2 items at 0.00 each (itemised in the detailed CSV),0.00,USD,{NUMBER}\r\n"
        f",Rounding difference,0.01,USD,{NUMBER}\r\n"
        f",Subtotal,12.01,USD,{NUMBER}\r\n"
        f",Total,12.01,USD,{NUMBER}\r\n"
    ).encode("utf-8")
    assert customer_csv_bytes(view) == (
        "\ufeffProduct Type,Description,Amount,Currency,Invoice Number\r\n"
        f"Compute,Amazon EC2 (Hrs),10.00,USD,{NUMBER}\r\n"
        f"Compute,Amazon EC2 (GB),2.00,USD,{NUMBER}\r\n"
        f"Small items,2 items under 0.01 each (itemised in the detailed CSV),0.01,USD,{NUMBER}\r\n"
        f",Subtotal,12.01,USD,{NUMBER}\r\n"
        f",Total,12.01,USD,{NUMBER}\r\n"
    ).encode("utf-8")
