"""Money the invoice options leave out is named, not dropped silently; Custom opens on last month.

Workspace (below, AWS October 2025, final; US dollars of usage):

    100001 Acme Corp     CAD invoices at 1.3712   EC2 100.00
    100002 Quarry Media  CAD invoices at 1.3712   EC2  50.00, a marketplace SaaS 40.00; credit C-1 250.00 CAD
    100004 Delta LLC     USD invoices             S3   40.00; credit C-9 30.00 USD, marketplace kind only

"Apply credits" and "Include marketplace fees" start unticked (as the CLI and the API): with
them off, Quarry Media's 250.00 CAD credit and its 40.00 USD of marketplace charges would not
be on its invoice, and the page says so below the options and on the preview. Delta's credit
pays marketplace fees only, which its invoice has none of: nothing to say about it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from billing.conftest import cur_rows  # tests/billing: the inline CUR writer
from workbench.billing.store.report_import import import_reports
from workbench.billing.store.table_import import import_tables
from workbench.billing.store.workspace import Workspace, init_workspace
from workbench.dashboards import build_billing_app
from workbench.dashboards.ranges import CUSTOM, LAST, RangeChooser

from .conftest import TABLES, TODAY, write_tables
from .test_billing_app import text_of

OPTION_TABLES = {
    **TABLES,
    "customers": """
        customer_id,name,contact_name,contact_email,billing_address,tax_jurisdiction,payment_terms_days
        100001,Acme Corp,Ann Smith,ann@acme.example,1 Main St,CA-QC,
        100002,Quarry Media,Quinn Roy,quinn@quarry.example,9 Bay St,CA-ON,
        100004,Delta LLC,Dee Ng,dee@delta.example,4 Side St,CA-ON,
    """,
    "customer_vendors": """
        customer_id,vendor,pricebook,invoice_currency
        100001,aws,Standard,CAD
        100002,aws,Standard,CAD
        100004,aws,Standard,USD
    """,
    "accounts": """
        customer_id,vendor,account_id,account_name
        100001,aws,111111111111,acme-prod
        100002,aws,222222222222,quarry-prod
        100004,aws,555555555555,delta
    """,
    "credits": """
        customer_id,credit_id,date,amount,currency,kind,earned_on,memo
        100002,C-1,2025-09-15,250.00,CAD,general,aws,Migration credit
        100004,C-9,2025-09-15,30.00,USD,marketplace,aws,Marketplace promotion
    """,
}
OCTOBER = [
    {"account": "111111111111", "type": "Usage", "product": "AmazonEC2", "family": "Compute Instance",
     "usage_type": "USE1-BoxUsage:m5.large", "cost": "100.00"},
    {"account": "222222222222", "type": "Usage", "product": "AmazonEC2", "family": "Compute Instance",
     "usage_type": "USE1-BoxUsage:t3.micro", "cost": "50.00"},
    {"account": "222222222222", "type": "Usage", "product": "prod-abc123", "family": "SaaS", "usage_type": "SoftwareUsage",
     "cost": "40.00", "entity": "AWS Marketplace"},
    {"account": "555555555555", "type": "Usage", "product": "AmazonS3", "family": "Storage",
     "usage_type": "USE1-TimedStorage-ByteHrs", "cost": "40.00"},
]


@pytest.fixture
def ws(tmp_path: Path):
    root = tmp_path / "ws"
    workspace = init_workspace(root, name="Maple")
    _summary, problems = import_tables(workspace, write_tables(root / "imports", OPTION_TABLES))
    assert [str(p) for p in problems if p.severity.value == "error"] == []
    report = root / "imports" / "cur-2025-10.csv"
    report.write_text(cur_rows(OCTOBER, "2025-10", "INV-OCT"))
    assert [f.status for f in import_reports(workspace, [report]).files] == ["imported"]
    yield workspace
    workspace.close()


def last_month_page(ws: Workspace):
    app = build_billing_app(ws, today=TODAY)
    app.range.kind.value = LAST
    assert list(app.table.rows) == ["100001", "100002", "100004"]
    return app


def test_the_credits_and_marketplace_charges_the_unticked_options_leave_out_are_named_below_them(ws):
    app = last_month_page(ws)
    assert (app.apply_credits.value, app.include_marketplace.value) == (False, False)  # the CLI's defaults, kept
    assert app.options_notes == [] and app.options_note.value == ""  # nothing ticked, nothing to say

    app.select_all_button.click()
    assert app.options_notes == [
        "1 selected customer has credits that will not be applied: Quarry Media 250.00 CAD; tick Apply credits to use them",
        "1 selected customer has marketplace charges not included: Quarry Media 40.00 USD; tick Include marketplace "
        "fees to bill them",
    ]
    assert text_of(app.options_note.value) == " ".join(app.options_notes)
    # the engine's figures, Decimal: the balance C-1 leaves, the marketplace usage's vendor cost
    quarry = app.previews["100002"]
    assert quarry.credits_not_applied == ((Decimal("250.00"), "CAD"),)
    assert quarry.marketplace_not_included == Decimal("40.00")
    as_json = quarry.to_dict()  # what a script reads: exact decimal strings (a vendor cost unrounded)
    assert as_json["credits_not_applied"] == [{"amount": "250.00", "currency": "CAD"}]
    assert Decimal(as_json["marketplace_not_included"]) == Decimal("40.00")
    assert app.previews["100004"].credits_not_applied == ()  # marketplace credit, no marketplace fees

    app.apply_credits.value = True  # ticked: the credit will be applied, the note goes
    assert app.options_notes == ["1 selected customer has marketplace charges not included: Quarry Media 40.00 USD; "
                                 "tick Include marketplace fees to bill them"]
    app.include_marketplace.value = True  # billed now; the credit pays the usage, and what is left of it?
    # the engine's figure: 54.84 CAD more credit taken with the last box ticked (see the test below)
    assert app.previews["100002"].credits_not_on_marketplace == Decimal("54.84")
    assert app.options_notes == ["1 selected customer has credit left that will not pay marketplace fees: "
                                 "Quarry Media 54.84 CAD; tick Use credits for marketplace fees to use it"]
    app.credits_for_marketplace.value = True
    assert app.options_notes == [] and app.options_note.value == ""
    assert app.selected == ["100001", "100002", "100004"]  # the options did not untick anyone

    app.apply_credits.value = app.include_marketplace.value = app.credits_for_marketplace.value = False
    app.select(["100001"])
    app.table.check(["100002", "100004"], False)  # Acme alone: it has neither
    assert app.options_notes == []


def test_the_preview_says_which_options_made_the_drafts_and_what_they_left_out(ws):
    app = last_month_page(ws)
    app.select(["100001", "100002"])
    app.generate_button.click()
    assert app.page == "preview" and len(app.drafts) == 2
    quarry = next(row.invoice for row in app.drafts.values() if row.invoice.customer_id == "100002")
    # EC2 50.00 USD x 1.3712 = 68.56 CAD + 10 % markup = 75.42, HST 13 % 9.80: no credit, no marketplace
    assert quarry.total == Decimal("85.22")
    assert app.generated_with is not None and not app.generated_with.apply_credits
    shown = text_of(app.generated_options.value)
    assert shown.startswith("Generated with: Apply credits: off, Include tax: on, Include marketplace fees: off, "
                            "Use credits for marketplace fees: off")
    assert app.preview_notes == [
        "1 draft was generated without the customer's credits (Apply credits was off): Quarry Media 250.00 CAD; "
        "to apply them, delete that draft, tick Apply credits and generate again",
        "1 draft was generated without the customer's marketplace charges (Include marketplace fees was off): "
        "Quarry Media 40.00 USD; to bill them, delete that draft, tick Include marketplace fees and generate again",
    ]
    assert shown.endswith(" ".join(app.preview_notes))


def test_credit_left_after_the_usage_is_named_while_it_may_not_pay_marketplace_fees(ws):
    app = last_month_page(ws)
    app.apply_credits.value = app.include_marketplace.value = True
    app.select(["100002"])
    assert app.options_notes == ["1 selected customer has credit left that will not pay marketplace fees: "
                                 "Quarry Media 54.84 CAD; tick Use credits for marketplace fees to use it"]
    app.generate_button.click()
    (quarry,) = [row.invoice for row in app.drafts.values()]
    # 75.416 CAD of EC2 (50.00 x 1.3712 + 10 %) + the marketplace SaaS at cost, 40.00 x 1.3712 =
    # 54.848: 130.264, shown 130.26; the 250.00 credit pays the usage's 75.42 and not the 54.84
    # of marketplace fees, HST 13 % of 54.848 is 7.13: 61.97. 174.58 of credit is left over.
    assert quarry.total == Decimal("61.97")
    assert app.preview_notes == [
        "1 draft bills marketplace fees that the customer's credit left over could have paid (Use credits for "
        "marketplace fees was off): Quarry Media 54.84 CAD; to use it, delete that draft, tick Use credits for "
        "marketplace fees and generate again"]
    assert text_of(app.generated_options.value).startswith(
        "Generated with: Apply credits: on, Include tax: on, Include marketplace fees: on, Use credits for "
        "marketplace fees: off")


def test_with_every_option_ticked_the_preview_says_so_and_nothing_is_left_out(ws):
    app = last_month_page(ws)
    app.apply_credits.value = app.include_marketplace.value = app.credits_for_marketplace.value = True
    app.select(["100002"])
    assert app.options_notes == []
    app.generate_button.click()
    (quarry,) = [row.invoice for row in app.drafts.values()]
    # as above, and the credit pays the 54.84 of marketplace fees too: 130.26 - 130.26 = 0.00, and
    # the tax is on what is left of the exact charges (130.264 - 130.26 = 0.004): 0.00
    assert quarry.total == Decimal("0.00")
    assert app.preview_notes == []
    assert text_of(app.generated_options.value) == ("Generated with: Apply credits: on, Include tax: on, Include "
                                                    "marketplace fees: on, Use credits for marketplace fees: on")


def test_a_billed_customer_is_not_named_generate_skips_it(ws):
    app = last_month_page(ws)
    app.select(["100002"])
    app.generate_button.click()
    app.finish_button.click()
    app.select(["100002"])
    assert app.already_billed(["100002"]) == ["100002"] and app.options_notes == []


def test_a_new_month_moves_both_custom_days_before_any_observer_hears_of_it():
    chooser = RangeChooser(dt.date(2026, 12, 1), ["2026-11"])
    seen: list[tuple[dt.date, dt.date]] = []
    chooser.observe(lambda: seen.append((chooser.start.value, chooser.end.value)))

    chooser.set_today(dt.date(2027, 1, 4))

    assert seen and set(seen) == {(dt.date(2026, 12, 1), dt.date(2026, 12, 31))}  # never 12-01 .. 11-30


def test_custom_opens_on_last_months_exact_days_not_across_the_billed_month(ws):
    chooser = RangeChooser(dt.date(2026, 12, 1), ["2026-11"])
    assert (chooser.start.value, chooser.end.value) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))

    app = last_month_page(ws)
    app.select_all_button.click()
    app.generate_button.click()  # October billed: three drafts
    app.finish_button.click()
    app.range.kind.value = CUSTOM  # 2025-10-01..2025-10-31: the billed month, read as billed, no error
    assert "2025-10-01..2025-10-31" in app.title.value
    assert [text_of(app.table.rows[cid].cells[-1]).startswith("billed: ") for cid in app.table.rows] == [True] * 3
    assert "wb-error" not in "".join(row.cells[-1] for row in app.table.rows.values())
