"""A preheated page catches up: Voila may run a dashboard notebook hours before its visit, so the
apps recompute what they show when the workspace changed (an audit event) or the day turned."""

from __future__ import annotations

import dataclasses
import datetime as dt

from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.periods import given_month
from workbench.billing.generate import generate_invoices
from workbench.billing.invoices import approve
from workbench.billing.store.table_import import import_tables
from workbench.dashboards import build_billing_app, build_invoices_app, catch_up_when_visited
from workbench.dashboards.ranges import CUSTOM, LAST

from .conftest import TODAY, snapshot


def test_the_billing_report_catches_up_with_an_invoice_issued_after_it_was_computed(ws):
    app = build_billing_app(ws, today=TODAY)
    app.range.kind.value = LAST
    app.select(["100001", "100002"])
    previews = app.previews
    assert app.catch_up() is False and app.previews is previews  # nothing changed: nothing recomputed

    # meanwhile another user generates and issues Acme's October
    made = generate_invoices(ws, "aws", given_month("2025-10"), ["100001"], InvoiceOptions(), today=TODAY).invoices
    approve(ws, [made[0].number], today=TODAY)
    assert app.customer_problems("100001") == []  # what the page would show without catching up

    assert app.catch_up() is True
    assert [p.code for p in app.customer_problems("100001")] == ["period-locked"]
    assert app.range.kind.value == LAST and app.vendor.value == "aws"  # the viewer's choices stay
    assert app.selected == ["100001", "100002"]
    assert app.catch_up() is False


def test_the_billing_report_catches_up_with_a_customers_file_imported_after_it(ws, tmp_path):
    app = build_billing_app(ws, today=TODAY)
    app.range.kind.value = LAST
    assert "Beta Ltd" in [p.customer_name for p in app.previews.values()]
    renamed = tmp_path / "customers.csv"
    renamed.write_text("customer_id,name,contact_name,contact_email,billing_address,tax_jurisdiction,payment_terms_days\n"
                       "100002,Beta Limited,Bob Jones,bob@beta.example,2 High St,CA-ON,15\n")
    _, problems = import_tables(ws, [renamed])
    assert problems == ()
    assert app.catch_up() is True
    assert "Beta Limited" in [p.customer_name for p in app.previews.values()]


def test_the_billing_report_follows_the_day_when_it_has_no_fixed_today(ws):
    app = build_billing_app(ws)  # the real today
    app.stamp = dataclasses.replace(app.stamp, today=app.today - dt.timedelta(days=1))  # built yesterday
    app.today = app.range.today = app.stamp.today
    assert app.catch_up() is True
    assert app.today == app.range.today == dt.date.today()


def test_a_new_month_moves_the_custom_days_the_page_opened_on_and_keeps_days_the_analyst_chose(ws):
    """Custom opens on last month's days; a page preheated on 31 October and visited on
    1 November opens on October's, as a page built that day would."""
    def days(app) -> tuple[dt.date, dt.date]:
        return app.range.start.value, app.range.end.value

    for app in (build_billing_app(ws, today=dt.date(2025, 10, 31)), build_invoices_app(ws, today=dt.date(2025, 10, 31))):
        app.range.kind.value = CUSTOM
        assert days(app) == (dt.date(2025, 9, 1), dt.date(2025, 9, 30))
        app._given_today = dt.date(2025, 11, 1)  # the kernel ran the notebook the day before the visit
        assert app.catch_up() is True
        assert days(app) == (dt.date(2025, 10, 1), dt.date(2025, 10, 31)) and app.range.today == dt.date(2025, 11, 1)

        app.range.start.value = dt.date(2025, 10, 5)  # the analyst's own days stay as they are
        app._given_today = dt.date(2025, 12, 1)
        assert app.catch_up() is True
        assert days(app) == (dt.date(2025, 10, 5), dt.date(2025, 10, 31))


def test_the_invoice_list_catches_up_and_a_read_only_one_writes_nothing(ws):
    editable = build_invoices_app(ws, today=TODAY)
    viewer = build_invoices_app(ws, read_only=True, today=TODAY)
    assert editable.invoices == viewer.invoices == []
    made = generate_invoices(ws, "aws", given_month("2025-10"), ["100002"], InvoiceOptions(), today=TODAY).invoices
    before = snapshot(ws)
    assert viewer.catch_up() is True
    assert [inv.number for inv in viewer.invoices] == [made[0].number]
    assert snapshot(ws) == before
    assert editable.catch_up() is True
    assert [inv.number for inv in editable.invoices] == [made[0].number]
    assert "Beta Ltd (#100002)" in [label for label, _id in editable.customer.options]


def test_outside_a_preheated_kernel_the_last_cell_returns_at_once(monkeypatch):
    class Refuses:
        def catch_up(self) -> bool:
            raise AssertionError("caught up outside a preheated kernel")

    for value in (None, "False"):  # papermill or a test; a kernel Voila started for the visit
        if value is None:
            monkeypatch.delenv("VOILA_PREHEAT", raising=False)
        else:
            monkeypatch.setenv("VOILA_PREHEAT", value)
        assert catch_up_when_visited(Refuses()) is None
