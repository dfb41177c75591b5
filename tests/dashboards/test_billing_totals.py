"""The report's totals line and its negative margins, worked through the conftest workspace.

October (conftest): Acme Corp invoices in CAD at 1.3712, Beta Ltd and Delta LLC in USD, Gamma Inc
has no AWS pricebook (no price). Standard marks EC2 up 10 %, the rest 15 %.
"""

from __future__ import annotations

from decimal import Decimal

from workbench.billing.core.money import round_minor
from workbench.dashboards import build_billing_app
from workbench.dashboards.ranges import LAST

from .conftest import OCTOBER, TABLES, TODAY, build_workspace
from .test_billing_app import row_text, text_of


def test_the_totals_line_adds_each_currency_on_its_own_and_leaves_out_rows_without_a_price(ws):
    app = build_billing_app(ws, today=TODAY)
    app.range.kind.value = LAST
    assert row_text(app.table, "100001") == "Acme Corp 100001 120.50 USD 183.16 CAD 17.93 CAD 9.79%"
    assert row_text(app.table, "100002") == "Beta Ltd 100002 10.00 USD 11.01 USD 1.00 USD 9.08%"
    assert row_text(app.table, "100004") == "Delta LLC 100004 40.00 USD 46.00 USD 6.00 USD 13.04%"
    assert row_text(app.table, "100003").startswith("Gamma Inc 100003 7.00 USD \u2014 \u2014 \u2014")

    # vendor cost, USD (the usage currency), of the three priced rows; Gamma's 7.00 is left out:
    # 120.50 + 10.004999999 + 40.00 = 170.504999999 -> 170.50
    cost = Decimal("120.50") + Decimal("10.004999999") + Decimal("40.00")
    # USD invoices, Beta and Delta: price 10.004999999 x 1.10 + 40.00 x 1.15 = 11.0054999989 + 46.00
    usd_price = Decimal("10.004999999") * Decimal("1.10") + Decimal("40.00") * Decimal("1.15")
    usd_margin = usd_price - (Decimal("10.004999999") + Decimal("40.00"))  # 7.0004999999
    assert (round_minor(usd_price, "USD"), round_minor(usd_margin, "USD")) == (Decimal("57.01"), Decimal("7.00"))
    # 7.0004999999 / 57.0054999989 = 12.2804...% -> 12.28%
    # CAD invoices, Acme alone: (100.00 x 1.10 + 20.50 x 1.15) x 1.3712 = 133.575 x 1.3712 = 183.15804
    cad_price = (Decimal("100.00") * Decimal("1.10") + Decimal("20.50") * Decimal("1.15")) * Decimal("1.3712")
    cad_margin = cad_price - Decimal("120.50") * Decimal("1.3712")  # 17.92844
    assert (round_minor(cad_price, "CAD"), round_minor(cad_margin, "CAD")) == (Decimal("183.16"), Decimal("17.93"))

    totals = app.totals
    assert [(t.currency, t.customers, t.vendor_cost) for t in totals.costs] == [("USD", 3, cost)]
    assert [(t.currency, t.customers, t.price, t.margin, t.margin_percent) for t in totals.prices] == [
        ("CAD", 1, cad_price, cad_margin, Decimal("9.79")),
        ("USD", 2, usd_price, usd_margin, Decimal("12.28")),
    ]
    assert totals.left_out == ("100003",)
    assert text_of(app.totals_html.value) == (
        "Totals of 3 customers : vendor cost 170.50 USD ; price 183.16 CAD, margin 17.93 CAD (9.79%) ; "
        "price 57.01 USD, margin 7.00 USD (12.28%) 1 customer with a problem (no price) is left out of the totals")
    assert "wb-negative" not in app.totals_html.value  # no margin below zero here

    # the totals follow the options (marketplace, credits, tax change no price here) and the range
    app.range.kind.value = "Month to date"  # November: Acme and Beta, both priced
    assert [(t.currency, t.customers) for t in app.totals.prices] == [("CAD", 1), ("USD", 1)]
    assert app.totals.left_out == () and "left out" not in app.totals_html.value


DISCOUNTED = {
    **TABLES,
    # Delta LLC on a pricebook 10 % below the vendor's cost: a negative margin
    "customer_vendors": TABLES["customer_vendors"].replace("100004,aws,Standard,USD", "100004,aws,Discount,USD"),
    "pricebooks": TABLES["pricebooks"].rstrip() + "\n        Discount,2025-01,aws,default,,-10\n",
}


def test_a_negative_margin_is_red_in_its_row_and_in_the_total(tmp_path):
    ws = build_workspace(tmp_path / "ws", DISCOUNTED, {"2025-10": (OCTOBER, "INV-OCT")})
    try:
        app = build_billing_app(ws, today=TODAY)
        app.range.kind.value = LAST
        # Delta: 40.00 USD at -10 % = 36.00; margin 36.00 - 40.00 = -4.00, -4.00 / 36.00 = -11.11 %
        assert row_text(app.table, "100004") == "Delta LLC 100004 40.00 USD 36.00 USD -4.00 USD -11.11%"
        cells = app.table.rows["100004"].cells
        assert cells[4] == '<span class="wb-negative">-4.00 USD</span>'
        assert cells[5] == '<span class="wb-negative">-11.11%</span>'
        assert "wb-negative" not in cells[3]  # the price is not a margin
        beta = app.table.rows["100002"].cells
        assert "wb-negative" not in beta[4] + beta[5]  # a positive margin stays black

        # USD total: Beta 1.0004999999 + Delta -4.00 = -2.9995000001 -> -3.00, red too
        usd_margin = Decimal("10.004999999") * Decimal("0.10") + Decimal("-4.00")
        usd_price = Decimal("10.004999999") * Decimal("1.10") + Decimal("36.00")
        assert round_minor(usd_margin, "USD") == Decimal("-3.00")
        usd = next(t for t in app.totals.prices if t.currency == "USD")
        assert (usd.price, usd.margin, usd.margin_percent) == (usd_price, usd_margin, Decimal("-6.38"))  # -2.9995 of 47.0055
        assert ('price 47.01 USD, margin <span class="wb-negative">-3.00 USD</span> '
                '(<span class="wb-negative">-6.38%</span>)') in app.totals_html.value
        # the class is in the styles the table brings into the page
        assert ".wb-negative { color: #a61b1b; }" in app.table.widget._css
    finally:
        ws.close()
