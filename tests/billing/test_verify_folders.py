"""`workbench verify` and the month-end folders: which folders it checks, and honest counts.

The folders are written here by hand as the month end leaves them (`workbench/batch`): an
invoice's PDF and its manifest `<number>.done.json` (the files' sha256 and the invoice's
status), so no notebook runs. The worked example's October invoices are issued: Acme's and
Beta's.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from click.testing import CliRunner

from workbench.billing.core.lifecycle import Status
from workbench.billing import integrity
from workbench.billing.integrity import verify
from workbench.billing.invoices import set_status
from workbench.cli import main

from .test_integrity_and_audit import issue_all
from .worked_example import TODAY


def printed(month: Path, number: str, status: str = "open") -> Path:
    """`month/<number>/` as the month end of 2025-10 leaves it, its files made for `status`."""
    folder = month / number
    folder.mkdir(parents=True)
    pdf = folder / f"{number}.pdf"
    pdf.write_bytes(b"%PDF-1.7 statement of " + number.encode())
    (folder / f"{number}.done.json").write_text(json.dumps({
        "number": number, "period": "2025-10", "status": status,
        "invoice": {"id": 0, "status": status, "updated_at": "2025-11-21T00:00:00"},
        "files": {pdf.name: hashlib.sha256(pdf.read_bytes()).hexdigest()}}))
    return folder


def verify_cli(*args: str, expect: int):
    done = CliRunner().invoke(main, ["verify", *args])
    assert done.exit_code == expect, f"exit {done.exit_code}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done


def test_the_count_is_of_issued_invoices_and_a_void_invoices_folder_is_said_apart(billed):
    """Acme's invoice was voided, and a crash before its folder followed left the folder among the
    month's statements, saying open. Verify lists it (with what to do) but does not count it as an
    issued invoice that fails to match: "1 of 1", not "1 of 2"."""
    numbers = issue_all(billed)
    acme, beta = numbers["100001"], numbers["100002"]
    set_status(billed, [acme], Status.VOID, today=TODAY, reason="billed twice")
    month = billed.output_dir / "2025-10"
    for number in (acme, beta):
        printed(month, number)

    done = verify_cli(str(billed.root), expect=1)
    assert done.stdout.splitlines()[:2] == [f"{beta}: ok", f"{acme}: DIFFERS"]
    assert f"  month-end folder output/2025-10/{acme}: stored open (manifest), derived void (database)" in done.stdout
    assert done.stderr.splitlines() == [
        "1 of 1 issued invoice(s) match",
        "1 void or deleted invoice(s) with a month-end folder that disagrees with the database "
        "(listed above, not counted among the issued)",
        "month-end folders checked: output/2025-10"]

    # voiding it again moves its folder under void/, marked void: nothing left to say apart
    set_status(billed, [acme], Status.VOID, today=TODAY, reason="billed twice")
    done = verify_cli(str(billed.root), expect=0)
    assert done.stdout.splitlines() == [f"{beta}: ok"]
    assert done.stderr.splitlines() == ["1 of 1 issued invoice(s) match", "month-end folders checked: output/2025-10"]


def test_a_month_end_written_elsewhere_is_checked_when_named_with_out(billed, tmp_path):
    """A month end run from Python with `out_dir=` wrote October to a shared folder; nothing in the
    workspace records that. Verify checks it when told (`--out`), the month's folder itself or the
    folder holding it, and says which folders it checked."""
    numbers = issue_all(billed)
    acme, beta = numbers["100001"], numbers["100002"]
    shared = tmp_path / "statements"
    october = shared / "2025-10"
    printed(october, acme)
    tampered = printed(october, beta) / f"{beta}.pdf"
    set_status(billed, [acme], Status.VOID, today=TODAY, reason="billed twice")  # follows output/ only
    tampered.write_bytes(b"%PDF-1.7 edited")

    # unnamed, the shared folder is not looked at (and verify says what it looked at)
    done = verify_cli(str(billed.root), expect=0)
    assert done.stderr.splitlines()[-1] == ("month-end folders checked: none (no output/<YYYY-MM>/ in the workspace; "
                                            "a month end written elsewhere is checked with --out DIR)")
    assert integrity.month_folders(billed) == []

    for named in (shared, october):  # the folder holding the month, or the month's folder itself
        done = verify_cli(str(billed.root), "--out", str(named), expect=1)
        assert done.stderr.splitlines() == [
            "0 of 1 issued invoice(s) match",
            "1 void or deleted invoice(s) with a month-end folder that disagrees with the database "
            "(listed above, not counted among the issued)",
            f"month-end folders checked: {october}"]
        assert integrity.month_folders(billed, [named]) == [october]
    (tmp_path / "elsewhere").mkdir()  # a folder no month end wrote into: checked, and said to be empty
    done = verify_cli(str(billed.root), "--out", str(tmp_path / "elsewhere"), expect=0)
    assert done.stderr.splitlines()[-1] == f"month-end folders checked: {tmp_path / 'elsewhere'} (no invoice folder in it)"

    found = {r.number: r for r in verify(billed, out=[shared])}
    [changed] = found[beta].differences
    assert (changed.what, changed.derived) == (f"file {tampered}", hashlib.sha256(b"%PDF-1.7 edited").hexdigest()[:16])
    [stale] = found[acme].differences
    assert (stale.what, stale.stored, stale.derived) == (
        f"month-end folder {october / acme}", "open (manifest)", "void (database)")
    [note] = found[acme].notes
    assert note == (f"{acme}: folder among the month's statements, its manifest says open, the invoice is Void "
                    f"in the database; to fix: `run_month_end(ws, \"2025-10\", out_dir=\"{october}\")` (the month "
                    f"end run again into that folder) moves it under void/, marked void; voiding it again moves "
                    f"only the folders under {billed.output_dir}")


def test_only_folders_named_for_a_month_are_checked(billed):
    """A month is `YYYY-MM` as the billing core reads one (`periods.parse_month`): output/2025-13/
    (an analyst's folder, no month end writes it) and output/downloads/ are not month-end folders."""
    numbers = issue_all(billed)
    acme = numbers["100001"]
    set_status(billed, [acme], Status.VOID, today=TODAY, reason="billed twice")
    printed(billed.output_dir / "2025-13", acme)
    printed(billed.output_dir / "2025-10", numbers["100002"])
    (billed.output_dir / "downloads").mkdir()

    assert all(r.ok for r in verify(billed))
    done = verify_cli(str(billed.root), expect=0)
    assert done.stderr.splitlines() == ["1 of 1 issued invoice(s) match", "month-end folders checked: output/2025-10"]
    assert integrity.month_folders(billed) == [billed.output_dir / "2025-10"]
