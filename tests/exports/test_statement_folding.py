"""A statement of many lines at 0.00 and look-alike descriptions, as the customer reads it: the
lines shown as 0.00 fold into one "Small items" row (those that cost fractions of a cent) and one
"No charge" row (those that cost nothing), lines of different SKUs that read the same are told
apart, and the CSV, the workbook's Lines sheet, the invoice JSON and the PDF print the very same
rows (one `statement_rows`), while the detailed CSV and the Detail sheet keep every line."""

from __future__ import annotations

import dataclasses
import html
import subprocess
from pathlib import Path

from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.money import D
from workbench.billing.core.pricebook import PricebookVersion, Rule, SupportPlan
from workbench.billing.exports import InvoiceView, export_invoice, statement_rows

from .helpers import EngineInvoice, csv_text, read_csv, sheet_rows

# +10% on everything, support 10% with a 50.00 monthly minimum; the marketplace product at cost.
STANDARD = PricebookVersion("Standard", "aws", "2025-07", rules=(Rule("default", "", D("10")),),
                            support=SupportPlan(percent=D("10"), monthly_minimum=D("50")))

# Eight lines, five of them shown as 0.00 (a whole section, Networking, and the free marketplace
# product among them); two S3 SKUs whose vendor description is the same, as two EC2 ones are.
#   shown     10.00 (9.095 x 1.1 = 10.0045) + 3.33 (3.333) + 1.10, and 0.0011, 0.0022, 0.00044
#             (Small items: 0.00374, rounded once 0.00), 0, 0 (No charge)
#   charges   14.44124 + support 50 (the minimum) = 64.44124, rounded once: 64.44, a cent over the
#             10.00 + 3.33 + 1.10 + 0.00 + 50.00 = 64.43 shown: the rounding difference is 0.01, folded or not
USAGE = """
section    | service         | sku            | description                        | quantity | unit  | vendor_cost | marketplace | source_rows
Compute    | AmazonEC2       | BoxUsage:m5    | Amazon EC2 m5.large                | 100      | Hrs   | 9.095       | no          | 720
Compute    | AmazonEC2       | DataXfer-In-A  | $0.00 per GB - data transfer in    | 3        | GB    | 0.001       | no          | 31
Compute    | AmazonEC2       | DataXfer-In-B  | $0.00 per GB - data transfer in    | 5        | GB    | 0.002       | no          | 31
Storage    | AmazonS3        | Requests-Tier1 | Amazon S3 PUT requests             | 80       | Reqs  | 0.0004      | no          | 12
Storage    | AmazonS3        | TimedStorage-A | Amazon S3 Standard storage         | 144.9    | GB-Mo | 3.03        | no          | 31
Storage    | AmazonS3        | TimedStorage-B | Amazon S3 Standard storage         | 45       | GB-Mo | 1.00        | no          | 31
Networking | AWSDataTransfer | DT-FreeTier    | Data transfer out, free tier       | 12       | GB    | 0           | no          | 31
Security   | Acme Firewall   | acme-fw        | Acme Firewall (AWS Marketplace)    | 1        |       | 0           | yes         | 1
"""

NUMBER = "AWS-2025-10-00001"


def invoice(engine_invoice: EngineInvoice) -> InvoiceView:
    return engine_invoice(USAGE, pricebook=STANDARD, options=InvoiceOptions(include_marketplace=True))


def test_lines_at_zero_fold_into_one_row_and_look_alike_lines_are_told_apart(
    engine_invoice: EngineInvoice, tmp_path: Path
) -> None:
    view = invoice(engine_invoice)
    assert len(view.lines) == 9  # 8 usage and marketplace lines and the support line, all stored

    rows = read_csv(export_invoice(view, "csv", tmp_path), encoding="utf-8-sig")

    assert rows == csv_text(f"""
Product Type,Description,Amount,Currency,Invoice Number
Compute,Amazon EC2 m5.large,10.00,USD,{NUMBER}
Storage,Amazon S3 Standard storage (SKU TimedStorage-A),3.33,USD,{NUMBER}
Storage,Amazon S3 Standard storage (SKU TimedStorage-B),1.10,USD,{NUMBER}
Small items,3 items under 0.01 each (itemised in the detailed CSV),0.00,USD,{NUMBER}
No charge,2 items at 0.00 each (itemised in the detailed CSV),0.00,USD,{NUMBER}
Support,Support plan 10%,50.00,USD,{NUMBER}
,Rounding difference,0.01,USD,{NUMBER}
,Subtotal,64.44,USD,{NUMBER}
,Total,64.44,USD,{NUMBER}
""")


def test_folding_changes_no_figure_and_the_detailed_files_keep_every_line(
    engine_invoice: EngineInvoice, tmp_path: Path
) -> None:
    view = invoice(engine_invoice)

    folded, every_line = statement_rows(view), statement_rows(view, layout=1)

    assert len(every_line) - len(folded) == 5 - 2  # five lines, two rows
    # from the rounding difference down, the same rows and figures either way
    assert [(r.role, r.description, r.amount) for r in folded[-3:]] == [
        (r.role, r.description, r.amount) for r in every_line[-3:]] == [
        ("rounding", "Rounding difference", D("0.01")), ("subtotal", "Subtotal", D("64.44")),
        ("total", "Total", D("64.44"))]
    [small] = [r for r in folded if r.product_type == "Small items"]
    assert [line.sku for line in small.folded] == ["DataXfer-In-A", "DataXfer-In-B", "Requests-Tier1"]
    [no_charge] = [r for r in folded if r.product_type == "No charge"]
    assert [line.sku for line in no_charge.folded] == ["DT-FreeTier", "acme-fw"]

    detailed = read_csv(export_invoice(view, "detailed-csv", tmp_path))
    assert [r[6] for r in detailed if r[1] == "line"] == [
        "BoxUsage:m5", "DataXfer-In-A", "DataXfer-In-B", "DT-FreeTier", "Requests-Tier1", "TimedStorage-A",
        "TimedStorage-B", "acme-fw", ""]  # every line, with its stored description
    assert [r[7] for r in detailed if r[1] == "line"].count("$0.00 per GB - data transfer in") == 2


def test_one_line_at_zero_stays_where_it_is(engine_invoice: EngineInvoice, tmp_path: Path) -> None:
    # Folding a single line would only hide its name.
    view = engine_invoice(
        """
        section | service   | sku | description | quantity | unit | vendor_cost | marketplace | source_rows
        Compute | AmazonEC2 | m5  | Amazon EC2  | 1        | Hrs  | 10          | no          | 1
        Compute | AmazonEC2 | t3  | Amazon EC2  | 1        | Hrs  | 0.001       | no          | 1
        """,
        pricebook=PricebookVersion("At cost", "aws", "2025-07"),
    )

    rows = read_csv(export_invoice(view, "csv", tmp_path), encoding="utf-8-sig")

    assert [row[:3] for row in rows[1:]] == [
        ["Compute", "Amazon EC2 (SKU m5)", "10.00"],
        ["Compute", "Amazon EC2 (SKU t3)", "0.00"],
        ["", "Subtotal", "10.00"],
        ["", "Total", "10.00"],
    ]



def test_a_refund_of_the_same_meter_reads_as_a_credit_beside_its_usage(engine_invoice: EngineInvoice, tmp_path: Path) -> None:
    # Azure: the same meter (same SKU, same service) used and partly refunded in the month. The
    # two lines differ by the vendor's charge category, and that is what the customer reads.
    view = engine_invoice(
        """
        section | service          | sku      | description                                | quantity | unit  | vendor_cost | marketplace | source_rows | charge_category
        Compute | Virtual Machines | meter-d2 | Virtual Machines Dv3 Series - D2 v3 - East | 72       | Hours | 6.90        | no          | 31          | usage
        Compute | Virtual Machines | meter-d2 | Virtual Machines Dv3 Series - D2 v3 - East | -15      | Hours | -1.46       | no          | 1           | credit
        """,
        pricebook=PricebookVersion("At cost", "azure", "2025-07"),
    )

    rows = read_csv(export_invoice(view, "csv", tmp_path), encoding="utf-8-sig")

    assert [row[:3] for row in rows[1:3]] == [
        ["Compute", "Virtual Machines Dv3 Series - D2 v3 - East (Usage)", "6.90"],
        ["Compute", "Virtual Machines Dv3 Series - D2 v3 - East (Credit)", "-1.46"],
    ]

def test_the_workbook_and_the_invoice_json_print_the_same_rows(engine_invoice: EngineInvoice, tmp_path: Path) -> None:
    from workbench.render import invoice_json

    view = invoice(engine_invoice)
    csv_rows = read_csv(export_invoice(view, "csv", tmp_path), encoding="utf-8-sig")[1:]

    workbook = export_invoice(view, "xlsx", tmp_path)
    sheet = [[value or "" for value in row] for row in sheet_rows(workbook, "Lines")[1:]]
    assert [[r[0], r[1]] for r in sheet] == [r[:2] for r in csv_rows]
    doc = invoice_json(view)
    assert [[line["section"], line["description"], line["amount"]] for line in doc["lines"]] == [
        r[:3] for r in csv_rows[:7]]

    assert sum(1 for row in sheet_rows(workbook, "Detail")[1:] if row[1] == "line") == 9


def test_the_pdf_prints_the_folded_row_and_the_told_apart_lines(engine_invoice: EngineInvoice, tmp_path: Path) -> None:
    """The statement as Chromium prints it (render.pdf's page), read back with poppler's pdftotext."""
    from workbench.nbexport import get_printer
    from workbench.render.pdf import PAGE
    from workbench.render.statement import statement_html

    view = invoice(engine_invoice)
    view = dataclasses.replace(view, reseller=dataclasses.replace(view.reseller, logo_file=""))  # no logo file here
    pdf = tmp_path / f"{view.number}.pdf"
    pdf.write_bytes(get_printer().print_pdf(PAGE.format(title=html.escape(view.number), body=statement_html(view))))

    text = subprocess.run(["pdftotext", "-layout", "-nodiag", str(pdf), "-"],  # without the diagonal DRAFT
                          check=True, capture_output=True, text=True).stdout
    printed = [" ".join(line.split()) for line in text.splitlines() if line.strip()]

    start = printed.index("Compute")
    assert printed[start:start + 14] == [
        "Compute",
        "Amazon EC2 m5.large 10.00",
        "Storage",
        "Amazon S3 Standard storage (SKU TimedStorage-A) 3.33",
        "Amazon S3 Standard storage (SKU TimedStorage-B) 1.10",
        "Small items",
        "3 items under 0.01 each (itemised in the detailed CSV) 0.00",
        "No charge",
        "2 items at 0.00 each (itemised in the detailed CSV) 0.00",
        "Support",
        "Support plan 10% 50.00",
        "Rounding difference 0.01",
        "Subtotal 64.44",
        "Total 64.44",
    ]
    assert "data transfer in" not in text and "Networking" not in text


def test_the_layout_an_older_seal_hashed_is_still_made_byte_for_byte(engine_invoice: EngineInvoice, tmp_path: Path) -> None:
    """An invoice issued before December 2026 was sealed with the hash of its customer CSV as then
    printed: three columns, every line with its stored description. That file stays reproducible."""
    from workbench.billing.exports.customer_csv import customer_csv_bytes

    view = invoice(engine_invoice)

    assert customer_csv_bytes(view) == export_invoice(view, "csv", tmp_path).read_bytes()
    assert customer_csv_bytes(view, layout=1) == (
        "\ufeffProduct Type,Description,Amount\r\n"
        "Compute,Amazon EC2 m5.large,10.00\r\n"
        "Compute,$0.00 per GB - data transfer in,0.00\r\n"
        "Compute,$0.00 per GB - data transfer in,0.00\r\n"
        "Networking,\"Data transfer out, free tier\",0.00\r\n"
        "Storage,Amazon S3 PUT requests,0.00\r\n"
        "Storage,Amazon S3 Standard storage,3.33\r\n"
        "Storage,Amazon S3 Standard storage,1.10\r\n"
        "Security,Acme Firewall (AWS Marketplace),0.00\r\n"
        "Support,Support plan 10%,50.00\r\n"
        ",Rounding difference,0.01\r\n"
        ",Subtotal,64.44\r\n"
        ",Total,64.44\r\n"
    ).encode("utf-8")
