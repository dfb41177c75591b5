import datetime as dt

import pytest

from workbench.billing.core.lifecycle import (
    Status,
    TransitionError,
    allowed_targets,
    can_delete,
    check_transition,
    closes_at_issue,
    due_label,
    is_past_due,
    nothing_due,
)
from workbench.billing.core.money import D, CurrencyMismatch, Money
from workbench.billing.core.periods import parse_range


def test_money_refuses_float_and_mixed_currencies():
    with pytest.raises(TypeError):
        D(0.1)
    with pytest.raises(CurrencyMismatch):
        Money.of("1", "USD") + Money.of("1", "CAD")
    with pytest.raises(ValueError, match="unknown currency"):
        Money.of("1", "XXX")
    assert Money.of("1.8E-9", "USD").amount == D("0.0000000018")


def test_lifecycle_allows_only_forward_moves():
    check_transition(Status.DRAFT, Status.OPEN, D("41.26"))
    check_transition(Status.OPEN, Status.PAST_DUE, D("41.26"))
    check_transition(Status.PAST_DUE, Status.VOID, D("41.26"))
    for current, target in [(Status.OPEN, Status.DRAFT), (Status.CLOSED, Status.OPEN), (Status.DRAFT, Status.CLOSED)]:
        for total in ("41.26", "0.00", "-12.50"):
            with pytest.raises(TransitionError):
                check_transition(current, target, D(total))
    assert [s for s in Status if can_delete(s)] == [Status.DRAFT]


@pytest.mark.parametrize(
    ("total", "targets", "refusal"),
    [
        # closed at issue because nothing was due: nothing was paid, so it may be voided (its lock lifted)
        ("0.00", [Status.VOID], "an invoice in Closed cannot become Open (allowed from Closed: Void)"),
        ("41.26", [], "an invoice in Closed cannot become Open (allowed from Closed: none; it was paid, "
                      "and a paid invoice is final)"),
        ("-12.50", [], "an invoice in Closed cannot become Open (allowed from Closed: none; its refund was "
                       "settled, which is final)"),
    ],
)
def test_a_closed_invoice_may_be_voided_only_when_nothing_was_due(total, targets, refusal):
    assert sorted(allowed_targets(Status.CLOSED, D(total))) == targets
    with pytest.raises(TransitionError) as refused:
        check_transition(Status.CLOSED, Status.OPEN, D(total))
    assert str(refused.value) == refusal
    if targets:
        check_transition(Status.CLOSED, Status.VOID, D(total))
    else:
        with pytest.raises(TransitionError, match="cannot become Void"):
            check_transition(Status.CLOSED, Status.VOID, D(total))
    # whatever the total, the other statuses allow what they always did
    for current in (Status.DRAFT, Status.OPEN, Status.PAST_DUE, Status.VOID):
        assert allowed_targets(current, D(total)) == allowed_targets(current, D("41.26"))


@pytest.mark.parametrize(
    ("total", "closes", "past_due_after_its_date"),
    [
        ("41.26", False, True),  # something to pay: Open, then Past Due
        ("0.00", True, False),  # credits paid it all, or no charges: Closed at issue, never Past Due
        ("0", True, False),
        ("-12.50", False, False),  # a refund: the customer owes nothing, so never Past Due; not settled either
    ],
)
def test_only_an_invoice_with_something_to_pay_waits_to_be_paid(total, closes, past_due_after_its_date):
    due = dt.date(2025, 12, 6)
    assert closes_at_issue(D(total)) is closes
    assert nothing_due(D(total)) is (D(total) <= 0)  # 0.00 and refunds: the statement shows no due date
    # the due column of the CLI's list and of the dashboards
    assert due_label(D(total), due) == ("2025-12-06" if past_due_after_its_date else "nothing due")
    assert is_past_due(Status.OPEN, due, dt.date(2025, 12, 7), D(total)) is past_due_after_its_date
    assert is_past_due(Status.OPEN, due, due, D(total)) is False  # not on the due date itself


@pytest.mark.parametrize(
    ("text", "start", "end", "months"),
    [
        (None, "2025-11-01", "2025-11-26", ["2025-11"]),
        ("last-month", "2025-10-01", "2025-11-01", ["2025-10"]),
        ("2025-02", "2025-02-01", "2025-03-01", ["2025-02"]),
        ("2025-09-20..2025-10-05", "2025-09-20", "2025-10-06", ["2025-09", "2025-10"]),
    ],
)
def test_date_ranges(text, start, end, months):
    r = parse_range(text, dt.date(2025, 11, 25))
    assert (r.start.isoformat(), r.end.isoformat(), r.months) == (start, end, months)


def test_a_custom_range_backwards_says_so_in_the_days_typed() -> None:
    import datetime as dt

    import pytest

    from workbench.billing.core.periods import parse_range

    with pytest.raises(ValueError, match=r"the range 2026-11-30\.\.2026-11-01 ends before it starts"):
        parse_range("2026-11-30..2026-11-01", dt.date(2026, 12, 1))


def test_one_margin_percent_for_every_screen() -> None:
    """The billing report showed 12.2% where the explorer showed 12.25% for the same margin, and
    +25.0% against -25.00% on a negative price: both now print `core.money.percent`."""
    from decimal import Decimal

    from workbench.analytics.queries import percent as explorer_percent
    from workbench.billing.core.money import percent
    from workbench.dashboards.text import percent as report_percent

    assert percent(Decimal("12.25"), Decimal("100")) == Decimal("12.25")
    assert percent(Decimal("0.125"), Decimal("1")) == Decimal("12.50")  # half-up, once
    assert percent(Decimal("-5"), Decimal("-20")) == Decimal("-25.00")  # the sign is the margin's
    assert percent(Decimal("1"), Decimal("0")) is None
    assert explorer_percent is percent
    assert report_percent(Decimal("12.25"), Decimal("100")) == "12.25%"
    assert report_percent(Decimal("-5"), Decimal("-20")) == "-25.00%"
    assert report_percent(None, Decimal("1")) == "\u2014"


@pytest.mark.parametrize(("amount", "currency", "grouped", "plain"), [
    ("1262.77", "USD", "1,262.77", "1262.77"),
    ("1234567.891", "USD", "1,234,567.89", "1234567.89"),  # rounded once, half-up
    ("-1500", "USD", "-1,500.00", "-1500.00"),  # a credit
    ("999.999", "USD", "1,000.00", "1000.00"),
    ("0.5", "JPY", "1", "1"),  # no minor unit
    ("1481481.4815", "JPY", "1,481,481", "1481481"),
    ("-25000", "JPY", "-25,000", "-25000"),
    ("1234.5675", "KWD", "1,234.568", "1234.568"),  # three minor units
    ("-0.001", "USD", "0.00", "0.00"),  # never -0.00
    ("0.0000000018", "KWD", "0.000", "0.000"),
])
def test_one_way_to_print_an_amount_for_a_reader_and_for_a_file(amount, currency, grouped, plain):
    """The statement printed 1262.77 where the dashboards printed 1,426.93: both now print
    `core.money.money_text`; files (CSV, JSON) take its plain form, the same digits."""
    from workbench.billing.core.money import money_text, round_minor
    from workbench.dashboards.text import money

    assert money_text(D(amount), currency) == grouped
    assert money_text(D(amount), currency, grouped=False) == plain
    assert D(plain) == round_minor(D(amount), currency)  # the plain form is the rounded Decimal itself
    assert money(D(amount), currency) == grouped  # the dashboards' tables
    assert str(Money.of(amount, currency)) == f"{grouped} {currency}"
