"""A status change committed while the month end is printing the invoice: the folder ends whole
and in step, never empty, never half-written, never reported done when it is not.

The change is made for real, from another process, at a known point of the job: a copy of the
invoice notebook with one cell more, run by the month end's own kernel after the old files of a
redo are deleted, changes the invoice's status through `billing.invoices.set_status` (which moves
the folder of a void invoice under void/ at once, as `workbench invoices status ... --to void` does).

Acme's invoice is AWS-202510-00001 (CAD, credits applied, marketplace included: total 238.44).
"""

from __future__ import annotations

import datetime as dt
import json

from workbench.batch import is_complete, run_month_end
from workbench.billing.core.lifecycle import Status
from workbench.billing.core.periods import given_month
from workbench.billing.generate import generate_invoices
from workbench.billing.invoices import approve, set_status
from workbench.billing.store.output_folders import out_of_step, settle_void

from render.pdf_text import pdf_text
from render.small_workspace import OPTIONS, TODAY

ACME = "AWS-202510-00001"
CORRECTED = "AWS-202510-00002"  # the draft generated after ACME is voided

VOID_IT = '''
from workbench.billing.core.lifecycle import Status
from workbench.billing.invoices import find, set_status
from workbench.billing.store.workspace import open_workspace
_ws = open_workspace(workspace)
with _ws.session() as _session:
    _status = find(_session, invoice).status
if _status != "void":  # the void record made afterwards runs this notebook too
    set_status(_ws, [invoice], Status.VOID, reason="voided while the month end printed it")
_ws.close()
'''

APPROVE_IT = '''
import datetime
from workbench.billing.invoices import approve
from workbench.billing.store.workspace import open_workspace
_ws = open_workspace(workspace)
approve(_ws, [invoice], today=datetime.date(2025, 11, 20))
_ws.close()
'''


def notebook_that(tmp_path, code):
    """The invoice notebook with `code` run right after the parameters (hidden from the statement)."""
    from workbench.batch import DEFAULT_NOTEBOOK

    nb = json.loads(DEFAULT_NOTEBOOK.read_text(encoding="utf-8"))
    at = next(i for i, c in enumerate(nb["cells"]) if "parameters" in c.get("metadata", {}).get("tags", []))
    nb["cells"].insert(at + 1, {"cell_type": "code", "execution_count": None, "id": "status-change",
                                "metadata": {"tags": ["remove-cell"]}, "outputs": [], "source": code})
    path = tmp_path / "invoice-with-a-status-change.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def manifest(folder):
    return json.loads((folder / f"{folder.name}.done.json").read_text())


def hidden(folder):
    return sorted(p.name for p in folder.rglob(".*"))


def issued(ws):
    generate_invoices(ws, "aws", given_month("2025-10"), ["100001"], OPTIONS, today=TODAY)
    approve(ws, [ACME], today=TODAY)  # due 2025-12-20


def test_voiding_an_invoice_while_month_end_prints_it_again_leaves_its_whole_record_under_void(small_ws, tmp_path):
    out = small_ws.output_dir / "2025-10"
    issued(small_ws)
    first = run_month_end(small_ws, "2025-10", customers=["100001"], options=OPTIONS, today=TODAY)
    assert [(o.number, o.state) for o in first.outcomes] == [(ACME, "done")], first.text()
    set_status(small_ws, [ACME], Status.PAST_DUE, today=dt.date(2025, 12, 21))  # its files now show it Open

    # the redo deletes the Open files, then the notebook runs and the invoice is voided meanwhile
    summary = run_month_end(small_ws, "2025-10", customers=["100001"], options=OPTIONS, today=TODAY,
                            notebook=notebook_that(tmp_path, VOID_IT))

    assert [(o.number, o.state) for o in summary.outcomes] == [(ACME, "void")], summary.text()
    assert summary.done == [] and summary.failed == [] and summary.out_of_step == ()
    assert f"voided while the month end ran: {ACME}" in summary.text()
    assert sorted(p.name for p in out.iterdir()) == ["void"]  # no statement of it among the month's
    kept = out / "void" / ACME
    assert is_complete(kept, ACME)  # every file there, each matching the manifest
    # the files sent (Open) were deleted by the redo: the record is the statement as it stands
    assert (manifest(kept)["status"], manifest(kept)["invoice"]["status"]) == ("void", "void")
    assert "VOID" in pdf_text(kept / f"{ACME}.pdf")
    assert hidden(out) == []
    assert out_of_step(small_ws, out) == []

    # the next month end, with its default options, makes the corrected draft and names it
    again = run_month_end(small_ws, "2025-10", customers=["100001"], today=TODAY)
    assert [(o.number, o.state) for o in again.outcomes] == [(CORRECTED, "done")], again.text()
    [draft] = again.generated
    assert (draft.number, draft.customer_id, str(draft.total), draft.currency) == (CORRECTED, "100001", "232.87", "CAD")
    assert ("  drafts generated by this run, with its options (credits applied: no, marketplace fees: no, "
            "credits pay marketplace: no, tax: yes):\n"
            f"    {CORRECTED} customer 100001 Acme Corp: total 232.87 CAD") in again.text()
    assert run_month_end(small_ws, "2025-10", customers=["100001"], today=TODAY).generated == ()


def test_an_unfinished_void_record_is_reported_and_the_next_month_end_makes_it_again(small_ws):
    """What the race left before it was fixed: an empty void/<number>/ folder."""
    out = small_ws.output_dir / "2025-10"
    issued(small_ws)
    set_status(small_ws, [ACME], Status.VOID, today=TODAY, reason="wrong pricebook")
    (out / "void" / ACME).mkdir(parents=True)

    [unfinished] = out_of_step(small_ws, out)
    assert unfinished.text() == (f"{ACME}: under void/, but its files are unfinished (no manifest, or a file it lists "
                                 f"missing); the next month end makes its void record again ({out / 'void' / ACME})")

    summary = run_month_end(small_ws, "2025-10", customers=["100001"], options=OPTIONS, today=TODAY)
    assert [(o.number, o.state) for o in summary.outcomes] == [(CORRECTED, "done")], summary.text()
    assert [(o.number, o.state) for o in summary.void_records] == [(ACME, "done")]
    assert summary.ok and summary.out_of_step == ()
    assert (f"void records made again under void/ (their files were unfinished, or showed a Draft): {ACME}"
            in summary.text())
    kept = out / "void" / ACME
    assert is_complete(kept, ACME)
    assert (manifest(kept)["status"], manifest(kept)["invoice"]["status"]) == ("void", "void")
    assert "VOID" in pdf_text(kept / f"{ACME}.pdf")
    assert hidden(out) == []

    rerun = run_month_end(small_ws, "2025-10", customers=["100001"], options=OPTIONS, today=TODAY)
    assert [o.state for o in rerun.outcomes] == ["skipped"] and rerun.void_records == ()


def test_a_draft_approved_while_month_end_prints_it_has_a_manifest_saying_open(small_ws, tmp_path):
    out = small_ws.output_dir / "2025-10"
    generate_invoices(small_ws, "aws", given_month("2025-10"), ["100001"], OPTIONS, today=TODAY)

    summary = run_month_end(small_ws, "2025-10", customers=["100001"], options=OPTIONS, today=TODAY,
                            notebook=notebook_that(tmp_path, APPROVE_IT))

    assert [(o.number, o.state) for o in summary.outcomes] == [(ACME, "done")], summary.text()
    record = manifest(out / ACME)
    # the invoice's status now; the files were made for the draft read before the notebook ran
    assert (record["status"], record["invoice"]["status"]) == ("open", "draft")
    [behind] = summary.out_of_step
    assert (behind.number, behind.files_show, behind.status) == (ACME, "draft", "open")


def test_a_void_leaves_a_folder_being_written_to_its_writer(small_ws):
    """`settle_void` does not move a folder the month end holds; the writer settles it once done."""
    from workbench.billing.store.output_folders import writing

    out = small_ws.output_dir / "2025-10"
    issued(small_ws)
    folder = out / ACME
    folder.mkdir(parents=True)
    (folder / f"{ACME}.ipynb").write_text("{}")

    with writing(folder):
        set_status(small_ws, [ACME], Status.VOID, today=TODAY)  # follows at once: settle_void
        assert (folder / f"{ACME}.ipynb").is_file() and not (out / "void").exists()
    assert settle_void(out, ACME)  # what the writer does once it lets go
    assert sorted(p.name for p in out.iterdir()) == ["void"]
    assert sorted(p.name for p in (out / "void" / ACME).iterdir()) == [f"{ACME}.ipynb"]
    [unfinished] = out_of_step(small_ws, out)
    assert (unfinished.number, unfinished.under_void, unfinished.whole) == (ACME, True, False)



def test_month_end_names_the_drafts_it_generated_and_the_options_they_were_made_with(small_ws):
    """Without options on its command line, month end makes drafts with no credits and no
    marketplace fees: Acme's is 232.87 CAD, not the 238.44 of the worked example."""
    summary = run_month_end(small_ws, "2025-10", customers=["100001"], today=TODAY)
    assert [(o.number, o.state) for o in summary.outcomes] == [(ACME, "done")], summary.text()
    assert summary.text().splitlines()[1:] == [
        "  drafts generated by this run, with its options (credits applied: no, marketplace fees: no, "
        "credits pay marketplace: no, tax: yes):",
        f"    {ACME} customer 100001 Acme Corp: total 232.87 CAD",
    ]
    rerun = run_month_end(small_ws, "2025-10", customers=["100001"], options=OPTIONS, today=TODAY)
    assert rerun.generated == () and len(rerun.text().splitlines()) == 1  # the draft was reused


def test_a_deleted_drafts_folder_being_written_is_left_to_its_writer(small_ws):
    """Another month end's start (`reconcile`) removes the folders of deleted invoices, but not
    one a running month end holds: that job would fail with its folder gone."""
    from workbench.billing.invoices import delete_drafts
    from workbench.billing.store.output_folders import reconcile, writing

    out = small_ws.output_dir / "2025-10"
    number = generate_invoices(small_ws, "aws", given_month("2025-10"), ["100001"], OPTIONS, today=TODAY).invoices[0].number
    folder = out / number
    folder.mkdir(parents=True)
    (folder / f"{number}.ipynb").write_text("{}")
    delete_drafts(small_ws, [number])
    with writing(folder):
        assert reconcile(small_ws, out).removed == ()
        assert (folder / f"{number}.ipynb").is_file()
    assert reconcile(small_ws, out).removed == (number,)
    assert not folder.exists()
