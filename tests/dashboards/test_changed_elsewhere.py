"""The preview page lists drafts that someone else may approve or delete meanwhile (the CLI, the
API, another analyst's page). `approve` and `delete_drafts` are all or none, so Approve and
Delete read the drafts' statuses again first: the page catches up (the row shows the invoice as
it is now), the drafts still drafts are approved or deleted, and the message names the others.

Workspace (conftest): October is final, November is not.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from workbench.billing.core.lifecycle import Status
from workbench.billing.invoices import approve, delete_drafts, list_invoices
from workbench.cli import main
from workbench.dashboards import billing_app, build_billing_app
from workbench.dashboards.ranges import LAST

from .conftest import TODAY
from .test_billing_app import row_text, text_of


def cli(ws, *args: str) -> None:
    """`workbench invoices ...` on the same workspace, as another terminal would."""
    result = CliRunner().invoke(main, ["invoices", *args[:1], str(ws.root), *args[1:]])
    assert result.exit_code == 0, result.output


def statuses(ws) -> dict[str, str]:
    return {s.number: s.status for s in list_invoices(ws, today=TODAY)}


@pytest.fixture
def three_drafts(ws):
    app = build_billing_app(ws, today=TODAY)
    app.range.kind.value = LAST
    app.select(["100001", "100002", "100004"])
    app.generate_button.click()
    return app, list(app.drafts)


def test_approve_catches_up_with_a_draft_approved_elsewhere_and_approves_the_others(ws, three_drafts):
    app, (acme, beta, delta) = three_drafts
    cli(ws, "approve", acme, "--today", TODAY.isoformat())  # meanwhile, from a terminal
    assert "Draft" in row_text(app.draft_table, acme)  # the page does not know yet

    app.draft_table.check([acme, beta])
    app.approve_button.click()
    assert statuses(ws) == {acme: "open", beta: "open", delta: "draft"}
    assert app.messages[-1] == f"approved (now Open): {beta}; {acme} was approved elsewhere (now Open)"
    assert "Open" in row_text(app.draft_table, acme) and "Open" in row_text(app.draft_table, beta)
    assert "#a61b1b" not in app.preview_message.value  # done: not an error


def test_approve_all_catches_up_too(ws, three_drafts):
    app, (acme, beta, delta) = three_drafts
    approve(ws, [beta], today=TODAY)  # the API, another page: anywhere but here
    app.approve_all_button.click()
    assert statuses(ws) == {acme: "open", beta: "open", delta: "open"}
    assert app.messages[-1] == f"approved (now Open): {acme}, {delta}; {beta} was approved elsewhere (now Open)"
    assert all(row.status is Status.OPEN for row in app.drafts.values())


def test_when_every_ticked_draft_was_issued_or_deleted_elsewhere_nothing_is_approved_and_the_rows_follow(ws, three_drafts):
    app, (acme, beta, delta) = three_drafts
    approve(ws, [acme], today=TODAY)
    delete_drafts(ws, [beta])
    app.draft_table.check([acme, beta])
    app.approve_button.click()
    assert app.messages[-1] == f"nothing approved: {acme} was approved elsewhere (now Open); {beta} was deleted elsewhere"
    assert list(app.drafts) == [acme, delta] and app.drafts[acme].status is Status.OPEN
    assert statuses(ws) == {acme: "open", delta: "draft"}


def test_a_change_between_the_reading_and_the_approval_is_reported_and_the_page_refreshed(ws, three_drafts, monkeypatch):
    """The re-reading narrows the window, it cannot close it: another writer may approve in between."""
    app, (acme, beta, _delta) = three_drafts

    def approved_meanwhile(ws_, numbers, **kwargs):
        approve(ws, [acme], today=TODAY)  # just before this page's approval
        return approve(ws_, numbers, **kwargs)

    monkeypatch.setattr(billing_app, "approve", approved_meanwhile)
    app.draft_table.check([acme, beta])
    app.approve_button.click()
    assert app.messages[-1] == (f"nothing approved: {acme} was approved elsewhere (now Open); the list shows the "
                                "invoices as they are now: tick the drafts again and click Approve")
    assert app.drafts[acme].status is Status.OPEN and app.drafts[beta].status is Status.DRAFT
    assert app.selected_drafts == [beta]  # still ticked: one more click approves it

    monkeypatch.undo()
    app.approve_button.click()
    assert app.messages[-1] == f"approved (now Open): {beta}"


def test_delete_catches_up_with_drafts_approved_or_deleted_elsewhere_and_deletes_the_others(ws, three_drafts):
    app, (acme, beta, delta) = three_drafts
    cli(ws, "approve", acme, "--today", TODAY.isoformat())
    cli(ws, "delete", beta)
    app.draft_table.check([acme, beta, delta])
    app.delete_button.click()
    assert statuses(ws) == {acme: "open"}
    assert app.messages[-1] == (f"deleted: {delta} (their periods can be generated again); "
                                f"{acme} was approved elsewhere (now Open); {beta} was deleted elsewhere")
    assert list(app.drafts) == [acme] and "Open" in row_text(app.draft_table, acme)


def test_a_viewed_draft_approved_elsewhere_shows_as_it_is_now(ws, three_drafts):
    app, (acme, _beta, _delta) = three_drafts
    app.draft_table.check([acme])
    app.view_button.click()
    assert "DRAFT" in app.statement.value
    approve(ws, [acme], today=TODAY)
    app.approve_button.click()
    assert app.messages[-1] == f"nothing approved: {acme} was approved elsewhere (now Open)"
    assert "DRAFT" not in app.statement.value and "Draft" not in text_of(app.statement.value)
