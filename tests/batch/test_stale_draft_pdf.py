"""Files printed while an invoice was a Draft are not the invoice once it is approved: the next month
end makes them again, and no DRAFT PDF is left behind as the invoice's statement."""

from __future__ import annotations

import json

from workbench.batch import is_complete, run_month_end
from workbench.billing.invoices import approve, find
from workbench.render.current import current_pdf

from render.pdf_text import approving_notebook, failing_notebook, pdf_text
from render.small_workspace import OPTIONS, TODAY

ACME = "AWS-202510-00001"


def month_end(ws, **kwargs):
    return run_month_end(ws, "2025-10", customers=["100001"], options=OPTIONS, today=TODAY, **kwargs)


def pdf_now(ws):
    with ws.session() as session:
        return current_pdf(ws, find(session, ACME))


def test_month_end_redoes_the_files_of_a_draft_approved_since(small_ws):
    folder = small_ws.output_dir / "2025-10" / ACME
    first = month_end(small_ws)
    assert [(o.number, o.state) for o in first.outcomes] == [(ACME, "done")], first.text()
    assert "DRAFT" in pdf_text(folder / f"{ACME}.pdf")
    assert pdf_now(small_ws) == folder / f"{ACME}.pdf"  # current while the invoice is a Draft

    approve(small_ws, [ACME], today=TODAY)
    assert pdf_now(small_ws) is None  # the draft PDF is no longer the invoice
    assert is_complete(folder, ACME)  # the files still match their hashes: only their state is old

    again = month_end(small_ws)
    assert [(o.number, o.state) for o in again.outcomes] == [(ACME, "done")], again.text()
    text = pdf_text(folder / f"{ACME}.pdf")
    assert "DRAFT" not in text and "Open" in text and "238.44" in text
    assert json.loads((folder / f"{ACME}.done.json").read_text())["invoice"]["status"] == "open"
    assert pdf_now(small_ws) == folder / f"{ACME}.pdf"
    assert [o.state for o in month_end(small_ws).outcomes] == ["skipped"]  # and now it is complete


def test_an_invoice_approved_while_the_month_end_prints_it_is_redone_next_time(small_ws, tmp_path):
    folder = small_ws.output_dir / "2025-10" / ACME
    racing = month_end(small_ws, notebook=approving_notebook(tmp_path), engine="cold")
    assert [o.state for o in racing.outcomes] == ["done"], racing.text()
    # the PDF was written after the approval, yet it shows the Draft the notebook read
    assert "DRAFT" in pdf_text(folder / f"{ACME}.pdf")
    assert pdf_now(small_ws) is None

    again = month_end(small_ws)
    assert [o.state for o in again.outcomes] == ["done"], again.text()
    assert "DRAFT" not in pdf_text(folder / f"{ACME}.pdf")


def test_a_redo_that_fails_leaves_no_file_of_the_earlier_state(small_ws, tmp_path):
    """Approved since its Draft files were printed, then redone with a notebook that fails: the
    folder must not go on showing the Draft's PDF, CSVs and workbook under their final names
    (without a manifest, beside the failed notebook) as if they were the Open invoice's."""
    folder = small_ws.output_dir / "2025-10" / ACME
    assert [o.state for o in month_end(small_ws).outcomes] == ["done"]
    approve(small_ws, [ACME], today=TODAY)

    failed = month_end(small_ws, notebook=failing_notebook(tmp_path, "100001"))
    assert [o.state for o in failed.outcomes] == ["failed"], failed.text()
    assert sorted(p.name for p in folder.iterdir()) == [f"{ACME}.failed.ipynb"]
    assert pdf_now(small_ws) is None


def test_the_files_of_a_deleted_draft_go_when_month_end_runs_again(small_ws):
    """Deleted after month end printed it, then generated again under a new number: the month's
    folder holds the new invoice's files only, not the deleted draft's complete folder beside it.
    (A deleted LAST number is given again, and its folder redone: its stamp names another id.)"""
    from workbench.billing.invoices import delete_drafts

    out = small_ws.output_dir / "2025-10"
    first = run_month_end(small_ws, "2025-10", options=OPTIONS, today=TODAY)
    assert [o.state for o in first.outcomes] == ["done"] * 3, first.text()
    delete_drafts(small_ws, [ACME])
    (out / "notes").mkdir()  # a folder of the analyst's own is left alone
    (out / "notes" / "todo.txt").write_text("call Acme")

    again = month_end(small_ws)
    [new] = again.outcomes
    assert new.state == "done" and new.number == "AWS-202510-00004"
    assert again.removed == (ACME,) and f"removed the files of deleted invoices: {ACME}" in again.text()
    assert sorted(p.name for p in out.iterdir()) == ["AWS-202510-00002", "AWS-202510-00003", "AWS-202510-00004", "notes"]


def test_a_draft_printed_then_approved_and_voided_gets_its_void_record_printed_by_the_next_month_end(small_ws):
    """Month end printed Acme's invoice while it was a Draft; the analyst approved it, then voided it,
    with no month end between. Its folder moved under void/ holding the Draft's files ("DRAFT: not
    issued yet"), which were never sent to anyone: void/ keeps what was sent, so the next month end
    prints the void record (VOID on it), as it does for a record left unfinished."""
    from workbench.billing.core.lifecycle import Status
    from workbench.billing.invoices import set_status
    from workbench.billing.store.output_folders import out_of_step

    out = small_ws.output_dir / "2025-10"
    assert [(o.number, o.state) for o in month_end(small_ws).outcomes] == [(ACME, "done")]
    approve(small_ws, [ACME], today=TODAY)
    set_status(small_ws, [ACME], Status.VOID, today=TODAY, reason="wrong pricebook")
    kept = out / "void" / ACME
    assert "DRAFT" in pdf_text(kept / f"{ACME}.pdf")

    [draft_record] = out_of_step(small_ws, out)
    assert draft_record.text() == (f"{ACME}: under void/, but its files show it Draft (printed before it was issued, "
                                   f"never sent); the next month end makes its void record again ({kept})")

    again = month_end(small_ws)
    assert [(o.number, o.state) for o in again.void_records] == [(ACME, "done")], again.text()
    assert (f"void records made again under void/ (their files were unfinished, or showed a Draft): {ACME}"
            in again.text())
    assert again.ok and again.out_of_step == ()
    assert is_complete(kept, ACME)
    record = json.loads((kept / f"{ACME}.done.json").read_text())
    assert (record["status"], record["invoice"]["status"]) == ("void", "void")
    text = pdf_text(kept / f"{ACME}.pdf")
    assert "VOID" in text and "DRAFT" not in text

    rerun = month_end(small_ws)
    assert rerun.void_records == () and rerun.out_of_step == ()
