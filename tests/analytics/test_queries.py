"""The analytics queries as worked examples over the inline workspace of conftest.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as Dec

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from workbench.analytics import queries as q
from workbench.billing.core.money import exact_sum
from workbench.billing.core.periods import custom, given_month
from workbench.billing.store.report_import import import_reports
from workbench.billing.store.usage_queries import current_usage_files
from workbench.billing.store.workspace import init_workspace

OCTOBER = given_month("2025-10")
BOTH_MONTHS = q.month_span("2025-09", "2025-10")


def table(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    return [tuple(row) for row in frame.itertuples(index=False)]


def test_available_data(analytics_ws) -> None:
    assert q.vendors_with_data(analytics_ws) == ["aws", "azure"]
    assert q.months_with_data(analytics_ws) == ["2025-09", "2025-10"]
    assert q.months_with_data(analytics_ws, "azure") == ["2025-10"]
    assert q.currencies_in(analytics_ws, None, OCTOBER) == ["CAD", "USD"]
    assert q.currencies_in(analytics_ws, None, given_month("2025-09")) == ["USD"]
    assert (BOTH_MONTHS.label, BOTH_MONTHS.months) == ("2025-09..2025-10", ["2025-09", "2025-10"])


def test_daily_cost_by_product_type_leaves_vendor_tax_out(analytics_ws) -> None:
    # EC2 130 - 3 (credit) + 0.0000000018 (acme-dev) on the 1st; the 13 USD vendor tax row is not usage
    assert table(q.daily_cost(analytics_ws, "aws", OCTOBER)) == [
        (dt.date(2025, 10, 1), "USD", "Compute", Dec("127.0000000018")),
        (dt.date(2025, 10, 1), "USD", "Databases", Dec("40")),
        (dt.date(2025, 10, 2), "USD", "Storage", Dec("20")),
        (dt.date(2025, 10, 3), "USD", "Compute", Dec("7.5")),
    ]


def test_daily_cost_of_all_vendors_keeps_currencies_apart(analytics_ws) -> None:
    frame = q.daily_cost(analytics_ws, None, OCTOBER, by=("vendor", "service"))
    assert list(frame.columns) == ["day", "currency", "vendor", "service", "cost"]
    assert table(frame) == [
        (dt.date(2025, 10, 1), "CAD", "azure", "Virtual Machines", Dec("200")),
        (dt.date(2025, 10, 1), "USD", "aws", "AmazonEC2", Dec("127.0000000018")),
        (dt.date(2025, 10, 1), "USD", "aws", "AmazonRDS", Dec("40")),
        (dt.date(2025, 10, 2), "CAD", "azure", "Storage Accounts", Dec("1.25")),  # the free-tier row of sub-a is out
        (dt.date(2025, 10, 2), "USD", "aws", "AmazonS3", Dec("20")),
        (dt.date(2025, 10, 3), "USD", "aws", "AmazonEC2", Dec("7.5")),
    ]
    assert all(isinstance(c, Dec) for c in frame["cost"])


def test_daily_cost_of_a_custom_range_counts_usage_days(analytics_ws) -> None:
    frame = q.daily_cost(analytics_ws, "aws", custom(dt.date(2025, 10, 2), dt.date(2025, 10, 3)), by=("service",))
    assert table(frame) == [
        (dt.date(2025, 10, 2), "USD", "AmazonS3", Dec("20")),
        (dt.date(2025, 10, 3), "USD", "AmazonEC2", Dec("7.5")),
    ]


def test_cost_by_customer_with_an_unassigned_bucket_per_currency(analytics_ws) -> None:
    assert table(q.cost_by_customer(analytics_ws, None, OCTOBER)) == [
        ("100001", "Acme Corp", "CAD", 1, Dec("200")),
        ("", "Unassigned", "CAD", 1, Dec("1.25")),
        ("100001", "Acme Corp", "USD", 2, Dec("147.0000000018")),
        ("100002", "Beta Ltd", "USD", 1, Dec("40")),
        ("", "Unassigned", "USD", 1, Dec("7.5")),
    ]
    assert table(q.cost_by_customer(analytics_ws, "aws", BOTH_MONTHS, currency="USD")) == [
        ("100001", "Acme Corp", "USD", 2, Dec("267.0000000028")),
        ("100002", "Beta Ltd", "USD", 1, Dec("90")),
        ("", "Unassigned", "USD", 1, Dec("12.5")),
    ]


def test_month_over_month_per_customer_flags_top_and_threshold(analytics_ws) -> None:
    result = q.month_over_month(analytics_ws, "aws", "2025-09", "2025-10", top=1, threshold_percent=Dec(25))
    assert list(result.rows.columns) == ["customer_id", "customer_name", "currency", "previous", "current", "change",
                                         "change_percent", "top", "over_threshold", "flagged"]
    assert table(result.rows) == [
        # 27.0000000008 / 120.000000001 = 22.50 %: the largest change, under the 25 % threshold
        ("100001", "Acme Corp", "USD", Dec("120.000000001"), Dec("147.0000000018"), Dec("27.0000000008"), Dec("22.50"), True, False, True),
        ("100002", "Beta Ltd", "USD", Dec("50"), Dec("40"), Dec("-10"), Dec("-20.00"), False, False, False),
        ("", "Unassigned", "USD", Dec("5"), Dec("7.5"), Dec("2.5"), Dec("50.00"), False, True, True),
    ]
    assert list(result.flagged["customer_name"]) == ["Acme Corp", "Unassigned"]


def test_month_over_month_per_service_flags_new_spend_and_ranks_per_currency(analytics_ws) -> None:
    result = q.month_over_month(analytics_ws, None, "2025-09", "2025-10", by="service", top=1)
    assert table(result.rows) == [
        # Azure has no September: new spend has no percent and is always over the threshold
        ("azure", "Virtual Machines", "CAD", Dec(0), Dec("200"), Dec("200"), None, True, True, True),
        ("azure", "Storage Accounts", "CAD", Dec(0), Dec("1.25"), Dec("1.25"), None, False, True, True),
        # 29.5000000008 / 105.000000001 = 28.0952... %
        ("aws", "AmazonEC2", "USD", Dec("105.000000001"), Dec("134.5000000018"), Dec("29.5000000008"), Dec("28.10"), True, True, True),
        ("aws", "AmazonRDS", "USD", Dec("50"), Dec("40"), Dec("-10"), Dec("-20.00"), False, True, True),
        ("aws", "AmazonS3", "USD", Dec("20"), Dec("20"), Dec("0"), Dec("0.00"), False, False, False),
    ]


def test_month_over_month_refuses_backwards_months(analytics_ws) -> None:
    with pytest.raises(ValueError, match="must come before"):
        q.month_over_month(analytics_ws, "aws", "2025-10", "2025-09")


def test_percent_rounds_once_half_up() -> None:
    assert q.percent(Dec("1"), Dec("3")) == Dec("33.33")
    assert q.percent(Dec("1"), Dec("8")) == Dec("12.50")
    assert q.percent(Dec("0.00005"), Dec("1")) == Dec("0.01")  # 0.005 % rounds up
    assert q.percent(Dec("-1"), Dec("-4")) == Dec("-25.00")  # of |previous|: a credit shrinking is a decrease
    assert q.percent(Dec("1"), Dec("0")) is None


def test_margin_per_customer_as_invoices_would_price_it(analytics_ws) -> None:
    frame = q.customer_margins(analytics_ws, None, OCTOBER)
    assert list(frame.columns) == q.MARGIN_COLUMNS
    assert table(frame) == [
        # Standard +10 %: 147.0000000018 * 1.10 = 161.70000000198 -> 161.70; margin 14.70 = 9.09 % of price;
        # the unrounded price and margin last (what totals add)
        ("aws", "100001", "Acme Corp", "USD", Dec("147.0000000018"), "USD", Dec("161.70"), Dec("14.70"), Dec("9.09"), "", "",
         Dec("161.70000000198"), Dec("14.70000000018")),
        # Partner -5 %: 40 * 0.95 = 38.00; margin -2.00 = -5.26 % of price
        ("aws", "100002", "Beta Ltd", "USD", Dec("40"), "USD", Dec("38.00"), Dec("-2.00"), Dec("-5.26"), "", "",
         Dec("38"), Dec("-2")),
        # no Azure pricebook for Acme: the generator's own message, no price
        ("azure", "100001", "Acme Corp", "CAD", Dec("200"), None, None, None, None, "",
         "The customer with ID #100001 does not have the currency CAD enabled", None, None),
    ]


def test_margin_totals_add_up_each_invoice_currency_apart(currencies_ws) -> None:
    """USD usage invoiced in EUR, JPY and USD: one total per invoice currency, each the exact sum
    of its customers rounded once; 165,550 JPY and 1,100.00 USD are never added."""
    margins = q.customer_margins(currencies_ws, "aws", OCTOBER)
    assert table(margins[["customer_id", "vendor_cost", "currency", "price", "margin", "price_exact", "margin_exact"]]) == [
        # 500 USD * 0.8605 * 1.10 = 473.275 -> 473.28
        ("100004", Dec("500"), "EUR", Dec("473.28"), Dec("43.03"), Dec("473.275"), Dec("43.025")),
        # Partner -5 %: 200.0000000018 * 0.8605 * 0.95 = 163.495000001471455 -> 163.50
        ("100005", Dec("200.0000000018"), "EUR", Dec("163.50"), Dec("-8.61"),
         Dec("163.495000001471455"), Dec("-8.605000000077445")),
        ("100003", Dec("1000"), "JPY", Dec("165550"), Dec("15050"), Dec("165550"), Dec("15050")),  # 1,000 USD * 150.5 * 1.10
        ("100001", Dec("1000.004"), "USD", Dec("1100.00"), Dec("100.00"), Dec("1100.0044"), Dec("100.0004")),
    ]
    totals = q.margin_totals(margins)
    assert list(totals.columns) == q.MARGIN_TOTAL_COLUMNS
    assert table(totals) == [
        # 473.275 + 163.495000001... = 636.770000001... -> 636.77, not the rows' 473.28 + 163.50 = 636.78;
        # 43.025 - 8.605000000077... = 34.41999999992... -> 34.42 = 5.41 % of 636.77
        ("EUR", 2, Dec("636.77"), Dec("34.42"), Dec("5.41"), "USD", Dec("700.0000000018")),
        ("JPY", 1, Dec("165550"), Dec("15050"), Dec("9.09"), "USD", Dec("1000")),
        ("USD", 1, Dec("1100.00"), Dec("100.00"), Dec("9.09"), "USD", Dec("1000.004")),
    ]
    assert all(isinstance(v, Dec) for column in ("price", "margin", "vendor_cost") for v in totals[column])


def test_margin_totals_leave_out_who_cannot_be_priced(analytics_ws) -> None:
    margins = q.customer_margins(analytics_ws, None, OCTOBER)
    # Acme's Azure usage (200 CAD) has no price: it is in no total, and CAD adds to nothing
    assert table(q.margin_totals(margins)) == [
        ("USD", 2, Dec("199.70"), Dec("12.70"), Dec("6.36"), "USD", Dec("187.0000000018")),
    ]
    assert table(q.margin_totals(margins[[p is None for p in margins["price"]]])) == []


def test_margin_totals_do_not_add_vendor_costs_of_two_usage_currencies() -> None:
    """All vendors: one EUR invoice currency over AWS usage in USD and Azure usage in CAD."""
    rows = [("aws", "1", "A", "USD", Dec("10"), "EUR", Dec("11"), Dec("1"), Dec("9.09"), "", "", Dec("11"), Dec("1")),
            ("azure", "1", "A", "CAD", Dec("20"), "EUR", Dec("15"), Dec("1.5"), Dec("10.00"), "", "", Dec("15"), Dec("1.5"))]
    margins = pd.DataFrame({c: pd.Series([r[i] for r in rows], dtype=object) for i, c in enumerate(q.MARGIN_COLUMNS)})
    assert table(q.margin_totals(margins)) == [("EUR", 1, Dec("26.00"), Dec("2.50"), Dec("9.62"), "CAD, USD", None)]


def test_margin_totals_add_the_exact_margins_and_round_once() -> None:
    """The manager's example: three CAD invoices with margins of 1,229.3229, 1,229.3229 and
    1,229.3228 CAD each show 1,229.32; their rounded margins add up to 3,687.96, but the total
    adds the exact margins (3,687.9686) and rounds once: 3,687.97. Prices likewise."""
    def row(customer_id: str, price: str, margin: str) -> tuple[object, ...]:
        shown_price, shown_margin = Dec(price).quantize(Dec("0.01")), Dec(margin).quantize(Dec("0.01"))
        return ("aws", customer_id, f"C{customer_id}", "USD", Dec("1"), "CAD", shown_price, shown_margin,
                q.percent(shown_margin, shown_price), "", "", Dec(price), Dec(margin))

    rows = [row("1", "5000.0049", "1229.3229"), row("2", "5000.0049", "1229.3229"), row("3", "5000.0048", "1229.3228")]
    margins = pd.DataFrame({c: pd.Series([r[i] for r in rows], dtype=object) for i, c in enumerate(q.MARGIN_COLUMNS)})
    assert exact_sum(margins["margin"]) == Dec("3687.96") and exact_sum(margins["price"]) == Dec("15000.00")
    assert table(q.margin_totals(margins)) == [
        # 15,000.0146 -> 15,000.01; 3,687.9686 -> 3,687.97 = 24.59 % of 15,000.0146
        ("CAD", 3, Dec("15000.01"), Dec("3687.97"), Dec("24.59"), "USD", Dec("3")),
    ]


def test_several_months_add_each_months_exact_margin_and_round_once(tmp_path) -> None:
    """A customer over two months is each month priced as its invoice, the months' unrounded
    figures added up and rounded once: 0.05 USD of usage a month at +10 % is a price of 0.055
    (0.06 on each invoice) and a margin of 0.005 (0.01): over both months 0.11 and 0.01, not
    0.12 and 0.02."""
    from .conftest import TABLES, build, focus_csv

    reports = {f"aws-{month}.csv": focus_csv("AWS", "USD", month, "01 | 111111111111 | acme-prod | Usage | Compute | AmazonEC2 | 0.05")
               for month in ("2025-09", "2025-10")}
    ws = build(tmp_path, reports, TABLES)
    try:
        one = q.customer_margins(ws, "aws", OCTOBER)
        assert table(one[["price", "margin", "price_exact", "margin_exact"]]) == [(Dec("0.06"), Dec("0.01"), Dec("0.055"), Dec("0.005"))]
        both = q.customer_margins(ws, "aws", BOTH_MONTHS)
        assert table(both[["vendor_cost", "price", "margin", "margin_percent", "price_exact", "margin_exact"]]) == [
            (Dec("0.10"), Dec("0.11"), Dec("0.01"), Dec("9.09"), Dec("0.110"), Dec("0.010")),
        ]
    finally:
        ws.close()


def test_a_customer_with_usage_in_two_currencies_lists_both_and_has_no_price(two_usage_currencies_ws) -> None:
    margins = q.customer_margins(two_usage_currencies_ws, "aws", OCTOBER)
    assert table(margins[["customer_id", "usage_currency", "vendor_cost", "currency", "price"]]) == [
        ("100001", "USD", Dec("100"), "USD", Dec("110.00")),
        ("100006", "EUR, USD", None, None, None),  # 30 USD and 12 EUR are not added up
    ]
    assert "usage of #100006 is billed in several currencies (EUR, USD)" in margins["problems"][1]
    # September in USD, October in EUR and USD: each currency named once
    months = q.customer_margins(two_usage_currencies_ws, "aws", BOTH_MONTHS)
    assert table(months[["customer_id", "usage_currency", "vendor_cost", "price"]]) == [
        ("100001", "USD", Dec("200"), Dec("220.00")), ("100006", "EUR, USD", None, None),
    ]


def test_a_billed_month_shows_the_margin_it_was_billed_at(tmp_path) -> None:
    """Once October is billed, generation refuses it, but a manager still sees its margin: the
    figures stored with the invoice (the same as the preview before), and which invoice holds them."""
    from workbench.billing.generate import generate_invoices

    from .conftest import build

    ws = build(tmp_path)
    try:
        before = q.customer_margins(ws, "aws", OCTOBER)
        made = generate_invoices(ws, "aws", OCTOBER, today=dt.date(2025, 11, 25)).invoices
        after = q.customer_margins(ws, "aws", OCTOBER)
        figures = ["customer_id", "vendor_cost", "currency", "price", "margin", "margin_percent", "price_exact", "margin_exact"]
        assert table(after[figures]) == table(before[figures])
        # priced, so nothing says it cannot be: the invoice that holds the figures is named instead
        assert list(after["problems"]) == ["", ""]
        assert sorted(after["billed"]) == sorted(i.number for i in made)
        # a range that only overlaps the billed month is not its invoice: no figures from it
        part = q.customer_margins(ws, "aws", custom(dt.date(2025, 10, 1), dt.date(2025, 10, 15)))
        assert list(part["price"]) == [None, None]
        from workbench.billing.generate import preview_customers

        previews, _ = preview_customers(ws, "aws", OCTOBER)
        assert sorted(p.billed for p in previews) == sorted(i.number for i in made)
    finally:
        ws.close()


def test_unassigned_accounts_add_up_to_the_unassigned_bucket(analytics_ws) -> None:
    frame = q.unassigned_accounts(analytics_ws, None, OCTOBER)
    assert table(frame) == [
        ("azure", "sub-x", "lab", "CAD", 1, Dec("1.25")),
        ("aws", "999999999999", "stray", "USD", 1, Dec("7.5")),
    ]
    buckets = q.cost_by_customer(analytics_ws, None, OCTOBER)
    buckets = buckets[buckets["customer_id"] == q.UNASSIGNED_ID]
    for currency, cost in zip(buckets["currency"], buckets["cost"]):
        assert exact_sum(frame[frame["currency"] == currency]["cost"]) == cost


def test_drilldown_customer_accounts_services(analytics_ws) -> None:
    drill = q.customer_drilldown(analytics_ws, "aws", BOTH_MONTHS, "100001")
    assert (drill.customer_id, drill.customer_name) == ("100001", "Acme Corp")
    assert table(drill.totals) == [("USD", Dec("267.0000000028"))]
    assert table(drill.accounts) == [
        ("aws", "111111111111", "acme-prod", "USD", Dec("267.000000001")),
        ("aws", "112222222222", "acme-dev", "USD", Dec("0.0000000018")),
    ]
    assert table(drill.services) == [
        ("aws", "111111111111", "acme-prod", "AmazonEC2", "USD", Dec("227.000000001")),
        ("aws", "111111111111", "acme-prod", "AmazonS3", "USD", Dec("40")),
        ("aws", "112222222222", "acme-dev", "AmazonEC2", "USD", Dec("0.0000000018")),
    ]


@pytest.mark.parametrize("vendor", [None, "aws", "azure"])
def test_drilldown_sums_equal_the_customer_totals_exactly(analytics_ws, vendor) -> None:
    customers = q.cost_by_customer(analytics_ws, vendor, BOTH_MONTHS)
    assert not customers.empty
    for customer_id in dict.fromkeys(customers["customer_id"]):
        drill = q.customer_drilldown(analytics_ws, vendor, BOTH_MONTHS, customer_id)
        expected = customers[customers["customer_id"] == customer_id]
        assert table(drill.totals) == list(zip(expected["currency"], expected["cost"]))
        for currency, total in zip(drill.totals["currency"], drill.totals["cost"]):
            assert exact_sum(drill.accounts[drill.accounts["currency"] == currency]["cost"]) == total
            assert exact_sum(drill.services[drill.services["currency"] == currency]["cost"]) == total


def test_drilldown_of_the_unassigned_bucket(analytics_ws) -> None:
    drill = q.customer_drilldown(analytics_ws, None, OCTOBER, q.UNASSIGNED_ID, currency="CAD")
    assert drill.customer_name == q.UNASSIGNED
    assert table(drill.services) == [("azure", "sub-x", "lab", "Storage Accounts", "CAD", Dec("1.25"))]


def test_a_vendor_without_data_gives_empty_frames(analytics_ws) -> None:
    assert list(q.cost_by_customer(analytics_ws, "gcp", OCTOBER).columns) == q.CUSTOMER_COLUMNS
    assert q.cost_by_customer(analytics_ws, "gcp", OCTOBER).empty
    assert q.daily_cost(analytics_ws, "aws", given_month("2025-01")).empty
    assert q.customer_margins(analytics_ws, "gcp", OCTOBER).empty


def test_bad_parameters_are_refused(analytics_ws) -> None:
    with pytest.raises(ValueError, match="not a currency code"):
        q.cost_by_customer(analytics_ws, "aws", OCTOBER, currency="USD' OR 1=1 --")
    with pytest.raises(ValueError, match="cannot group by"):
        q.daily_cost(analytics_ws, "aws", OCTOBER, by=("sku",))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ends before it starts"):
        q.month_span("2025-10", "2025-09")


def test_the_explorer_never_needs_the_canonical_rows(tmp_path) -> None:
    """A real CUR of 1,281 rows: the explorer's tabs read its usage summary, a few dozen rows
    that still count every vendor row; the daily chart reads its day summary, written the first
    time, and gives the same days and figures as the canonical rows."""
    sample = Path(__file__).resolve().parents[1] / "data" / "vendor-samples" / "aws-cur-legacy-2023-11.csv"
    ws = init_workspace(tmp_path / "ws", name="rows")
    [imported] = import_reports(ws, [sample], today=dt.date(2023, 12, 1)).files
    november = given_month("2023-11")
    rows = ws.usage_dir / "aws" / "2023-11" / f"{imported.sha256[:16]}.parquet"
    days = rows.with_name(f"{imported.sha256[:16]}.days.parquet")
    unassigned = q.unassigned_accounts(ws, "aws", november)  # nobody owns the sample's account
    buckets = q.cost_by_customer(ws, "aws", november)
    drill = q.customer_drilldown(ws, "aws", november, q.UNASSIGNED_ID)
    assert not rows.exists() and not days.exists()
    # 1,281 rows less 383 free-tier and 12 tax rows: vendor rows, not the summary's rows
    assert table(unassigned) == [("aws", "123412340534", "", "USD", 886, Dec("1.6023086974"))]
    assert table(buckets) == [(q.UNASSIGNED_ID, q.UNASSIGNED, "USD", 1, Dec("1.6023086974"))]
    assert exact_sum(drill.services["cost"]) == Dec("1.6023086974")
    daily = q.daily_cost(ws, "aws", november, by=("service",))
    second_week = q.daily_cost(ws, "aws", custom(dt.date(2023, 11, 8), dt.date(2023, 11, 30)), by=("service",))
    assert days.exists() and not rows.exists()
    assert exact_sum(daily["cost"]) == Dec("1.6023086974")
    # the same as summing the canonical rows by usage day
    [written] = current_usage_files(ws, "aws", ["2023-11"])
    with duckdb.connect() as con:
        by_day = con.execute(
            f"SELECT CAST(charge_period_start AS DATE) AS day, currency, coalesce(nullif(service, ''), '(none)'), "
            f"sum(billed_cost) FROM read_parquet('{written}') "
            f"WHERE NOT coalesce(is_free_tier, false) AND charge_category <> 'tax' GROUP BY ALL ORDER BY ALL").fetchall()
    assert table(daily) == by_day and len({d for d, *_ in by_day}) == 14  # the sample covers 1-14 November
    assert table(second_week) == [r for r in by_day if r[0] >= dt.date(2023, 11, 8)] != []


def test_margins_over_two_months_add_up_each_months_invoice(tmp_path) -> None:
    """September and October, October billed: each month priced as its invoice is (October's
    stored figures), then added up; the row names October's invoice. A span over several months
    priced nothing before ('already billed' on every row)."""
    from workbench.billing.generate import generate_invoices

    from .conftest import build

    ws = build(tmp_path)
    try:
        today = dt.date(2025, 11, 25)
        september = q.customer_margins(ws, "aws", q.month_span("2025-09", "2025-09"))
        october = q.customer_margins(ws, "aws", OCTOBER)
        made = {i.customer_id: i.number for i in generate_invoices(ws, "aws", OCTOBER, today=today).invoices}
        both = q.customer_margins(ws, "aws", q.month_span("2025-09", "2025-10"))
        for cid in october["customer_id"]:
            row = both[both["customer_id"] == cid].iloc[0]
            months = [frame[frame["customer_id"] == cid] for frame in (september, october)]
            months = [m.iloc[0] for m in months if len(m)]
            assert row["price"] == sum(m["price"] for m in months) and row["margin"] == sum(m["margin"] for m in months)
            assert row["vendor_cost"] == sum(m["vendor_cost"] for m in months)
            assert (row["billed"], row["problems"]) == (made[cid], "")
    finally:
        ws.close()
