"""A month-end folder says what the invoice is now, and a void invoice's folder leaves the month's
statements: an analyst who sends `output/2025-10/` sends no void statement as if it stood.

Acme's invoice is issued (Open) and printed by month end into output/2025-10/AWS-202510-00001/.
Each kernel run costs seconds here, so each test prints as few invoices as it can.
"""

from __future__ import annotations

import json
import re
import shutil

from workbench.batch import generate_period, is_complete, render_invoice, run_month_end
from workbench.billing.core.lifecycle import Status
from workbench.billing.core.periods import given_month
from workbench.billing.generate import generate_invoices
from workbench.billing.invoices import approve, find, refresh_past_due, set_status
from workbench.render.current import current_pdf

from render.pdf_text import pdf_text
from render.small_workspace import OPTIONS, TABLES, TODAY, build_small_workspace

ACME, BETA = "AWS-202510-00001", "AWS-202510-00002"


def month_end(ws, customers=("100001",)):
    return run_month_end(ws, "2025-10", customers=list(customers), options=OPTIONS, today=TODAY)


def issued_and_printed(ws, customers=("100001",)):
    """The customers' October invoices, approved, then printed by month end (as Open)."""
    generate_invoices(ws, "aws", given_month("2025-10"), list(customers), OPTIONS, today=TODAY)
    numbers = [f"AWS-202510-0000{i + 1}" for i in range(len(customers))]
    approve(ws, numbers, today=TODAY)  # due 2025-12-20 (30 days)
    summary = month_end(ws, customers)
    assert [(o.number, o.state) for o in summary.outcomes] == [(n, "done") for n in numbers], summary.text()
    for number in numbers:
        assert manifest(ws.output_dir / "2025-10" / number)["status"] == "open"
    return summary


def manifest(folder):
    return json.loads((folder / f"{folder.name}.done.json").read_text())


def contents(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def mtimes(folder):
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.iterdir())}


def hidden(folder):
    return sorted(p.name for p in folder.rglob(".*"))


def test_voiding_an_issued_invoice_moves_its_files_under_void_and_its_manifest_says_void(small_ws):
    out = small_ws.output_dir / "2025-10"
    issued_and_printed(small_ws)
    sent = contents(out / ACME)  # what went to the customer

    set_status(small_ws, [ACME], Status.VOID, today=TODAY, reason="wrong pricebook")

    # nothing in the month's folder looks like a statement that stands
    assert sorted(p.name for p in out.iterdir()) == ["void"]
    kept = out / "void" / ACME
    record = manifest(kept)
    assert record["status"] == "void"
    assert record["invoice"]["status"] == "open"  # the files still show the statement as it was sent
    assert {k: v for k, v in contents(kept).items() if not k.endswith(".done.json")} == {
        k: v for k, v in sent.items() if not k.endswith(".done.json")}
    assert is_complete(kept, ACME)  # every file still matches its hash
    assert hidden(out) == []  # no temp file of the rewrite
    with small_ws.session() as session:  # a download prints it anew, VOID on it
        assert current_pdf(small_ws, find(session, ACME)) is None

    # voiding released the period: the next month end prints the corrected draft and leaves the record alone
    before = mtimes(kept)
    again = month_end(small_ws)
    corrected = "AWS-202510-00002"
    assert [(o.number, o.state) for o in again.outcomes] == [(corrected, "done")], again.text()
    assert again.ok and again.voided == () and again.out_of_step == ()
    assert sorted(p.name for p in out.iterdir()) == [corrected, "void"]
    assert mtimes(kept) == before and manifest(kept)["status"] == "void"
    assert [o.state for o in month_end(small_ws).outcomes] == ["skipped"]


def test_a_zero_invoice_closed_at_issue_prints_nothing_due_and_its_void_moves_its_files_under_void(tmp_path):
    """Beta's 41.26 USD is paid in full by a 100 USD credit: issued, it is Closed at once. Its
    month-end PDF says nothing is due (it said "Due date 2025-12-05"); voided (nothing was paid on
    it), its folder leaves the month's statements as any void invoice's does."""
    credits = TABLES["credits"] + "100002,C-2,2025-09-15,100.00,USD,general,azure,Azure commitment credit\n"
    ws = build_small_workspace(tmp_path / "ws", {**TABLES, "credits": credits})
    out = ws.output_dir / "2025-10"
    [draft] = generate_invoices(ws, "aws", given_month("2025-10"), ["100002"], OPTIONS, today=TODAY).invoices
    number = draft.number
    [closed] = approve(ws, [number], today=TODAY)
    assert (closed.status, str(closed.total), closed.note) == ("closed", "0.00", "nothing is due")
    summary = month_end(ws, ("100002",))
    assert [(o.number, o.state) for o in summary.outcomes] == [(number, "done")], summary.text()
    text = pdf_text(out / number / f"{number}.pdf")
    assert re.search(r"Due +nothing is due\n", text) and "Due date" not in text and re.search(r"Status +Closed\n", text)

    set_status(ws, [number], Status.VOID, today=TODAY, reason="billed before the final report")

    assert sorted(p.name for p in out.iterdir()) == ["void"]
    assert manifest(out / "void" / number)["status"] == "void"


def test_a_paid_invoice_says_so_at_once_and_the_next_month_end_prints_it_anew(small_ws):
    folder = small_ws.output_dir / "2025-10" / ACME
    issued_and_printed(small_ws)

    assert refresh_past_due(small_ws) == [ACME]  # due 2025-12-20, unpaid on the real today
    record = manifest(folder)
    assert (record["status"], record["invoice"]["status"]) == ("past_due", "open")

    set_status(small_ws, [ACME], Status.CLOSED, today=TODAY, reason="paid by wire")
    record = manifest(folder)
    # the manifest says what the invoice is now, and what the files were printed for
    assert (record["status"], record["invoice"]["status"]) == ("closed", "open")
    assert "Open" in pdf_text(folder / f"{ACME}.pdf")
    assert hidden(folder) == []

    redo = month_end(small_ws)
    assert [o.state for o in redo.outcomes] == ["done"], redo.text()
    record = manifest(folder)
    assert (record["status"], record["invoice"]["status"]) == ("closed", "closed")
    assert "Closed" in pdf_text(folder / f"{ACME}.pdf")
    assert [o.state for o in month_end(small_ws).outcomes] == ["skipped"]


def test_month_end_puts_right_the_folders_a_crash_after_a_status_change_left_behind(small_ws):
    """A status change commits, then updates the folder: a crash in between leaves the folder one
    step behind. Here: Acme voided with its folder still in place saying open; Beta paid with its
    manifest still saying open. The next month end (for Acme only) moves Acme's folder under
    void/, says closed in Beta's, and reports that Beta's files still show it Open."""
    out = small_ws.output_dir / "2025-10"
    issued_and_printed(small_ws, ("100001", "100002"))
    acme, beta = contents(out / ACME), contents(out / BETA)
    set_status(small_ws, [ACME], Status.VOID, today=TODAY)
    set_status(small_ws, [BETA], Status.CLOSED, today=TODAY)
    shutil.rmtree(out / "void")  # as it was before the folders were updated
    (out / ACME).mkdir()
    for name, data in acme.items():
        (out / ACME / name).write_bytes(data)
    (out / BETA / f"{BETA}.done.json").write_bytes(beta[f"{BETA}.done.json"])
    assert manifest(out / ACME)["status"] == manifest(out / BETA)["status"] == "open"

    summary = month_end(small_ws)
    corrected = "AWS-202510-00003"  # Acme's corrected draft
    assert [(o.number, o.state) for o in summary.outcomes] == [(corrected, "done")], summary.text()
    assert summary.voided == (ACME,)
    assert f"files of void invoices, now under void/ and marked void: {ACME}" in summary.text()
    assert sorted(p.name for p in out.iterdir()) == [BETA, corrected, "void"]
    assert manifest(out / "void" / ACME)["status"] == "void"
    assert manifest(out / BETA)["status"] == "closed"
    [behind] = summary.out_of_step
    assert (behind.number, behind.files_show, behind.status) == (BETA, "open", "closed")
    assert f"{BETA}: its files show it Open, the invoice is Closed" in summary.text()

    # a crash between the move and the manifest's rewrite: the folder is under void/, saying open
    record = manifest(out / "void" / ACME)
    (out / "void" / ACME / f"{ACME}.done.json").write_text(json.dumps({**record, "status": "open"}))
    (out / "void" / ACME / f".{ACME}.done.json.0123456789ab.tmp").write_text('{"number": ')  # a half rewrite
    everyone = month_end(small_ws, ("100001", "100002"))
    assert [(o.number, o.state) for o in everyone.outcomes] == [(BETA, "done"), (corrected, "skipped")], everyone.text()
    assert everyone.voided == (ACME,) and everyone.out_of_step == ()
    assert manifest(out / "void" / ACME)["status"] == "void" and hidden(out) == []
    assert manifest(out / BETA)["invoice"]["status"] == "closed"


def test_an_invoice_voided_after_month_end_listed_it_is_not_printed(small_ws):
    """Voided between the month end's reading of the invoice list and its turn: nothing is printed
    for it (a statement printed now would stand in the month's folder)."""
    generate_invoices(small_ws, "aws", given_month("2025-10"), ["100001"], OPTIONS, today=TODAY)
    approve(small_ws, [ACME], today=TODAY)
    [job], _ = generate_period(small_ws, "2025-10", customers=["100001"], options=OPTIONS, today=TODAY)
    set_status(small_ws, [ACME], Status.VOID, today=TODAY)

    out = small_ws.output_dir / "2025-10"
    outcome = render_invoice(small_ws.root, job, out)
    assert (outcome.number, outcome.state, outcome.files) == (ACME, "void", ())
    assert not (out / ACME).exists()


def test_the_folder_rules_on_hand_written_folders(small_ws):
    """The rules of `billing.store.output_folders`, without printing: folders written here as the
    month end would leave them (a manifest from before manifests said "status" included)."""
    from workbench.billing.store.output_folders import out_of_step, reconcile

    generate_invoices(small_ws, "aws", given_month("2025-10"), ["100001", "100002"], OPTIONS, today=TODAY)
    approve(small_ws, [ACME, BETA], today=TODAY)
    out = small_ws.output_dir / "2025-10"
    for number, shows in ((ACME, "open"), (BETA, "draft")):
        (out / number).mkdir(parents=True)
        (out / number / f"{number}.pdf").write_bytes(b"%PDF-1.4 " + number.encode())
        (out / number / f"{number}.done.json").write_text(json.dumps(
            {"number": number, "invoice": {"id": 0, "status": shows, "updated_at": "2025-11-20T00:00:00"},
             "files": {f"{number}.pdf": "..."}}))

    [behind] = out_of_step(small_ws, out)  # Beta's files were printed while it was a draft
    assert (behind.number, behind.files_show, behind.status) == (BETA, "draft", "open")
    assert behind.text() == f"{BETA}: its files show it Draft, the invoice is Open ({out / BETA})"

    set_status(small_ws, [ACME], Status.VOID, today=TODAY)
    assert sorted(p.name for p in out.iterdir()) == [BETA, "void"]
    assert manifest(out / "void" / ACME)["status"] == "void"

    # an interrupted run left a failed notebook of the void invoice in the month: the record
    # under void/ stays, the leftover goes
    (out / ACME).mkdir()
    (out / ACME / f"{ACME}.failed.ipynb").write_text("{}")
    stray, still_draft = out_of_step(small_ws, out)
    assert still_draft.number == BETA
    assert stray.text() == f"{ACME}: its files are unfinished, the invoice is Void and they are still among " \
                           f"the month's statements ({out / ACME})"
    assert reconcile(small_ws, out).voided == (ACME,)
    assert sorted(p.name for p in out.iterdir()) == [BETA, "void"]
    assert (out / "void" / ACME / f"{ACME}.pdf").read_bytes() == b"%PDF-1.4 " + ACME.encode()
    # Beta's manifest gained the status it lacked; its files still show the draft
    assert (manifest(out / BETA)["status"], manifest(out / BETA)["invoice"]["status"]) == ("open", "draft")
