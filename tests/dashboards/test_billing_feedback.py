"""What the billing reports page tells the analyst, and where: a message belongs to the action that
caused it (a change of vendor, range, options or selection clears it), it shows beside the
buttons that caused it, a viewed statement follows its invoice's status, and the page does not
open on an empty month.

Workspace (conftest): October is final, November is not; Gamma (100003) cannot be invoiced.
"""

from __future__ import annotations

import datetime as dt
import re

from workbench.billing.core.lifecycle import Status
from workbench.dashboards import build_billing_app
from workbench.dashboards.ranges import CUSTOM, LAST, MONTH, MTD

from .conftest import TODAY
from .test_billing_app import text_of


def shown(app) -> tuple[str, str, str]:
    """The text of the top line (the range's messages), of the line beside Generate, of the line
    below Approve all ... Finish (their buttons' messages)."""
    return text_of(app.message.value), text_of(app.report_message.value), text_of(app.preview_message.value)


def test_a_message_is_cleared_when_the_range_changes(ws):
    app = build_billing_app(ws, today=TODAY)
    app.range.kind.value = LAST
    app.generate_button.click()
    assert shown(app) == ("", "select one or more customers first (checkboxes, or Select all)", "")

    app.range.kind.value = MONTH  # another month: the hint was about the last report
    assert shown(app) == ("", "", "")


def test_a_message_is_cleared_when_customers_are_ticked_or_the_vendor_or_options_change(ws):
    app = build_billing_app(ws, today=TODAY)
    app.range.kind.value = LAST
    app.generate_button.click()
    assert shown(app)[1]
    app.select(["100001"])
    assert shown(app) == ("", "", "")

    app.select_none_button.click()
    app.generate_button.click()
    assert shown(app)[1]
    app.include_tax.value = not app.include_tax.value
    assert shown(app) == ("", "", "")


def test_a_custom_range_error_goes_once_the_range_is_valid(ws):
    app = build_billing_app(ws, today=TODAY)
    app.range.kind.value = CUSTOM
    app.range.start.value, app.range.end.value = dt.date(2025, 10, 15), dt.date(2025, 10, 5)
    assert shown(app) == ("the custom range ends (2025-10-05) before it starts (2025-10-15)", "", "")

    app.range.end.value = dt.date(2025, 11, 10)
    assert "2025-10-15..2025-11-10" in app.title.value
    assert shown(app) == ("", "", "")


def test_the_previews_message_does_not_follow_to_the_report_after_finish(ws):
    app = build_billing_app(ws, today=TODAY)
    app.range.kind.value = LAST
    app.select(["100002"])
    app.generate_button.click()
    app.approve_button.click()  # nothing ticked in the preview
    assert shown(app) == ("", "", "select one or more draft invoices first")  # below the preview's buttons

    app.finish_button.click()
    assert app.page == "report"
    assert shown(app) == ("", "", "")


def test_generate_answers_beside_its_button(ws):
    """Generate sits below the customer list: its answer shows beside it, not only at the top."""
    app = build_billing_app(ws, today=TODAY)
    app.range.kind.value = LAST
    row = next(box for box in app.report_page.children if app.generate_button in getattr(box, "children", ()))
    assert app.report_message in row.children
    app.generate_button.click()
    assert shown(app) == ("", "select one or more customers first (checkboxes, or Select all)", "")
    assert "wb-action-message" in app.report_message.value and "#a61b1b" in app.report_message.value

    row = next(box for box in app.preview_page.children if app.approve_button in getattr(box, "children", ()))
    preview = list(app.preview_page.children)
    assert preview.index(app.preview_message) == preview.index(row) + 1  # right below the preview's buttons


def test_a_viewed_draft_shows_its_new_status_after_approve(ws):
    app = build_billing_app(ws, today=TODAY)
    app.range.kind.value = LAST
    app.select(["100001", "100002"])
    app.generate_button.click()
    acme, beta = list(app.drafts)
    app.draft_table.check([acme])
    app.view_button.click()
    assert "DRAFT" in app.statement.value

    app.approve_button.click()
    assert app.drafts[acme].status.value == "open"
    assert app.viewed == acme and acme in app.statement.value
    assert "DRAFT" not in app.statement.value and "Draft" not in text_of(app.statement.value)

    # approving another invoice leaves the one shown alone
    app.draft_table.check([beta])
    app.view_button.click()
    shown_beta = app.statement.value
    app.draft_table.check([acme])
    app.approve_all_button.click()
    assert "DRAFT" not in app.statement.value and app.statement.value != shown_beta
    app.approve_all_button.click()  # nothing is left: not "select one first", which no tick can help
    assert shown(app)[2] == "there are no drafts left to approve here"


def test_on_the_first_of_the_month_the_page_opens_on_last_month(ws):
    app = build_billing_app(ws, today=dt.date(2025, 12, 1))  # no December report yet
    assert app.range.kind.value == LAST
    assert "2025-11" in app.title.value and sorted(app.previews) == ["100001", "100002"]
    assert "there is no aws report" not in text_of(app.banner.value)
    assert shown(app) == ("Month to date (2025-12) has no AWS report yet: showing last month (2025-11).", "", "")
    assert "#a61b1b" not in app.message.value  # a note, not an error

    app.range.kind.value = MTD  # the analyst may still look: the engine's banner says why it is empty
    assert shown(app)[0] == ""


def test_without_a_report_for_last_month_either_the_page_opens_on_the_newest_month(ws):
    app = build_billing_app(ws, today=dt.date(2026, 2, 3))
    assert (app.range.kind.value, app.range.month.value) == (MONTH, "2025-11")
    assert "2025-11" in app.title.value
    assert shown(app)[0] == "Month to date (2026-02) has no AWS report yet: showing 2025-11, the newest month with a report."


def test_a_month_with_a_report_still_opens_on_month_to_date(ws):
    app = build_billing_app(ws, today=TODAY)
    assert app.range.kind.value == MTD and shown(app) == ("", "", "")


def test_a_preheated_page_visited_on_the_first_opens_on_last_month(ws):
    app = build_billing_app(ws)  # the real today: computed the evening before the visit
    app.range.kind.value = MTD
    app.today = app.range.today = dt.date(2025, 11, 30)
    app.refresh()
    assert app.range.kind.value == MTD and "2025-11" in app.title.value
    app._given_today = dt.date(2025, 12, 1)  # the visit: the day has turned
    assert app.catch_up() is True
    assert app.range.kind.value == LAST and "2025-11" in app.title.value


def test_after_finish_the_ticks_and_the_progress_start_afresh(ws):
    app = build_billing_app(ws, today=TODAY)
    app.range.kind.value = LAST
    app.select(["100001", "100002"])
    app.generate_button.click()
    assert app.progress_label.value == "2 of 2 generated"
    app.finish_button.click()
    assert app.selected == [] and "0 of 4 selected" in app.selection.value
    assert app.progress_label.value == "" and app.progress.layout.display == "none"


def test_generate_skips_the_customers_already_billed_and_says_so(ws):
    """Select all ticks every customer, the billed ones too: Generate counts them in one line
    instead of a "not generated" block each, or an empty preview when they were all billed."""
    app = build_billing_app(ws, today=TODAY)
    app.range.kind.value = LAST
    app.select(["100001", "100002"])
    app.generate_button.click()
    app.approve_all_button.click()
    app.finish_button.click()

    app.select(["100001", "100002"])
    app.generate_button.click()
    assert app.page == "report" and app.skipped == ["100001", "100002"]
    assert shown(app)[1] == "nothing generated: 2 customer(s) skipped: already billed for AWS 2025-10"

    app.select_all_button.click()
    app.generate_button.click()
    assert app.page == "preview"
    assert sorted(d.invoice.customer_id for d in app.drafts.values()) == ["100004"]
    assert list(app.not_generated) == ["100003"]  # cannot be priced: its error and fix, as before
    assert app.messages[-1].endswith("; 2 customer(s) skipped: already billed")


def test_approve_all_leaves_drafts_of_preliminary_usage_unless_ticked_one_by_one(ws):
    """November is not final (AWS has not issued its invoice): Approve all issues none of its
    drafts, as `invoices approve --all-drafts` would not, and says how to issue them anyway."""
    app = build_billing_app(ws, today=TODAY)  # month to date: November, preliminary
    app.select(["100001", "100002"])
    app.generate_button.click()
    drafts = sorted(app.drafts)
    assert len(drafts) == 2 and all(app.drafts[n].invoice.preliminary for n in drafts)

    app.approve_all_button.click()
    assert shown(app)[2] == (f"nothing approved: {', '.join(drafts)} are priced from preliminary usage; "
                             "to issue them anyway, tick them and click Approve")
    assert all(app.drafts[n].status is Status.DRAFT for n in drafts)

    app.draft_table.check([drafts[0]])
    app.approve_button.click()  # one by one, as the analyst chose
    assert app.drafts[drafts[0]].status is Status.OPEN and app.drafts[drafts[1]].status is Status.DRAFT
    customer = app.drafts[drafts[0]].invoice.customer_name
    # done (green), and a warning (amber, as the page's warning banners) with the invoice and its fix
    assert text_of(app.preview_message.value) == (
        f"approved (now Open): {drafts[0]} {drafts[0]} ({customer}) is issued from preliminary aws usage for "
        "2025-11 (month to date): the vendor has not finalised that month fix: if the vendor's final report differs, "
        f"void {drafts[0]}, then import the report and generate again (while {drafts[0]} stands, the final report is "
        "refused as a whole: it would change a billed month)")
    assert "#1b5e20" in app.preview_message.value and 'class="wb-warning"' in app.preview_message.value


def test_with_one_preliminary_draft_approve_all_says_it_in_the_singular(ws):
    app = build_billing_app(ws, today=TODAY)  # month to date: November, preliminary
    app.select(["100001"])
    app.generate_button.click()
    (draft,) = app.drafts
    app.approve_all_button.click()
    assert shown(app)[2] == (f"nothing approved: {draft} is priced from preliminary usage; to issue it anyway, "
                             "tick it and click Approve")


def test_invoices_issued_from_preliminary_usage_are_one_warning_a_line_each_and_the_fix_once(ws):
    """The manager's review: one grey paragraph repeated the fix for every invoice."""
    app = build_billing_app(ws, today=TODAY)
    app.select(["100001", "100002"])
    app.generate_button.click()
    acme, beta = app.drafts
    app.draft_table.check([acme, beta])
    app.approve_button.click()

    message = app.preview_message.value
    done, warning = message.split('<div class="wb-warning"')
    assert text_of(done) == f"approved (now Open): {acme}, {beta}" and "#1b5e20" in done
    lines = re.findall(r'class="wb-warning-line">([^<]*)<', message)
    assert lines == [f"{acme} (Acme Corp) is issued from preliminary aws usage for 2025-11 (month to date): the vendor "
                     "has not finalised that month",
                     f"{beta} (Beta Ltd) is issued from preliminary aws usage for 2025-11 (month to date): the vendor "
                     "has not finalised that month"]
    assert text_of(warning).count("fix:") == 1 and text_of(warning).endswith(
        "fix: if the vendor's final report for a month differs, void that month's invoices, then import the report "
        "and generate again (while they stand, the final report is refused as a whole: it would change a billed month)")
    assert "#8a5a00" in warning and "#fff4e0" in warning  # amber, as the page's warning banners


def test_only_drafts_with_usage_in_a_report_that_is_not_final_are_preliminary(ws):
    """October has a second payer now: Delta's new account 666666666666 is billed through
    payer 888888888888, whose October CUR AWS has not invoiced yet (no bill/InvoiceId). The
    banner names that report and Delta; only Delta's draft is preliminary, and Approve all
    issues Acme's and Beta's, whose usage is all in the final CUR, and holds Delta's back."""
    from workbench.billing.store.report_import import import_reports
    from workbench.billing.store.table_import import import_tables

    from .conftest import cur, write_tables

    _summary, problems = import_tables(ws, write_tables(ws.root / "imports" / "more", {"accounts": """
        customer_id,vendor,account_id,account_name
        100004,aws,666666666666,delta-eu
    """}))
    assert [p for p in problems if p.severity.value == "error"] == []
    second = ws.root / "imports" / "cur-payer-888-2025-10.csv"
    second.write_text(cur([("666666666666", "AmazonEC2", "USE1-BoxUsage:t3.micro", "4.00")], "2025-10", "")
                      .replace("999999999999", "888888888888"))
    assert [f.status.value for f in import_reports(ws, [second]).files] == ["imported"]

    app = build_billing_app(ws, today=TODAY)
    app.range.kind.value = LAST
    assert ("the aws data for 2025-10 is not final yet in 1 of 2 reports: cur-payer-888-2025-10.csv (billing account "
            "888888888888); drafts of the customers with usage in it are marked preliminary: #100004 Delta LLC"
            ) in text_of(app.banner.value)
    app.select(["100001", "100002", "100004"])
    app.generate_button.click()
    preliminary = {app.drafts[n].invoice.customer_id: app.drafts[n].invoice.preliminary for n in app.drafts}
    assert preliminary == {"100001": False, "100002": False, "100004": True}

    app.approve_all_button.click()
    [delta] = [n for n in app.drafts if app.drafts[n].invoice.customer_id == "100004"]
    assert {app.drafts[n].invoice.customer_id: app.drafts[n].status for n in app.drafts} == {
        "100001": Status.OPEN, "100002": Status.OPEN, "100004": Status.DRAFT}
    assert f"left as drafts, priced from preliminary usage: {delta}" in shown(app)[2]
    assert 'class="wb-warning"' not in app.preview_message.value  # no issued-preliminary warning for Acme or Beta
