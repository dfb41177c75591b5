"""A credit in another currency than the invoice's pays it, converted at the stored rate of the
invoice's period; without a rate it pays nothing, and the run says so.

The worked example: Acme is invoiced in CAD and holds 50.00 CAD of credit (C-1); October's
rate is 1 USD = 1.3712 CAD. Without marketplace fees its charges are 202.5361200042232960 CAD,
rounded once 202.54: the CAD credit takes 50.00 first and 152.54 CAD is left to pay. Figures
worked by hand beside each assertion."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.lifecycle import Status
from workbench.billing.core.periods import given_month
from workbench.billing.core.problems import Severity
from workbench.billing.exports import export_invoice
from workbench.billing.exports.view import InvoiceView
from workbench.billing.generate import generate_invoices
from workbench.billing.integrity import verify
from workbench.billing.invoices import approve, delete_drafts, set_status
from workbench.billing.store import models as m
from workbench.billing.store.table_import import import_tables

from .test_credit_grants import credits_file
from .worked_example import TODAY

def acme_invoice(ws, **options):
    result = generate_invoices(ws, "aws", given_month("2025-10"), ["100001"], InvoiceOptions(apply_credits=True, **options),
                               today=TODAY)
    [made] = result.invoices
    return made, result.problems


def credit_lines(ws, number):
    with ws.session() as s:
        inv = s.scalars(select(m.Invoice).where(m.Invoice.number == number)).one()
        return ([(l.description, str(l.amount_rounded)) for l in inv.lines if l.kind == "credit"],
                (str(inv.credits), str(inv.subtotal), str(inv.tax_total), str(inv.total)))


def ledger(ws):
    """The applications and returns: (amount, currency, fx_rate)."""
    with ws.session() as s:
        return [(format(e.amount, "f"), e.currency, None if e.fx_rate is None else format(e.fx_rate, "f"))
                for e in s.scalars(select(m.CreditEntry).where(m.CreditEntry.invoice_id.is_not(None))
                                   .order_by(m.CreditEntry.id))]


def balance(ws, currency):
    with ws.session() as s:
        return sum((e.amount for e in s.scalars(select(m.CreditEntry).where(
            m.CreditEntry.customer_id == "100001", m.CreditEntry.currency == currency))), Decimal(0))


def test_a_usd_credit_pays_a_cad_invoice_all_of_it(billed, tmp_path: Path):
    """10.00 USD of credit is worth 10.00 x 1.3712 = 13.712 CAD, 13.71 down to the cent, less than
    the 152.54 CAD left: all of it is taken. Subtotal 202.54 - 50.00 - 13.71 = 138.83; taxed on
    202.5361200042... - 63.71 = 138.8261200042...: GST 5 % 6.94, QST 9.975 % 13.85; total 159.62."""
    _summary, problems = import_tables(billed, [credits_file(tmp_path, "100001,C-USD,2025-10-20,10.00,USD,general,gcp,promo")])
    assert problems == ()  # USD has a rate into CAD: no warning
    made, problems = acme_invoice(billed)
    assert [p.code for p in problems if p.customer_id == "100001"] == []
    assert credit_lines(billed, made.number) == (
        [("Credits applied", "-50.00"), ("Credits applied: 10.00 USD at 1.3712 CAD per USD", "-13.71")],
        ("63.71", "138.83", "20.79", "159.62"))
    assert ledger(billed) == [("-50.00", "CAD", None), ("-10.00", "USD", "1.3712")]  # off the USD balance, in USD
    assert balance(billed, "USD") == 0

    # the statement prints the line in the invoice's currency, and verify re-derives it
    approve(billed, [made.number], today=dt.date(2025, 11, 21))
    with billed.session() as s:
        view = InvoiceView.from_orm(s, s.scalars(select(m.Invoice).where(m.Invoice.number == made.number)).one())
    text = export_invoice(view, "csv", tmp_path).read_text(encoding="utf-8-sig")
    assert f"Credits,Credits applied: 10.00 USD at 1.3712 CAD per USD,-13.71,CAD,{made.number}\n" in text
    assert f",Subtotal,138.83,CAD,{made.number}\n" in text and f",Total,159.62,CAD,{made.number}\n" in text
    from pypdf import PdfReader

    from workbench.render.pdf import invoice_pdf

    pdf = invoice_pdf(billed, made.number, out_dir=tmp_path / "pdf")
    printed = " ".join(" ".join(page.extract_text() for page in PdfReader(pdf).pages).split())
    assert "Credits applied: 10.00 USD at 1.3712 CAD per USD -13.71" in printed and "159.62" in printed
    [checked] = verify(billed, numbers=[made.number])
    assert checked.differences == []

    # voiding gives the USD back in USD
    set_status(billed, [made.number], Status.VOID)
    assert balance(billed, "USD") == Decimal("10.00")


def test_a_usd_credit_pays_part_and_the_rest_stays_on_the_balance(billed, tmp_path: Path):
    """200.00 USD is worth 274.24 CAD, more than the 152.54 CAD left: the invoice is paid to zero
    and the part taken is 152.54 / 1.3712 = 111.2456... USD, rounded up to 111.25 (111.25 x 1.3712
    = 152.546 covers 152.54; 111.24 x 1.3712 = 152.532288 does not). 88.75 USD stays."""
    import_tables(billed, [credits_file(tmp_path, "100001,C-USD,2025-10-20,200.00,USD,general,gcp,promo")])
    made, _problems = acme_invoice(billed)
    assert credit_lines(billed, made.number) == (
        [("Credits applied", "-50.00"), ("Credits applied: 111.25 USD at 1.3712 CAD per USD", "-152.54")],
        ("202.54", "0.00", "0.00", "0.00"))
    assert ledger(billed) == [("-50.00", "CAD", None), ("-111.25", "USD", "1.3712")]
    assert balance(billed, "USD") == Decimal("88.75")
    approve(billed, [made.number], today=dt.date(2025, 11, 21))
    [checked] = verify(billed, numbers=[made.number])
    assert checked.differences == []


def test_a_credit_without_a_rate_is_left_on_the_balance_and_said(billed, tmp_path: Path):
    """No EUR->CAD rate: the import warns, the invoice is made with the CAD credit only, and the
    run names the credit, the currencies, the period and the fix. Once the rate is imported, a
    new draft uses it: 20.00 EUR x 1.4710 = 29.42 CAD."""
    _summary, problems = import_tables(billed, [credits_file(tmp_path, "100001,C-EUR,2025-10-20,20.00,EUR,general,azure,")])
    assert [(p.code, p.row, p.severity, p.message) for p in problems] == [(
        "credit-currency-unused", 1, Severity.WARNING,
        "credit C-EUR is in EUR, but customer 100001 is invoiced in CAD and no fx_rates row converts EUR to CAD: "
        "no invoice can use it")]
    made, problems = acme_invoice(billed)
    assert [(p.code, p.severity, p.message, p.fix) for p in problems if p.customer_id == "100001"] == [(
        "credit-no-fx-rate", Severity.WARNING,
        "credit C-EUR of #100001 (EUR) cannot pay its CAD invoice for 2025-10: no exchange rate EUR->CAD for 2025-10; "
        "the invoice is made without it and the credit stays on the balance",
        "add '2025-10,EUR,CAD,<rate>' to fx_rates.csv and import it, then delete the draft and generate again to "
        "apply the credit")]
    assert credit_lines(billed, made.number)[0] == [("Credits applied", "-50.00")]
    assert balance(billed, "EUR") == Decimal("20.00")

    rates = tmp_path / "fx_rates.csv"
    rates.write_text("period,from_currency,to_currency,rate\n2025-10,EUR,CAD,1.4710\n")
    assert import_tables(billed, [rates])[1] == ()
    delete_drafts(billed, [made.number])
    again, problems = acme_invoice(billed)
    assert [p.code for p in problems if p.customer_id == "100001"] == []
    assert credit_lines(billed, again.number)[0] == [
        ("Credits applied", "-50.00"), ("Credits applied: 20.00 EUR at 1.471 CAD per EUR", "-29.42")]


# --- the warning only where the missing rate changed the invoice ------------------------------
# Acme also holds C-EUR, 20.00 EUR with no EUR->CAD rate; the CAD credits below pay first. The
# warning is the run's and the report's (what the billing dashboard shows beside the customer).

NO_EUR_RATE = ("credit C-EUR of #100001 (EUR) cannot pay its CAD invoice for 2025-10: no exchange rate EUR->CAD for "
               "2025-10; the invoice is made without it and the credit stays on the balance")


def acme_preview_codes(ws, **options):
    from workbench.billing.generate import preview_customers

    rows, _general = preview_customers(ws, "aws", given_month("2025-10"), InvoiceOptions(apply_credits=True, **options))
    [acme] = [r for r in rows if r.customer_id == "100001"]
    return [p.code for p in acme.problems]


def test_no_warning_when_the_home_currency_credit_pays_the_whole_invoice(billed, tmp_path: Path):
    """50.00 + 160.00 CAD of credit against 202.54 CAD of charges: the CAD credit pays them all
    (202.54 taken, 7.46 CAD left) and nothing is left that the EUR credit could have paid."""
    import_tables(billed, [credits_file(tmp_path, "100001,C-2,2025-10-20,160.00,CAD,general,aws,",
                                        "100001,C-EUR,2025-10-20,20.00,EUR,general,azure,")])
    assert acme_preview_codes(billed) == []
    made, problems = acme_invoice(billed)
    assert [p.code for p in problems if p.customer_id == "100001"] == []
    assert credit_lines(billed, made.number) == ([("Credits applied", "-202.54")], ("202.54", "0.00", "0.00", "0.00"))
    assert (balance(billed, "CAD"), balance(billed, "EUR")) == (Decimal("7.46"), Decimal("20.00"))


def test_the_warning_stays_when_the_home_currency_credit_pays_part(billed, tmp_path: Path):
    """50.00 + 152.00 CAD pays 202.00 of 202.54: 0.54 CAD is left, which the EUR credit would have
    paid. Taxed on 202.5361200042... - 202.00 = 0.5361200042...: GST 0.03, QST 0.05; total 0.62."""
    import_tables(billed, [credits_file(tmp_path, "100001,C-2,2025-10-20,152.00,CAD,general,aws,",
                                        "100001,C-EUR,2025-10-20,20.00,EUR,general,azure,")])
    assert acme_preview_codes(billed) == ["credit-no-fx-rate"]
    from workbench.dashboards import build_billing_app
    from workbench.dashboards.ranges import LAST

    app = build_billing_app(billed, today=TODAY)
    app.apply_credits.value = True
    app.range.kind.value = LAST
    assert [p.message for p in app.customer_problems("100001")] == [NO_EUR_RATE]
    assert "cannot pay its CAD invoice" in app.table.rows["100001"].cells[-1]

    made, problems = acme_invoice(billed)
    assert [(p.code, p.severity, p.message) for p in problems if p.customer_id == "100001"] == [
        ("credit-no-fx-rate", Severity.WARNING, NO_EUR_RATE)]
    assert credit_lines(billed, made.number) == ([("Credits applied", "-202.00")], ("202.00", "0.54", "0.08", "0.62"))
    assert balance(billed, "EUR") == Decimal("20.00")


def test_no_warning_when_only_marketplace_fees_are_left_and_credits_may_not_pay_them(billed, tmp_path: Path):
    """With marketplace fees: 40 USD x 1.3712 = 54.848 CAD, at cost; charges 257.3841200042...,
    257.38 rounded, of which 202.54 usage and support (what credits pay) and 54.84 marketplace
    fees. 210.00 CAD of credit pays the 202.54; the 54.84 left is marketplace fees, which credits
    may not pay: the EUR credit could not have paid them either. Letting credits pay marketplace
    fees, the spare 7.46 CAD pays part of them and 47.38 is left: then the warning is given."""
    import_tables(billed, [credits_file(tmp_path, "100001,C-2,2025-10-20,160.00,CAD,general,aws,",
                                        "100001,C-EUR,2025-10-20,20.00,EUR,general,azure,")])
    assert acme_preview_codes(billed, include_marketplace=True) == []
    made, problems = acme_invoice(billed, include_marketplace=True)
    assert [p.code for p in problems if p.customer_id == "100001"] == []
    assert credit_lines(billed, made.number)[1][:2] == ("202.54", "54.84")

    delete_drafts(billed, [made.number])
    assert acme_preview_codes(billed, include_marketplace=True, credits_for_marketplace=True) == ["credit-no-fx-rate"]
    again, problems = acme_invoice(billed, include_marketplace=True, credits_for_marketplace=True)
    assert [p.message for p in problems if p.customer_id == "100001"] == [NO_EUR_RATE]
    assert credit_lines(billed, again.number)[1][:2] == ("210.00", "47.38")
