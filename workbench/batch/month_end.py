"""Month end in one call: draft invoices for a period, then every invoice's files, resumably.

    summary = run_month_end(ws, "2025-10", jobs=2)

1. Generate drafts for each vendor with usage in the period (or the vendors asked for), with
   the `options` given (the summary names the drafts it generated). A customer whose period is
   already generated keeps its invoice: it is reused, not an error.
2. For each non-void invoice of the period, in `output/<period>/<number>/`:
     <number>.ipynb               notebooks/invoice.ipynb executed by papermill
     <number>.pdf                 statement-pdf (workbench.nbexport, one Chromium per process)
     <number>-statement.csv       statement-csv (the notebook's invoice output)
     <number>.csv                 customer CSV        (workbench.billing.exports)
     <number>-detailed.csv        detailed CSV, down to the vendor rows
     <number>.xlsx                workbook
     <number>.done.json           manifest, written LAST: sha256 of each file above, the
                                  invoice's status (read as it is written), and the status and
                                  last change the files were made for
   Before any file is written the notebook's invoice output is checked against the stored
   invoice (number and total): a notebook that prints other figures fails the invoice.

Resume: an invoice is skipped when its manifest is present, its files all match it, and they
were made for the invoice as it is now (`render.current.invoice_stamp`: files of a Draft since
approved are not). Anything else is redone from the start (the old manifest is removed first, so
a half-redone folder never looks complete, then the old files, so none of another state is left).
Folders follow the invoices (`billing.store.output_folders`): every status change rewrites the
manifest's status once committed, and a void invoice's folder moves to `void/<number>/`, kept for
the record and out of the month's statements. A folder is held while it is written
(`output_folders.writing`), so a void committed meanwhile leaves it to the job, which settles it
(see `render_invoice`). Before rendering, the month end puts right what a crash left behind
(folders of invoices deleted since are removed, void ones moved and marked); after it, it makes
again the void records left unfinished under void/ or showing a Draft (never sent), and the
summary names every folder that still does not show its invoice as it is now (`out_of_step`).
Every file is written to a hidden `.<name>.<random>.tmp` and renamed, so a crash leaves no
half-written file under a final name; leftover temp files are removed the next time the invoice
is processed. A failed notebook is kept as `<number>.failed.ipynb` for reading (when it was
written whole: not on a full disk).

Ctrl-C stops it at once (`MonthEndInterrupted`, with a summary of what was finished): the queued
invoices are cancelled and the workers killed with their kernels and browsers (`interrupts.py`);
a rerun resumes.

One invoice failing does not stop the others; `jobs > 1` runs invoices in a process pool
(spawned workers, each with its own Chromium), `scheduler=` on a Dask cluster. Notebooks run
in a warm kernel per worker (`engine="warm"`, the default; see engine.py and docs.md for why
nothing of one invoice reaches the next), or in a kernel each (`engine="cold"`).
"""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import json
import multiprocessing
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.lifecycle import Status
from workbench.billing.core.periods import given_month
from workbench.billing.core.problems import Problem, Severity
from workbench.billing.file_hash import file_sha256
from workbench.billing.store.output_folders import (
    MANIFEST_SUFFIX,
    VOID_FOLDER,
    FolderMoved,
    Reconciled,
    follow_status,
    needs_void_record,
    out_of_step,
    read_manifest,
    reconcile,
    remove_temp_files,
    settle_void,
    void_folders,
    write_manifest,
    writing,
)
from workbench.billing.store.workspace import Workspace
from workbench.render.current import invoice_stamp

from .interrupts import interrupts_held, start_worker, stop_pool, uninterrupted
from .kernels import ENGINES, execute_notebook, sweep_dead_kernel_dirs
from .paths import DEFAULT_NOTEBOOK
from .summary import InvoiceJob, InvoiceOutcome, MonthEndInterrupted, MonthEndSummary, Progress

if TYPE_CHECKING:
    from workbench.billing.exports import Exporter
    from workbench.billing.generate import GeneratedInvoice

__all__ = [
    "DEFAULT_NOTEBOOK",
    "InvoiceJob",
    "InvoiceOutcome",
    "MonthEndInterrupted",
    "MonthEndSummary",
    "expected_files",
    "generate_period",
    "is_complete",
    "render_invoice",
    "run_month_end",
]

EXPORT_FORMATS = ("csv", "detailed-csv", "xlsx")  # workbench.billing.exports, from the stored invoice

# --- files and the manifest ------------------------------------------------------------------

def expected_files(number: str) -> tuple[str, ...]:
    """The file names one invoice gets, manifest excluded."""
    return (
        f"{number}.ipynb",
        f"{number}.pdf",
        f"{number}-statement.csv",
        f"{number}.csv",
        f"{number}-detailed.csv",
        f"{number}.xlsx",
    )


def is_complete(folder: Path, number: str, stamp: dict[str, object] | None = None) -> bool:
    """The manifest is there, lists exactly the expected files, and each file matches its hash;
    with `stamp` (`invoice_stamp` of the invoice now), the files were also made for that state."""
    manifest = read_manifest(folder, number)
    if manifest is None or (stamp is not None and manifest.get("invoice") != stamp):
        return False
    try:
        files: dict[str, str] = manifest["files"]
        if manifest.get("number") != number or sorted(files) != sorted(expected_files(number)):
            return False
        return all(file_sha256(folder / name) == digest for name, digest in files.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


# --- one invoice -----------------------------------------------------------------------------

def _short_error(exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return f"notebook cell {exc.exec_count} raised {exc.ename}: {exc.evalue}"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _check_notebook_invoice(nb: object, job: InvoiceJob) -> None:
    """The notebook's machine-readable invoice must be this invoice with the stored total."""
    from workbench.billing.core.money import D
    from workbench.billing.exports.statement import amount_text
    from workbench.nbexport import find_invoice

    printed = find_invoice(nb)  # type: ignore[arg-type]
    totals = [t.amount for t in printed.totals if t.label == "Total"]
    # compared, and said, as the notebook's machine-readable invoice writes it (plain, not grouped)
    expected = amount_text(D(job.total), job.currency)
    if printed.number != job.number or totals != [expected]:
        raise ValueError(
            f"the notebook printed invoice {printed.number} with total {totals}, but the stored invoice "
            f"{job.number} has total {expected} {job.currency}"
        )


def _export_stored(ws: Workspace, job: InvoiceJob, folder: Path, lap: Callable[[str], None] = lambda _: None) -> None:
    from workbench.billing.exports import InvoiceView
    from workbench.billing.generate import source_row_reader
    from workbench.billing.store import models as m

    with ws.session() as session:
        invoice = session.get(m.Invoice, job.invoice_id)
        if invoice is None:
            raise LookupError(f"invoice {job.number} (id {job.invoice_id}) no longer exists")
        view = InvoiceView.from_orm(session, invoice, source_rows=source_row_reader(ws, job.invoice_id, keep=True))
    lap("load")
    for fmt, exporter in _format_exporters().items():  # what billing.exports.export_invoice does
        exporter.write(view, folder / f"{view.number}{exporter.suffix}")
        lap(fmt)


@functools.cache
def _format_exporters() -> dict[str, Exporter]:
    """The exporter of each of EXPORT_FORMATS, looked up once per process: the lookup scans the
    installed packages' entry points for plug-ins (~10 ms, per invoice before), and a plug-in
    that cannot be used is then reported once, not once per invoice."""
    from workbench.billing.exports import exporters

    available = exporters()
    return {fmt: available[fmt] for fmt in EXPORT_FORMATS}


TIMINGS_ENV = "WORKBENCH_BATCH_TIMINGS"


def _log_timings(job: InvoiceJob, stages: dict[str, float]) -> None:
    """With $WORKBENCH_BATCH_TIMINGS set to a file, append one JSON line of stage seconds (benchmarks)."""
    path = os.environ.get(TIMINGS_ENV)
    if path:
        line = json.dumps({"number": job.number, "pid": os.getpid(), **stages}) + "\n"
        with open(path, "a", encoding="utf-8") as f:  # one short O_APPEND write: lines do not interleave
            f.write(line)


def _stamp(ws: Workspace, job: InvoiceJob) -> dict[str, object]:
    """The invoice's state now, read before anything is rendered: a change made while the
    files are being made leaves them stamped with the older state, so the next run redoes them."""
    from workbench.billing.store import models as m

    with ws.session() as session:
        invoice = session.get(m.Invoice, job.invoice_id)
        if invoice is None:
            raise LookupError(f"invoice {job.number} (id {job.invoice_id}) no longer exists")
        return invoice_stamp(invoice)


def _write_manifest(folder: Path, job: InvoiceJob, stamp: dict[str, object], status: object) -> Path:
    manifest = {
        "number": job.number,
        "status": status,  # the invoice's now (read again here): a later status change rewrites it (output_folders)
        "customer_id": job.customer_id,
        "vendor": job.vendor,
        "period": job.period,
        "currency": job.currency,
        "total": job.total,
        "invoice": stamp,  # what the files show: id, status, last change (render.current)
        "written": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "files": {name: file_sha256(folder / name) for name in expected_files(job.number)},
    }
    return write_manifest(folder, job.number, manifest)


_workspaces: dict[Path, Workspace] = {}


def _worker_workspace(root: Path) -> Workspace:
    """One open workspace per root and process: opening migrates (alembic) and costs ~20 ms."""
    from workbench.billing.store.workspace import open_workspace

    key = Path(root).resolve()
    if key not in _workspaces or not (key / "workspace.json").is_file():
        _workspaces[key] = open_workspace(key)
    return _workspaces[key]


def _close_worker_workspaces() -> None:
    while _workspaces:
        _workspaces.popitem()[1].close()


atexit.register(_close_worker_workspaces)


def _make_files(ws: Workspace, job: InvoiceJob, folder: Path, stamp: dict[str, object], root: Path,
                notebook: Path, engine: str, lap: Callable[[str], None]) -> str:
    """Every file of the invoice into `folder` (held by the caller), manifest last: "done", or
    "skipped" when they are complete for `stamp` already."""
    remove_temp_files(folder)  # what a crashed run left behind
    if is_complete(folder, job.number, stamp):
        return "skipped"
    # A redo starts from nothing: the manifest first (the folder is incomplete from here on),
    # then the files of an earlier run (a Draft's PDF after the approval), so that a redo
    # that fails or is killed never leaves another state's files under their final names.
    (folder / f"{job.number}{MANIFEST_SUFFIX}").unlink(missing_ok=True)
    for name in expected_files(job.number):
        (folder / name).unlink(missing_ok=True)

    from workbench.nbexport import export_statement

    nb = execute_notebook(notebook, folder, job.number, root, engine)
    lap("notebook")
    _check_notebook_invoice(nb, job)
    export_statement(nb, folder, ("pdf",), basename=job.number)  # type: ignore[arg-type]
    lap("pdf")
    export_statement(nb, folder, ("csv",), basename=f"{job.number}-statement")  # type: ignore[arg-type]
    lap("statement-csv")
    _export_stored(ws, job, folder, lap)
    # the status now, not the stamp's: a change committed while the files were made found no
    # manifest to rewrite (the files still show the stamp's state; the next run redoes them)
    _write_manifest(folder, job, stamp, _stamp(ws, job)["status"])
    lap("manifest")
    return "done"


HOLD_ATTEMPTS = 5  # a folder moved under void/ and made again (void, then reconcile) this many times in a row


def render_invoice(ws_root: str | Path, job: InvoiceJob, out_dir: str | Path, notebook: str | Path = DEFAULT_NOTEBOOK,
                   engine: str = "warm") -> InvoiceOutcome:
    """All files of one invoice under `out_dir/<number>/`, or `skipped` when they are complete.

    The folder is held while it is written (`output_folders.writing`): a void committed
    meanwhile does not move it; once the files are made, the invoice's status is read again and a
    void invoice's folder is settled under void/ here (outcome `void`, never `done`). A job with
    `void_record` makes a void invoice's record under `out_dir/void/<number>/` instead (its
    statement as it stands, VOID, manifest status void).

    Never raises for the invoice's own problems: they come back as a `failed` outcome.
    """
    started = time.perf_counter()
    period_dir = Path(out_dir)
    folder = period_dir / VOID_FOLDER / job.number if job.void_record else period_dir / job.number

    def outcome(state: str, error: str = "") -> InvoiceOutcome:
        files = expected_files(job.number) if state in ("done", "skipped") else ()
        return InvoiceOutcome(job.number, job.customer_id, job.customer_name, state,
                              round(time.perf_counter() - started, 3), files, error)

    ws: Workspace | None = None
    try:
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
        stages: dict[str, float] = {}
        clock = time.perf_counter()

        def lap(stage: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            stages[stage] = round(now - clock, 4)
            clock = now

        root = Path(ws_root).resolve()
        ws = _worker_workspace(root)
        lap("open")
        for _ in range(HOLD_ATTEMPTS):
            stamp = _stamp(ws, job)
            void = stamp["status"] == Status.VOID.value
            if void and not job.void_record:  # voided since the invoice list was read: its statement
                settle_void(period_dir, job.number)  # printed now would stand in the month
                return outcome("void")
            if job.void_record and not void:
                raise ValueError(f"invoice {job.number} is {stamp['status']}, not void: it has no void record")
            folder.mkdir(parents=True, exist_ok=True)
            try:
                with writing(folder):
                    # read again under the hold: a void committed before it was taken is seen here
                    # (one committed after it leaves the folder to this job, see below)
                    stamp = _stamp(ws, job)
                    if stamp["status"] == Status.VOID.value and not job.void_record:
                        continue  # settled at the top of the next attempt
                    state = _make_files(ws, job, folder, stamp, root, Path(notebook), engine, lap)
            except FolderMoved:  # settled under void/ (or removed) between the mkdir and the hold
                continue
            break
        else:
            raise RuntimeError(f"the folder of {job.number} kept moving while the month end tried to write it")
        if not job.void_record:
            status = _stamp(ws, job)["status"]  # read once the hold is let go: see output_folders
            if status == Status.VOID.value:
                settle_void(period_dir, job.number)
                if state == "done":  # files never sent (made during the void): the record is the void statement
                    render_invoice(ws_root, replace(job, void_record=True), out_dir, notebook, engine)
                return outcome("void")
            follow_status(period_dir, job.number, str(status))
        _log_timings(job, stages)
        return outcome(state)
    except Exception as exc:  # one invoice's failure is data for the summary, not a stop
        if ws is not None and not job.void_record and _voided_now(ws, job):
            # voided while its files were being made: no statement is wanted in the month; what
            # was written goes under void/ and the void record is made there (should that fail
            # too, the month end tries again after the others and reports it)
            try:
                settle_void(period_dir, job.number)
            except OSError:  # left in the month: the next run moves it, out_of_step names it meanwhile
                return outcome("void")
            render_invoice(ws_root, replace(job, void_record=True), out_dir, notebook, engine)
            return outcome("void")
        return outcome("failed", _short_error(exc))


def _voided_now(ws: Workspace, job: InvoiceJob) -> bool:
    try:
        return _stamp(ws, job)["status"] == Status.VOID.value
    except Exception:
        return False


# --- the period ------------------------------------------------------------------------------

def _vendors_with_usage(ws: Workspace, period: str) -> list[str]:
    from workbench.billing.store.usage_queries import report_periods

    return sorted({p.vendor for p in report_periods(ws) if p.period == period})


def _period_invoices(ws: Workspace, period: str, vendors: Sequence[str], customers: Sequence[str] | None) -> list[InvoiceJob]:
    """The non-void whole-month invoices of the period for these vendors (and customers)."""
    from sqlalchemy import select

    from workbench.billing.store import models as m

    date_range = given_month(period)
    query = (
        select(m.Invoice, m.Customer.name).join(m.Customer)
        .where(m.Invoice.vendor.in_(list(vendors)), m.Invoice.period_start == date_range.start,
               m.Invoice.period_end == date_range.end, m.Invoice.status != Status.VOID.value)
        .order_by(m.Invoice.number)
    )
    if customers is not None:
        query = query.where(m.Invoice.customer_id.in_(list(customers)))
    with ws.session() as session:
        return [
            InvoiceJob(inv.id, inv.number, inv.customer_id, name, inv.vendor, period, inv.currency, format(inv.total, "f"))
            for inv, name in session.execute(query)
        ]


def generate_period(
    ws: Workspace,
    period: str,
    *,
    vendors: Sequence[str] | None = None,
    customers: Sequence[str] | None = None,
    options: InvoiceOptions = InvoiceOptions(),
    today: dt.date | None = None,
) -> tuple[list[InvoiceJob], list[Problem]]:
    """Drafts for the period (existing ones reused); the period's invoices and the problems met."""
    jobs, problems, _ = _generate_period(ws, period, vendors=vendors, customers=customers, options=options, today=today)
    return jobs, problems


def _generate_period(
    ws: Workspace,
    period: str,
    *,
    vendors: Sequence[str] | None,
    customers: Sequence[str] | None,
    options: InvoiceOptions,
    today: dt.date | None,
) -> tuple[list[InvoiceJob], list[Problem], list[GeneratedInvoice]]:
    """`generate_period`, and the drafts generated now (the others were there already)."""
    from workbench.billing.generate import generate_invoices

    generated: list[GeneratedInvoice] = []
    date_range = given_month(period)
    with_usage = _vendors_with_usage(ws, period)
    problems: list[Problem] = []
    wanted = list(vendors) if vendors else with_usage
    if not wanted:
        problems.append(Problem("no-usage", f"no usage of any vendor is imported for {period}: nothing to invoice",
                                fix=f"import the vendor reports for {period} first (`workbench import`), "
                                    "or check the --period"))
    for vendor in wanted:
        if vendor not in with_usage:
            # asked for by name: an error when nothing else is done, a warning beside other vendors
            alone = all(v not in with_usage for v in wanted)
            problems.append(Problem("no-usage", f"no {vendor} usage is imported for {period}",
                                    severity=Severity.ERROR if alone else Severity.WARNING,
                                    fix=f"import the {vendor} report for {period} first"))
            continue
        result = generate_invoices(ws, vendor, date_range, customers, options, today=today)
        generated.extend(result.invoices)
        # the same problem for every vendor (an unknown --customers id) is said once; a customer
        # with no account of a vendor it did not name is no news
        problems.extend(p for p in result.problems if p not in problems and (vendors or p.code != "no-vendor-account"))
    jobs = _period_invoices(ws, period, [v for v in wanted if v in with_usage], customers)
    reused = {(j.vendor, j.customer_id) for j in jobs}
    # A locked period is expected on a rerun: the existing invoice is reused.
    kept = [p for p in problems
            if not (p.code == "period-locked" and any((v, p.customer_id) in reused for v in wanted))]
    return jobs, kept, sorted(generated, key=lambda g: g.number)


def _void_records_to_make(ws: Workspace, period_dir: Path, period: str, vendors: Sequence[str],
                          customers: Sequence[str] | None) -> list[InvoiceJob]:
    """The void invoices of the period (these vendors and customers) whose folder under void/ is
    no record of what was sent (`output_folders.needs_void_record`): its files unfinished (a month
    end cut short, then the invoice voided) or printed while it was a Draft (approved, then
    voided, with no month end between)."""
    from sqlalchemy import select

    from workbench.billing.store import models as m

    unfinished = [d.name for d in void_folders(period_dir) if needs_void_record(d, d.name)]
    if not unfinished:
        return []
    date_range = given_month(period)
    query = (
        select(m.Invoice, m.Customer.name).join(m.Customer)
        .where(m.Invoice.number.in_(unfinished), m.Invoice.vendor.in_(list(vendors)),
               m.Invoice.period_start == date_range.start, m.Invoice.period_end == date_range.end,
               m.Invoice.status == Status.VOID.value)
        .order_by(m.Invoice.number)
    )
    if customers is not None:
        query = query.where(m.Invoice.customer_id.in_(list(customers)))
    with ws.session() as session:
        return [
            InvoiceJob(inv.id, inv.number, inv.customer_id, name, inv.vendor, period, inv.currency,
                       format(inv.total, "f"), void_record=True)
            for inv, name in session.execute(query)
        ]


def _write_detail_rows(ws: Workspace, period: str, vendors: Sequence[str]) -> list[Problem]:
    """The canonical rows behind the detailed CSVs, written once here rather than by the first
    worker that needs them (the others would wait for it); a problem if they cannot be."""
    from workbench.billing.store.usage_files import UsageUnavailable, rows_files
    from workbench.billing.store.usage_queries import current_reports

    with ws.session() as session:
        reports = [r for vendor in vendors for r in current_reports(session, vendor, [period])]
    try:
        rows_files(ws, reports)
    except UsageUnavailable as exc:
        return [exc.problem()]
    return []


def _lost(job: InvoiceJob, exc: BaseException, where: str) -> InvoiceOutcome:
    return InvoiceOutcome(job.number, job.customer_id, job.customer_name, "failed", 0.0, (),
                          f"{where} failed: {type(exc).__name__}: {exc}")


def _render_on_dask(scheduler: object, invoice_jobs: Sequence[InvoiceJob], root: Path, target: Path, notebook: Path,
                    engine: str, record: Callable[[InvoiceOutcome], None]) -> None:
    """One task per invoice on a Dask cluster; outcomes recorded as they complete."""
    from distributed import Client, as_completed as dask_completed

    own = not isinstance(scheduler, Client)
    client = Client(str(scheduler), set_as_default=False) if own else scheduler
    try:
        run_id = secrets.token_hex(4)
        futures = {
            client.submit(render_invoice, root, job, target, notebook, engine,  # type: ignore[attr-defined]
                          key=f"month-end-{job.number}-{run_id}", pure=False): job
            for job in invoice_jobs
        }
        try:
            for future in dask_completed(list(futures), loop=client.loop):  # type: ignore[attr-defined]
                job = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # the worker died (KilledWorker after Dask's retries), or was lost
                    result = _lost(job, exc, "dask task")
                record(result)
        except BaseException:  # interrupted: the cluster's queued invoices go too
            uninterrupted(lambda: client.cancel(list(futures)))  # type: ignore[attr-defined]
            raise
    finally:
        if own:
            client.close()  # type: ignore[attr-defined]


def run_month_end(
    ws: Workspace,
    period: str,
    *,
    vendors: Sequence[str] | None = None,
    customers: Sequence[str] | None = None,
    jobs: int = 1,
    options: InvoiceOptions = InvoiceOptions(),
    today: dt.date | None = None,
    progress: Progress | None = None,
    notebook: str | Path = DEFAULT_NOTEBOOK,
    out_dir: str | Path | None = None,
    on_invoices: Callable[[int], None] | None = None,
    engine: str = "warm",
    scheduler: object = None,
    on_step: Callable[[str], None] | None = None,
) -> MonthEndSummary:
    """Generate the period's drafts, then render every invoice's files (see the module docstring).

    `progress(done, total, outcome)` is called after each invoice; `on_invoices(total)` once the
    invoice list is known (for a progress bar); `on_step(text)` as each step before it starts
    (generating the drafts, writing the usage rows of the detailed CSVs, which can take seconds).
    Files go to `out_dir` (default `<workspace>/output/<period>`).

    `engine`: "warm" (default) executes the notebooks in a kernel kept warm per process and
    cleaned between invoices (`workbench.batch.engine`); "cold" starts a kernel per invoice.

    `scheduler`: a Dask scheduler address ("tcp://host:8786") or a `distributed.Client`: the
    invoices are rendered by that cluster's workers instead of local processes (`jobs` is then
    unused). Workers open the workspace by its path, so the workspace folder must be on storage
    they share, at the same path (and a workspace kept in a server database needs
    $WORKBENCH_DB_URL in the workers' environment).
    """
    started, started_at = time.perf_counter(), time.time()
    given_month(period)  # refuse a bad period before anything is written
    if jobs < 1:
        raise ValueError("jobs must be at least 1")
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
    notebook = Path(notebook)
    if not notebook.is_file():
        raise FileNotFoundError(f"invoice notebook {notebook} not found (pass notebook=...)")
    target = Path(out_dir) if out_dir is not None else ws.output_dir / period
    sweep_dead_kernel_dirs(Path(tempfile.gettempdir()))  # a killed run's kernel sockets
    if ws.usage_dir.is_dir():
        from workbench.billing.store.usage_files import sweep_abandoned

        sweep_abandoned(ws.usage_dir)  # and the usage rows it was writing

    step = on_step or (lambda text: None)
    invoice_jobs: list[InvoiceJob] = []
    problems: list[Problem] = []
    generated: list[GeneratedInvoice] = []
    settled = Reconciled((), ())
    outcomes: list[InvoiceOutcome] = []
    void_records: list[InvoiceOutcome] = []
    record_jobs: list[InvoiceJob] = []

    def record(result: InvoiceOutcome) -> None:
        outcomes.append(result)
        if progress is not None:
            progress(len(outcomes), len(invoice_jobs), result)

    def summary(interrupted: bool = False, not_made: tuple[str, ...] = ()) -> MonthEndSummary:
        order = {job.number: i for i, job in enumerate(invoice_jobs)}
        return MonthEndSummary(
            period, target, tuple(sorted(outcomes, key=lambda o: order[o.number])), tuple(problems),
            round(time.perf_counter() - started, 3), settled.removed, settled.voided,
            () if interrupted else tuple(out_of_step(ws, target)), tuple(generated), options,
            tuple(sorted(void_records, key=lambda o: o.number)), interrupted, not_made)

    try:
        step(f"generating the drafts of {period}")
        invoice_jobs, problems, generated = _generate_period(ws, period, vendors=vendors, customers=customers,
                                                             options=options, today=today)
        step("writing the usage rows behind the detailed CSVs (once per vendor report)")
        problems += _write_detail_rows(ws, period, sorted({job.vendor for job in invoice_jobs}))
        if on_invoices is not None:
            on_invoices(len(invoice_jobs))
        if invoice_jobs:  # a month with nothing to invoice leaves no empty folder behind
            target.mkdir(parents=True, exist_ok=True)
        settled = reconcile(ws, target)  # what status changes (or a crash after one) left behind
        root = ws.root.resolve()
        _render_all(invoice_jobs, record, scheduler, jobs, root, target, notebook, engine)
        # Void invoices whose record under void/ is unfinished (voided while a month end was making
        # their files, this one or one cut short): their statement as it stands, VOID on it.
        record_jobs = _void_records_to_make(ws, target, period,
                                            list(vendors) if vendors else _vendors_with_usage(ws, period), customers)
        if record_jobs:
            step(f"making again the void records of {', '.join(j.number for j in record_jobs)}")
            _render_all(record_jobs, void_records.append, scheduler, jobs, root, target, notebook, engine)
    except KeyboardInterrupt:  # Ctrl-C (or SIGTERM, turned into it by the CLI): what was finished, what was not
        with interrupts_held():  # a second Ctrl-C would only lose the summary
            outcomes += _finished_unrecorded(invoice_jobs, outcomes, target, started_at)
            finished = {o.number for o in outcomes} | {o.number for o in void_records}
            not_made = tuple(j.number for j in [*invoice_jobs, *record_jobs] if j.number not in finished)
            interrupted = MonthEndInterrupted(summary(interrupted=True, not_made=not_made))
        raise interrupted from None
    return summary()


def _finished_unrecorded(invoice_jobs: Sequence[InvoiceJob], outcomes: Sequence[InvoiceOutcome], target: Path,
                         started_at: float) -> list[InvoiceOutcome]:
    """The invoices of an interrupted run that are finished though no outcome came back for them:
    a worker stopped just after writing a manifest, or a folder complete before the run (it would
    have been skipped). "done" when the manifest is this run's, else "skipped"; not "not made"."""
    recorded = {o.number for o in outcomes}
    found = []
    for job in invoice_jobs:
        folder = target / job.number
        if job.number in recorded or not is_complete(folder, job.number):
            continue
        made_now = (folder / f"{job.number}{MANIFEST_SUFFIX}").stat().st_mtime >= started_at
        found.append(InvoiceOutcome(job.number, job.customer_id, job.customer_name, "done" if made_now else "skipped",
                                    0.0, expected_files(job.number)))
    return found


def _render_all(invoice_jobs: Sequence[InvoiceJob], record: Callable[[InvoiceOutcome], None], scheduler: object,
               jobs: int, root: Path, target: Path, notebook: Path, engine: str) -> None:
    """`render_invoice` for each job, here, in a process pool or on a Dask cluster."""
    if scheduler is not None:
        _render_on_dask(scheduler, invoice_jobs, root, target, notebook, engine, record)
    elif jobs == 1 or len(invoice_jobs) <= 1:
        for job in invoice_jobs:
            record(render_invoice(root, job, target, notebook, engine))
    else:
        # spawn: a forked child would inherit the parent's database connections and threads.
        # A worker ends with this process, even when this one is killed outright (SIGKILL): else
        # it would go on rendering beside the rerun, with its kernel and Chromium.
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=start_worker,
                                   initargs=(os.getpid(),))
        try:
            futures = {pool.submit(render_invoice, root, job, target, notebook, engine): job for job in invoice_jobs}
            for future in as_completed(futures):
                job = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # the worker process died (killed, out of memory)
                    result = _lost(job, exc, "worker process")
                record(result)
        except BaseException:  # interrupted (Ctrl-C, SIGTERM): stop now, not after the queue
            stop_pool(pool)
            raise
        pool.shutdown(wait=True)
