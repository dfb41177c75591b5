"""Month end on the small workspace (three October invoices): every file, resume, failures.

Each invoice costs a papermill kernel (about 3 s here), so the tests share runs where they can.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from click.testing import CliRunner
from pypdf import PdfReader

from workbench.batch import MonthEndInterrupted, expected_files, is_complete, run_month_end
from workbench.batch.cli import month_end
from workbench.billing.core.money import D, money_text
from workbench.billing.core.periods import given_month
from workbench.billing.generate import generate_invoices
from workbench.billing.invoices import list_invoices

from render.pdf_text import failing_notebook
from render.small_workspace import OPTIONS, TODAY

NUMBERS = ["AWS-202510-00001", "AWS-202510-00002", "AWS-202510-00003"]
CUSTOMERS = {"AWS-202510-00001": ("Acme Corp", "238.44", "CAD"), "AWS-202510-00002": ("Beta Ltd", "41.26", "USD"),
             "AWS-202510-00003": ("Smith & Sons <Ltd>", "36.95", "USD")}


def leftovers(root: Path) -> list[str]:
    """Temporary files anywhere under the output folder."""
    return sorted(str(p.relative_to(root)) for p in root.rglob(".*") if ".tmp" in p.name)


def mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.iterdir())}


def test_month_end_writes_every_file_then_resumes(small_ws):
    seen: list[tuple[int, int, str, str]] = []
    summary = run_month_end(small_ws, "2025-10", options=OPTIONS, today=TODAY,
                            progress=lambda done, total, o: seen.append((done, total, o.number, o.state)))
    assert summary.ok, summary.text()
    assert [(o.number, o.state) for o in summary.outcomes] == [(n, "done") for n in NUMBERS]
    assert seen == [(i + 1, 3, n, "done") for i, n in enumerate(NUMBERS)]
    out = small_ws.root / "output" / "2025-10"
    assert summary.out_dir == out
    for number in NUMBERS:
        folder = out / number
        assert sorted(p.name for p in folder.iterdir()) == sorted([*expected_files(number), f"{number}.done.json"])
        manifest = json.loads((folder / f"{number}.done.json").read_text())
        assert manifest["files"] == {name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
                                     for name in expected_files(number)}
        name, total, currency = CUSTOMERS[number]
        assert manifest["total"] == total
        text = "".join(page.extract_text() for page in PdfReader(folder / f"{number}.pdf").pages)
        # the PDF groups thousands as the dashboards do; the manifest and the CSVs carry the plain number
        assert name in text and money_text(D(total), currency) in text and number in text
        for csv_name in (f"{number}-statement.csv", f"{number}.csv"):
            rows = list(csv.reader(io.StringIO((folder / csv_name).read_text(encoding="utf-8-sig"))))
            assert rows[-1][1:] == ["Total", total, currency, number]
    timings = {o.number: o.seconds for o in summary.outcomes}
    print(f"\nmonth end, 3 invoices, jobs=1: {summary.seconds:.1f} s; per invoice {timings}")

    # rerun: everything is complete, nothing is touched
    before = {n: mtimes(out / n) for n in NUMBERS}
    again = run_month_end(small_ws, "2025-10", options=OPTIONS, today=TODAY)
    assert again.ok and [o.state for o in again.outcomes] == ["skipped"] * 3
    assert again.problems == ()  # the locked period is reused, not reported
    assert {n: mtimes(out / n) for n in NUMBERS} == before
    assert len(list_invoices(small_ws)) == 3

    # a deleted PDF: just that invoice is redone
    (out / NUMBERS[1] / f"{NUMBERS[1]}.pdf").unlink()
    redo = run_month_end(small_ws, "2025-10", options=OPTIONS, today=TODAY)
    assert [(o.number, o.state) for o in redo.outcomes] == [
        (NUMBERS[0], "skipped"), (NUMBERS[1], "done"), (NUMBERS[2], "skipped")]
    assert is_complete(out / NUMBERS[1], NUMBERS[1])
    assert mtimes(out / NUMBERS[0]) == before[NUMBERS[0]] and mtimes(out / NUMBERS[2]) == before[NUMBERS[2]]

    # a file changed after the fact no longer matches its manifest: redone too
    xlsx = out / NUMBERS[2] / f"{NUMBERS[2]}.xlsx"
    xlsx.write_bytes(xlsx.read_bytes() + b"\0")
    assert not is_complete(out / NUMBERS[2], NUMBERS[2])
    assert [o.state for o in run_month_end(small_ws, "2025-10", options=OPTIONS, today=TODAY).outcomes] == [
        "skipped", "skipped", "done"]
    assert leftovers(out) == []


def test_one_failing_invoice_does_not_stop_the_others_and_leaves_no_half_files(small_ws, tmp_path):
    out = small_ws.root / "output" / "2025-10"
    # what a killed run leaves behind: a temp file in an invoice folder
    (out / NUMBERS[0]).mkdir(parents=True)
    (out / NUMBERS[0] / f".{NUMBERS[0]}.pdf.0123456789ab.tmp").write_bytes(b"%PDF-1.4 half")

    summary = run_month_end(small_ws, "2025-10", options=OPTIONS, today=TODAY,
                            notebook=failing_notebook(tmp_path, "100002"))
    assert not summary.ok
    assert [(o.number, o.state) for o in summary.outcomes] == [
        (NUMBERS[0], "done"), (NUMBERS[1], "failed"), (NUMBERS[2], "done")]
    [failed] = summary.failed
    assert (failed.customer_id, failed.customer_name) == ("100002", "Beta Ltd")
    assert failed.error == "notebook cell 5 raised AssertionError: simulated failure"
    assert "FAILED AWS-202510-00002 (customer 100002 Beta Ltd): notebook cell 5 raised AssertionError" in summary.text()
    # the failed invoice: no file under a final name, its notebook kept for reading, no manifest
    assert sorted(p.name for p in (out / NUMBERS[1]).iterdir()) == [f"{NUMBERS[1]}.failed.ipynb"]
    assert is_complete(out / NUMBERS[0], NUMBERS[0]) and is_complete(out / NUMBERS[2], NUMBERS[2])
    assert leftovers(out) == []

    # fixed notebook, rerun: only the failed invoice is made
    rerun = run_month_end(small_ws, "2025-10", options=OPTIONS, today=TODAY)
    assert rerun.ok and [o.state for o in rerun.outcomes] == ["skipped", "done", "skipped"]
    assert sorted(p.name for p in (out / NUMBERS[1]).iterdir()) == sorted(
        [*expected_files(NUMBERS[1]), f"{NUMBERS[1]}.done.json"])


def test_a_killed_run_resumes_without_half_written_files(small_ws):
    out = small_ws.root / "output" / "2025-10"
    command = [sys.executable, "-c", "from workbench.batch.cli import month_end; month_end()",
               str(small_ws.root), "--period", "2025-10", "--apply-credits", "--include-marketplace",
               "--today", TODAY.isoformat()]
    run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not list(out.glob(f"*/{NUMBERS[0]}.done.json")) and time.monotonic() < deadline:
            assert run.poll() is None, "month end ended before it could be killed"
            time.sleep(0.05)
        assert list(out.glob(f"*/{NUMBERS[0]}.done.json")), "first invoice not finished in 120 s"
        time.sleep(1.0)  # somewhere inside the second invoice
    finally:
        os.killpg(run.pid, signal.SIGKILL)  # the run, its kernel and its Chromium: all started here
        run.wait()
    # every file under a final name is whole
    for path in out.rglob("*"):
        if path.name.startswith("."):
            continue
        if path.suffix == ".ipynb":
            nbformat.read(path, as_version=4)
        elif path.suffix == ".pdf":
            assert PdfReader(path).pages
        elif path.suffix == ".json":
            json.loads(path.read_text())
    summary = run_month_end(small_ws, "2025-10", options=OPTIONS, today=TODAY)
    assert summary.ok
    assert [o.state for o in summary.outcomes][0] == "skipped"
    assert all(is_complete(out / n, n) for n in NUMBERS)
    assert leftovers(out) == []
    # the killed run's kernel socket folder is swept by the next run
    assert list(Path(tempfile.gettempdir()).glob(f"wb-kernel-{run.pid}-*")) == []


def test_an_interrupted_run_counts_what_is_finished_though_no_result_came_back(small_ws):
    """Smith & Sons' files were made by an earlier run. A run over the whole month is stopped
    (Ctrl-C) once Acme's invoice is done: Beta's is not made, Smith & Sons' was finished before
    and is counted as skipped, not listed among the invoices to make (so is an invoice a worker
    finished as it was stopped, before its result came back: done)."""
    generate_invoices(small_ws, "aws", given_month("2025-10"), ["100001", "100002", "100003"], OPTIONS, today=TODAY)
    assert run_month_end(small_ws, "2025-10", customers=["100003"], options=OPTIONS, today=TODAY).ok

    def stop_after_the_first(done: int, total: int, outcome: object) -> None:
        raise KeyboardInterrupt

    try:
        run_month_end(small_ws, "2025-10", options=OPTIONS, today=TODAY, progress=stop_after_the_first)
    except MonthEndInterrupted as stopped:
        summary = stopped.summary
    assert [(o.number, o.state) for o in summary.outcomes] == [(NUMBERS[0], "done"), (NUMBERS[2], "skipped")]
    assert summary.not_made == (NUMBERS[1],)
    assert f"INTERRUPTED: 1 invoice(s) not made: {NUMBERS[1]};" in summary.text()


def test_existing_drafts_are_reused(small_ws):
    made = generate_invoices(small_ws, "aws", given_month("2025-10"), ["100002"], OPTIONS, today=TODAY)
    [beta] = made.invoices
    summary = run_month_end(small_ws, "2025-10", customers=["100002", "100003"], options=OPTIONS, today=TODAY)
    assert summary.ok and summary.problems == ()
    # Beta keeps the draft made before (number 1); Smith & Sons is generated now (number 2)
    assert beta.number == "AWS-202510-00001"
    assert [(o.number, o.customer_id, o.state) for o in summary.outcomes] == [
        ("AWS-202510-00001", "100002", "done"), ("AWS-202510-00002", "100003", "done")]
    assert sorted(i.customer_id for i in list_invoices(small_ws)) == ["100002", "100003"]


def test_cli_in_parallel_exit_codes_and_help(small_ws, tmp_path):
    runner = CliRunner()
    help_text = runner.invoke(month_end, ["--help"]).output
    for words in ("output/<period>/<number>/", "Resume", "done.json", "skipped", "--jobs", "--period YYYY-MM"):
        assert words in help_text

    args = [str(small_ws.root), "--period", "2025-10", "--apply-credits", "--include-marketplace",
            "--today", "2025-11-20", "--jobs", "2"]
    started = time.perf_counter()
    failing = runner.invoke(month_end, [*args, "--notebook", str(failing_notebook(tmp_path, "100003"))])
    elapsed = time.perf_counter() - started
    assert failing.exit_code == 1, failing.output
    assert "generating the drafts of 2025-10 ...\nwriting the usage rows behind the detailed CSVs" in failing.output
    assert "2 done, 0 skipped, 1 failed" in failing.output
    assert "FAILED AWS-202510-00003 (customer 100003 Smith & Sons <Ltd>)" in failing.output
    print(f"\nmonth end, 3 invoices, jobs=2 (spawned workers): {elapsed:.1f} s")

    fixed = runner.invoke(month_end, args)
    assert fixed.exit_code == 0, fixed.output
    assert "1 done, 2 skipped, 0 failed" in fixed.output

    bad = runner.invoke(month_end, [str(small_ws.root), "--period", "2025-13"])
    assert bad.exit_code == 2 and "not a month" in bad.output


def test_a_month_without_usage_is_nothing_done_not_success(small_ws):
    """September has no usage in the small workspace: month end says so, and exits 3 (nothing
    done), not 0 with "0 done"; the same for a vendor named without usage."""
    runner = CliRunner()
    nothing = runner.invoke(month_end, [str(small_ws.root), "--period", "2025-09", "--today", "2025-11-20"])
    assert nothing.exit_code == 3, nothing.output
    assert "no usage of any vendor is imported for 2025-09: nothing to invoice" in nothing.output
    assert "import the vendor reports for 2025-09 first" in nothing.output

    azure = runner.invoke(month_end, [str(small_ws.root), "--period", "2025-10", "--vendor", "azure",
                                      "--today", "2025-11-20"])
    assert azure.exit_code == 3, azure.output
    assert "0 done, 0 skipped, 0 failed, 1 not generated" in azure.output
    assert "no azure usage is imported for 2025-10" in azure.output
    assert not (small_ws.output_dir / "2025-09").exists()


def test_the_summary_names_each_generated_drafts_total_as_money():
    """Its totals read as every amount the command line prints (`money_text` and the code), not as
    the stored text (1262.78 USD, 1602129 JPY)."""
    from workbench.batch import MonthEndSummary
    from workbench.billing.core.invoice import InvoiceOptions
    from workbench.billing.generate import GeneratedInvoice

    drafts = (GeneratedInvoice(1, "AWS-202510-00001", "200001", "Kilo Retail", "aws", "2025-10", "USD", D("1262.78"), False),
              GeneratedInvoice(2, "AWS-202510-00002", "200004", "Hyakuman Kogyo KK", "aws", "2025-10", "JPY", D("1602129"),
                               False))
    summary = MonthEndSummary("2025-10", Path("output/2025-10"), (), (), 0.5, generated=drafts, options=InvoiceOptions())
    assert summary.text().splitlines()[2:] == [
        "    AWS-202510-00001 customer 200001 Kilo Retail: total 1,262.78 USD",
        "    AWS-202510-00002 customer 200004 Hyakuman Kogyo KK: total 1,602,129 JPY",
    ]
